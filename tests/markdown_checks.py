"""What the browser would make of a Markdown text: parsed again, as a client parser would."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from chat.ui.markdown_safety import is_safe_link

# The client (Flet's Markdown, the Dart `markdown` package, GitHub-web extensions) reads
# CommonMark plus tables, strikethrough, inline HTML and bare-URL autolinks.
_client_like = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_client_like.validateLink = lambda url: True  # the Dart parser links any scheme
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_DESTINATION = re.compile(r"\]\([^)\s]*\)")
_BARE_SCHEME = re.compile(r"(?i)(?<![\\\w])([a-z][a-z0-9+.-]*)(?<!\\):(?=//)")


def client_problems(markdown: str) -> list[str]:
    """Every image, unsafe link, raw HTML or definition the client could find in `markdown`."""
    env: dict = {}
    tokens = _client_like.parse(markdown, env)
    problems = [f"reference definition {label!r}" for label in env.get("references", {})]
    code_lines: set[int] = set()
    for token in _walk(tokens):
        if token.type == "image":
            problems.append(f"image {token.attrs.get('src')!r}")
        elif token.type in ("html_inline", "html_block"):
            problems.append(f"raw HTML {token.content!r}")
        elif token.type == "link_open" and not is_safe_link(str(token.attrs.get("href", ""))):
            problems.append(f"unsafe link {token.attrs.get('href')!r}")
        elif token.type in ("fence", "code_block") and token.map:
            code_lines.update(range(*token.map))
    # Bare URLs the client's autolink extension would link: only http(s) may be left bare.
    prose = "\n".join(line for i, line in enumerate(markdown.split("\n")) if i not in code_lines)
    prose = _DESTINATION.sub("]", _CODE_SPAN.sub("", prose))
    for match in _BARE_SCHEME.finditer(prose):
        if match.group(1).lower() not in ("http", "https"):
            problems.append(f"bare {match.group(1)}: URL")
    if re.search(r"(?<!\\)\[\^", prose):
        problems.append("footnote reference")
    return problems


def _walk(tokens):
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)
