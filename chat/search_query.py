"""What a person typed into search, turned into a query no database can choke on.

People type operators (quotes, `-word`, `*`, `(`, `:`), half of them unbalanced.
Nothing they type reaches FTS5 or PostgreSQL as syntax: `parse` keeps only
words (letters and digits), phrases (words between double quotes; an unclosed
quote runs to the end) and exclusions (`-word`, `-"a phrase"`), and each
backend spells those in its own quoted form.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass

from chat.domain import Message

MAX_QUERY_CHARS = 200
"""Longer queries are cut here: a search box is not a place for essays."""
MAX_TERMS = 12
"""At most this many words and phrases are searched for; the rest are ignored."""

_WORD = re.compile(r"\w+", re.UNICODE)
_PIECE = re.compile(r'(-?)"([^"]*)(?:"|$)|(-?)([^\s"]+)')
# Scripts written without spaces between words: these are found by substring, not by word.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

HIT_START = "\x02"
HIT_END = "\x03"
"""Begin the marks around a highlighted hit; each search adds a fresh nonce (`new_marks`)."""


class SearchOrder(enum.StrEnum):
    """How results are sorted."""

    NEWEST = "newest"
    BEST = "best"


@dataclass(frozen=True, slots=True)
class Term:
    """One word or phrase: its words in order; `excluded` for `-word`."""

    words: tuple[str, ...]
    excluded: bool = False

    @property
    def text(self) -> str:
        """The words as typed, one space apart."""
        return " ".join(self.words)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed query: what must be in a message, and what must not."""

    wanted: tuple[Term, ...]
    unwanted: tuple[Term, ...]

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: a query of only operators or only exclusions finds nothing."""
        return not self.wanted

    @property
    def by_substring(self) -> bool:
        """True when a term is CJK text, found by substring (trigrams) rather than by word."""
        return any(_CJK.search(term.text) for term in self.wanted + self.unwanted)


def parse(raw: str) -> SearchQuery:
    """The words, phrases and exclusions in `raw`; never raises."""
    wanted: list[Term] = []
    unwanted: list[Term] = []
    for match in _PIECE.finditer(raw[:MAX_QUERY_CHARS]):
        minus = match.group(1) or match.group(3)
        body = match.group(2) if match.group(2) is not None else match.group(4)
        words = tuple(word.lower() for word in _WORD.findall(body.replace("_", " ")))
        if not words:
            continue
        # `-` glued to a phrase or word excludes it; a word with inner punctuation
        # ("e-mail", "a:b") is a phrase of its parts, as the tokenizers see it.
        term = Term(words, excluded=bool(minus))
        (unwanted if minus else wanted).append(term)
    return SearchQuery(tuple(wanted[:MAX_TERMS]), tuple(unwanted[:MAX_TERMS]))


@dataclass(frozen=True, slots=True)
class Marks:
    """What a database puts around each hit of one search: unguessable, so stored text
    that happens to contain marks cannot fake a highlight."""

    start: str
    end: str


def new_marks() -> Marks:
    """Fresh marks for one search."""
    nonce = secrets.token_hex(6)
    return Marks(f"{HIT_START}{nonce}[", f"]{nonce}{HIT_END}")


@dataclass(frozen=True, slots=True)
class SnippetPart:
    """A piece of a snippet; `hit` if it matched the query."""

    text: str
    hit: bool = False


def split_marked(marked: str, marks: Marks) -> tuple[SnippetPart, ...]:
    """A snippet marked with `marks` as plain parts, hits flagged."""
    parts: list[SnippetPart] = []
    pattern = f"{re.escape(marks.start)}|{re.escape(marks.end)}"
    for index, piece in enumerate(re.split(pattern, marked)):
        if piece:
            parts.append(SnippetPart(piece, hit=index % 2 == 1))
    return tuple(parts)


def substring_snippet(text: str, query: SearchQuery, width: int = 80) -> tuple[SnippetPart, ...]:
    """A snippet of `text` around its first substring hit, every hit of a wanted term marked.

    For the CJK path, where the database matched by substring and has no highlighter.
    """
    needles = sorted({t.text for t in query.wanted if t.text}, key=len, reverse=True)
    if not needles:
        return (SnippetPart(text[:width]),)
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - width // 3)
    window = text[start : start + width]
    parts: list[SnippetPart] = [SnippetPart("…")] if start > 0 else []
    at = 0
    for hit in pattern.finditer(window):
        if hit.start() > at:
            parts.append(SnippetPart(window[at : hit.start()]))
        parts.append(SnippetPart(hit.group(), hit=True))
        at = hit.end()
    if at < len(window):
        parts.append(SnippetPart(window[at:]))
    if start + width < len(text):
        parts.append(SnippetPart("…"))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A message found by search, with a snippet of its text around the hits."""

    message: Message
    snippet: tuple[SnippetPart, ...]

    @property
    def snippet_text(self) -> str:
        """The snippet as plain text, without marks."""
        return "".join(part.text for part in self.snippet)
