"""Pieces of Markdown written so the client reads them back exactly as meant (see markdown_safety)."""

from __future__ import annotations

import re

from markdown_it.tree import SyntaxTreeNode

# What the client's parser could read as markup anywhere in a run of text
# ("#" matters only at a line start, "!" only right before a link we write).
_ESCAPE = re.compile(r"([\\`*_\[\]<>&~|$^]|!\Z)")
# Markup that only counts at the start of a line (lists, headings, thematic breaks).
_LINE_START = re.compile(r"^([ \t]*)([-+=#]|\d{1,9}(?=[.)]))", re.MULTILINE)
_OTHER_SCHEME = re.compile(r":(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")
INFO_WORD = re.compile(r"[\w+#.-]{1,40}")
"""The part of a fence's info string kept: its first word, a language name."""
_MENTION = re.compile(r"(?<![\w@.])@[\w][\w.-]*(?<![.-])")


def escape_text(text: str) -> str:
    """Plain text the client reads back as the same plain text."""
    text = _ESCAPE.sub(r"\\\1", text)
    text = _OTHER_SCHEME.sub(r"\\:", text)  # ftp:// and friends: never a bare link
    text = _WWW.sub(r"\1\\.", text)  # nor www.host, inside a link's words included
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match) -> str:
    indent, mark = match.group(1), match.group(2)
    # "1." and "1)" start a list: escape the dot; "-", "+", "=", "#" start lists and headings.
    return indent + mark + "\\" if mark[0].isdigit() else indent + "\\" + mark


def with_mentions(text: str) -> str:
    """Escaped text with each @name in bold (the row colours bold in a message with mentions)."""
    out, last = [], 0
    for match in _MENTION.finditer(text):
        out.append(escape_text(text[last : match.start()]))
        out.append("**" + escape_text(match.group(0)) + "**")
        last = match.end()
    out.append(escape_text(text[last:]))
    return "".join(out)


def inline_link(label: str, href: str) -> str:
    """An inline link whose target holds nothing the client could misread."""
    target = re.sub(r"[\s<>()\\\[\]`\"']", lambda m: f"%{ord(m.group(0)):02X}", href)
    return f"[{label}]({target})"


def code_span(code: str) -> str:
    marks = "`" * (_longest_run(code, "`") + 1)
    pad = " " if code.startswith(("`", " ")) or code.endswith(("`", " ")) or not code else ""
    return f"{marks}{pad}{code}{pad}{marks}"


def fence(code: str, language: str) -> str:
    """A fenced block holding `code` byte for byte: the fence is longer than any run of backticks."""
    marks = "`" * max(3, _longest_run(code, "`") + 1)
    body = code if code.endswith("\n") or not code else code + "\n"
    return f"{marks}{language}\n{body}{marks}"


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(r) for r in runs), default=0)


def prefix_lines(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    # A blank line inside a quote stays inside it; inside a list item it needs no indent.
    return "\n".join(
        (first if i == 0 else rest) + line if line or rest.strip() else rest.rstrip()
        for i, line in enumerate(lines)
    )


def alignment(cell: SyntaxTreeNode) -> str:
    style = str(cell.attrs.get("style", ""))
    return {"text-align:left": ":--", "text-align:center": ":-:", "text-align:right": "--:"}.get(
        style, "---"
    )
