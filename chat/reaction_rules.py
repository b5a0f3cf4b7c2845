"""Which emoji a reaction may be: one emoji (a single grapheme, skin tones and ZWJ sequences
included), the default set offered on every message, and the picker's wider choice."""

from __future__ import annotations

import emoji as emoji_data

from chat.rules import Rejected

MAX_EMOJI_CHARS = 16
"""Code points a reaction may have (the longest RGI sequence, a kiss with two skin tones, has 10)."""

DEFAULT_REACTIONS: tuple[str, ...] = ("👍", "❤️", "😂", "🎉", "😮", "😢")
"""Offered first, one tap away."""

PICKER_EMOJI: tuple[str, ...] = (
    *DEFAULT_REACTIONS,
    "👎", "🙏", "👏", "🙌", "💯", "🔥",
    "😀", "😊", "😍", "🤔", "😅", "🙃",
    "😎", "🥳", "😴", "😬", "😡", "🤯",
    "👀", "✅", "❌", "⭐", "🚀", "💡",
    "☕", "🍕", "🎂", "🐛", "🤝", "👋",
)  # fmt: skip
"""The picker's grid: the default set, then more (curated, nothing to download)."""


def clean_emoji(raw: str) -> str:
    """`raw` if it is one emoji; Rejected, saying why, otherwise."""
    text = raw.strip()
    if not text:
        raise Rejected("Pick an emoji to react with.")
    if len(text) > MAX_EMOJI_CHARS:
        raise Rejected(f"A reaction is one emoji; that is {len(text)} characters long.")
    if not emoji_data.is_emoji(text):
        raise Rejected(f"A reaction is one emoji, and “{text}” is not one.")
    return text


def emoji_name(emoji: str) -> str:
    """Words for `emoji` ("thumbs up"), for tooltips and screen readers."""
    return emoji_data.demojize(emoji, delimiters=("", "")).replace("_", " ")


def who_reacted(names: tuple[str, ...], emoji: str) -> str:
    """Who reacted, as hovering or long-pressing a chip says it: "Ann and you reacted with thumbs up"."""
    people = [n or "someone" for n in names] or ["nobody"]
    listed = people[0] if len(people) == 1 else f"{', '.join(people[:-1])} and {people[-1]}"
    said = f"{listed} reacted with {emoji_name(emoji)}"
    return said[0].upper() + said[1:]
