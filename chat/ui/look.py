"""How people and text look: avatar colours and initials, safe Markdown (see markdown_safety)."""

from __future__ import annotations

import hashlib
import re

from chat.ui.markdown_safety import SAFE_SCHEMES, is_safe_link, safe_markdown  # noqa: F401 (re-exported)

AVATAR_COLORS = (
    "#C62828",
    "#D81B60",
    "#8E24AA",
    "#5E35B1",
    "#3949AB",
    "#1565C0",
    "#0277BD",
    "#00695C",
    "#2E7D32",
    "#33691E",
    "#BF360C",
    "#6D4C41",
    "#546E7A",
    "#827717",
)
"""Avatar backgrounds, all dark enough for white initials (WCAG AA, 4.5:1; tests/test_contrast.py)."""


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
