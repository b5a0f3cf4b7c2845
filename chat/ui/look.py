"""How people and text look: avatar colours and initials, safe Markdown (see markdown_safety)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

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


INK_LIGHT, INK_DARK = "#FFFFFF", "#1B1B1F"
"""The two colours an avatar's letters or icon may take, whichever reads better on it."""

_bot_colours: dict[str, str] = {}
"""Each AI participant's handle and display name (case-folded), and its colour ("" for none)."""


def know_bots(bots: Iterable[tuple[str, str]]) -> None:
    """Tell the look which names are AI participants, with their configured colours.

    Called once at start from the bots file (Settings.roster): bots are a setting of the
    process, like the theme, not something a tab decides.
    """
    _bot_colours.clear()
    _bot_colours.update((name.casefold(), colour) for name, colour in bots)


def is_bot(name: str) -> bool:
    """True if `name` is one of the AI participants' handles or display names."""
    return name.casefold() in _bot_colours


def avatar_color(name: str) -> str:
    """A colour for `name`: a bot's configured one, else the same in every process for
    that name (a real digest, not the salted hash())."""
    if configured := _bot_colours.get(name.casefold()):
        return configured
    digest = hashlib.blake2s(name.casefold().encode(), digest_size=4).digest()
    return AVATAR_COLORS[int.from_bytes(digest, "big") % len(AVATAR_COLORS)]


def _luminance(hex_color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ink_on(background: str) -> str:
    """INK_LIGHT or INK_DARK, whichever contrasts more with `background` (a bots file may
    give a bot any colour, a pale one too)."""
    lum = _luminance(background)
    light = (_luminance(INK_LIGHT) + 0.05) / (lum + 0.05)
    dark = (lum + 0.05) / (_luminance(INK_DARK) + 0.05)
    return INK_LIGHT if light >= dark else INK_DARK


def initials(name: str) -> str:
    """One or two letters for an avatar: 'Ada Lovelace' -> 'AL', 'bob' -> 'B'."""
    words = [w for w in re.split(r"[\s._-]+", name.strip()) if w]
    if not words:
        return "?"
    letters = words[0][0] + (words[1][0] if len(words) > 1 else "")
    return letters.upper()
