"""Safe Markdown: parse a message as CommonMark, rewrite the tree, write it back as Markdown.

The browser's renderer (Flet's Markdown: the Dart `markdown` package with
the GitHub-web extensions) is what must not fetch anything or hold an unsafe
link, so what we send it is Markdown we wrote ourselves from a parsed tree:

* images become links (their URL no longer loads by itself) or text;
* links survive only as http, https or mailto, written inline; reference
  definitions, `<...>` targets, titles and relative URLs never reach the
  client in any form it could parse again; a link whose words name another
  site than it leads to is followed by its real site, "(evil.example)";
* raw HTML becomes visible text;
* every piece of text is escaped, so nothing in it can be read as markup
  again (brackets, angle brackets, entities, backticks, `ftp://` and other
  bare URLs the client would link), and bare http(s) and www URLs are
  written out as the explicit links the client would have made of them;
* code, inline and fenced, is copied byte for byte inside a fence long
  enough to hold it.

`@name` mentions outside code and links come back bold, so a row can colour
them (see message_row); that happens here, after the rewrite, on text only.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from chat.ui.markdown_text import (
    INFO_WORD,
    alignment,
    code_span,
    escape_text,
    fence,
    inline_link,
    prefix_lines,
    with_mentions,
)

SAFE_SCHEMES = ("http", "https", "mailto")

IMAGE_MARK = "Image:"
"""Shown where an image was (words: an emoji may have no glyph offline); the image is never loaded."""

_parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# Parse every link as a link, as the client would; is_safe_link decides what stays one.
_parser.validateLink = lambda url: True  # type: ignore[method-assign]  # the documented hook

# Link words that name a site: "https://bank.example/login", "www.bank.example", "bank.example".
_NAMES_A_SITE = re.compile(
    r"(?:https?://)?((?:[^\W_](?:[^\W_]|-)*\.)+[^\W\d_]{2,})(?=[/:?#]|$)", re.IGNORECASE
)
# A bare URL the client would turn into a link: http(s) and www kept as links, others broken.
_BARE_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'`]*[^\s<>\"'`.,:;!?)\]}*_~]")


# One line of words and sentence punctuation, starting with a letter: the parse would give it back
# unchanged (no markup, nothing to escape, no URL or mention), so it is skipped (a chat's usual line).
_PLAIN = re.compile(r"[^\W\d_](?:[^\W_]|[,.'?]| (?=\S))*")


def _words(node: SyntaxTreeNode) -> str:
    """The text a node shows, without its marks."""
    if not node.children:
        return node.content
    return "".join(_words(child) for child in node.children)


def _site(host: str) -> str:
    host = host.lower().removeprefix("www.")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _true_site(words: str, href: str) -> str:
    """ " (site)" after a link whose words name another site than it leads to; else "".

    The client shows no link's target on hover, so "[https://bank.example](https://evil.example)"
    would read as the bank's link.
    """
    named = _NAMES_A_SITE.match(words.strip())
    if named is None:
        return ""
    target = urlsplit(href.strip()).hostname or ""
    if not target or _site(named.group(1)) == _site(target):
        return ""
    return f" ({escape_text(target)})"


def is_safe_link(url: str) -> bool:
    """True for http, https and mailto links: the only ones a click may open."""
    scheme, sep, _ = url.strip().partition(":")
    return bool(sep) and scheme.lower() in SAFE_SCHEMES


class CodeBlock(NamedTuple):
    language: str
    code: str


class SafeMarkdown(NamedTuple):
    """A message made safe to show, with what a row needs to know about it."""

    markdown: str
    """What the client may parse: nothing to fetch, no unsafe link, code untouched."""
    code_blocks: tuple[CodeBlock, ...]
    """The fenced and indented code blocks, in order (each gets a copy button)."""
    prose: str
    """The words outside code, link targets and HTML: where a mention counts."""
    has_inline_code: bool

    @property
    def has_mention(self) -> bool:
        return "**@" in self.markdown


@lru_cache(maxsize=2048)
def render(text: str) -> SafeMarkdown:
    """`text` parsed and written back safely (see the module docstring).

    Cached: a shared row, every tab with a row of its own, and each tab's
    check for a mention of its person all look at the same text.
    """
    if _PLAIN.fullmatch(text) and "www." not in text.lower():
        return SafeMarkdown(text, (), text, False)  # what the writer gives back for plain words
    writer = _Writer()
    markdown = writer.blocks(SyntaxTreeNode(_parser.parse(text)).children).strip("\n")
    return SafeMarkdown(
        markdown, tuple(writer.code_blocks), "\n".join(writer.prose), writer.inline_code
    )


def safe_markdown(text: str) -> str:
    """Markdown with nothing a browser would fetch and no unsafe link, code untouched."""
    return render(text).markdown


@lru_cache(maxsize=64)
def _mention_of(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w@.]){re.escape('@' + name)}(?![\w-])", re.IGNORECASE)


def mentions(text: str, name: str) -> bool:
    """True when `text` mentions @name (any case, whole word) outside code and link targets."""
    return "@" in text and bool(_mention_of(name).search(render(text).prose))


class _Writer:
    """Writes a syntax tree back as Markdown, one node type per method."""

    def __init__(self) -> None:
        self.in_link = 0
        self.code_blocks: list[CodeBlock] = []
        self.prose: list[str] = []
        self.inline_code = False

    # ---- blocks: each returns its lines without a trailing newline

    def blocks(self, nodes: list[SyntaxTreeNode], tight: bool = False) -> str:
        joiner = "\n" if tight else "\n\n"
        return joiner.join(out for node in nodes if (out := self.block(node, tight)))

    def block(self, node: SyntaxTreeNode, tight: bool = False) -> str:
        kind = node.type
        if kind == "paragraph":
            return self.inline(node.children[0]) if node.children else ""
        if kind == "heading":
            level = int(node.tag[1])
            return "#" * level + " " + self.inline(node.children[0]).replace("\n", " ")
        if kind in ("fence", "code_block"):
            info = node.info if kind == "fence" else ""
            word = INFO_WORD.match(info.strip())
            language = word.group(0) if word else ""
            self.code_blocks.append(CodeBlock(language, node.content))
            return fence(node.content, language)
        if kind == "blockquote":
            return prefix_lines(self.blocks(node.children), "> ", "> ")
        if kind in ("bullet_list", "ordered_list"):
            return self.list(node)
        if kind == "hr":
            return "* * *"
        if kind == "html_block":
            return escape_text(node.content.rstrip("\n"))
        if kind == "table":
            return self.table(node)
        return escape_text(node.content)  # a node type this writer does not know: as text

    def list(self, node: SyntaxTreeNode) -> str:
        ordered = node.type == "ordered_list"
        number = int(node.attrs.get("start", 1)) if ordered else 0
        tight = all(
            p.hidden for item in node.children for p in item.children if p.type == "paragraph"
        )
        items = []
        for item in node.children:
            marker = f"{number}. " if ordered else "- "
            number += 1
            body = self.blocks(item.children, tight) or ""
            items.append(prefix_lines(body, marker, " " * len(marker)) if body else marker.rstrip())
        return ("\n" if tight else "\n\n").join(items)

    def table(self, node: SyntaxTreeNode) -> str:
        rows = [tr for section in node.children for tr in section.children]
        lines = []
        for index, tr in enumerate(rows):
            cells = [
                self.inline(cell.children[0]).replace("\n", " ") if cell.children else ""
                for cell in tr.children
            ]
            lines.append("| " + " | ".join(cells) + " |")
            if index == 0:
                lines.append("| " + " | ".join(alignment(cell) for cell in tr.children) + " |")
        return "\n".join(lines)

    # ---- inline

    def inline(self, node: SyntaxTreeNode) -> str:
        return "".join(self.span(child) for child in node.children)

    def span(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == "text":
            return self.text(node.content)
        if kind == "code_inline":
            self.inline_code = True
            return code_span(node.content)
        if kind == "softbreak":
            return "\n"
        if kind == "hardbreak":
            return "\\\n"
        if kind in ("em", "strong", "s"):
            mark = {"em": "*", "strong": "**", "s": "~~"}[kind]
            inner = self.inline(node)
            return f"{mark}{inner}{mark}" if inner.strip() else inner
        if kind == "link":
            return self.link(node)
        if kind == "image":
            return self.image(node)
        if kind == "html_inline":
            return escape_text(node.content)
        return escape_text(node.content)

    def text(self, text: str) -> str:
        self.prose.append(text)
        if self.in_link:
            return escape_text(text)
        out, last = [], 0
        for match in _BARE_URL.finditer(text):
            out.append(with_mentions(text[last : match.start()]))
            url = match.group(0)
            href = url if "://" in url else "http://" + url
            out.append(inline_link(escape_text(url), href))
            last = match.end()
        out.append(with_mentions(text[last:]))
        return "".join(out)

    def link(self, node: SyntaxTreeNode) -> str:
        href = str(node.attrs.get("href", ""))
        self.in_link += 1
        try:
            label = self.inline(node)
        finally:
            self.in_link -= 1
        if self.in_link or not is_safe_link(href):
            return label  # an unsafe (or nested) link keeps its words, not its target
        return inline_link(label or escape_text(href), href) + _true_site(_words(node), href)

    def image(self, node: SyntaxTreeNode) -> str:
        src = str(node.attrs.get("src", ""))
        self.in_link += 1
        try:
            alt = self.inline(node).replace("\n", " ").strip() or "image"
        finally:
            self.in_link -= 1
        label = f"{IMAGE_MARK} {alt}"
        if self.in_link or not is_safe_link(src):
            return label
        return inline_link(label, src)
