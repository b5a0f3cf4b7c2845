"""How people and text look: avatar colours and initials, safe Markdown."""

from __future__ import annotations

import hashlib
import re

AVATAR_COLORS = (
    "#E53935", "#D81B60", "#8E24AA", "#5E35B1", "#3949AB", "#1E88E5", "#039BE5",
    "#00897B", "#43A047", "#558B2F", "#F4511E", "#6D4C41", "#546E7A", "#827717",
)
"""Avatar backgrounds, all dark enough for white initials."""

SAFE_SCHEMES = ("http", "https", "mailto")


def avatar_color(name: str) -> str:
    """A colour for `name`, the same in every process (a real digest, not the salted hash())."""
    digest = hashlib.blake2s(name.casefold().encode(), digest_size=4).digest()
    return AVATAR_COLORS[int.from_bytes(digest, "big") % len(AVATAR_COLORS)]


def initials(name: str) -> str:
    """One or two letters for an avatar: 'Ada Lovelace' -> 'AL', 'bob' -> 'B'."""
    words = [w for w in re.split(r"[\s._-]+", name.strip()) if w]
    if not words:
        return "?"
    letters = words[0][0] + (words[1][0] if len(words) > 1 else "")
    return letters.upper()


def is_safe_link(url: str) -> bool:
    """True for http, https and mailto links: the only ones a click may open."""
    scheme, sep, _ = url.strip().partition(":")
    return bool(sep) and scheme.lower() in SAFE_SCHEMES


# A link target may hold one level of balanced parentheses, as in javascript:alert(1).
_TARGET = r"\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)>?(?:\s+\"[^\"]*\")?\s*\)"
_IMAGE = re.compile(r"!\[([^\]]*)\]" + _TARGET)
_LINK = re.compile(r"(?<!!)\[([^\]]*)\]" + _TARGET)
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(\S+).*$", re.MULTILINE)


def safe_markdown(text: str) -> str:
    """Markdown with images turned into links and unsafe links into plain text.

    Images are never fetched (a remote image leaks who is reading to its
    host), and only http, https and mailto links stay clickable.
    """

    def image(match: re.Match) -> str:
        alt, url = match.group(1) or "image", match.group(2)
        return f"[🖼 {alt}]({url})" if is_safe_link(url) else f"🖼 {alt}"

    def link(match: re.Match) -> str:
        label, url = match.group(1), match.group(2)
        return match.group(0) if is_safe_link(url) else label

    def autolink(match: re.Match) -> str:
        url = match.group(1)
        return match.group(0) if is_safe_link(url) else url.replace(":", ":\u200b", 1)

    def reference(match: re.Match) -> str:
        return match.group(0) if is_safe_link(match.group(1)) else ""

    text = _IMAGE.sub(image, text)
    text = _LINK.sub(link, text)
    text = _AUTOLINK.sub(autolink, text)
    return _REFERENCE.sub(reference, text)
