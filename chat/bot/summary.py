"""What a summary is made of: numbered messages, chunks that fit a budget, citations, and the
extractive summary the offline brains give. Pure: no model, store or bus here."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from chat.domain import Citation, Message, MessageKind

LINE_CHARS = 600
"""Most characters of one message put in a summary's prompt (the rest is cut)."""
PICKS_PER_CHUNK = 5
"""How many messages an extractive summary of one chunk keeps."""
QUOTE_CHARS = 160
"""Most characters of a message quoted in an extractive summary."""

_CITATION = re.compile(r"\[(\d{1,5})\]")
_WORD = re.compile(r"[^\W\d_][\w'-]{2,}", re.UNICODE)
_STOP_WORDS_TEXT = (
    "the and for that this with you are was have not but all can has had its our out any "
    "what when who how why will would could should there their them they then than from into "
    "just about also yes yeah okay ok lol thanks thank she his her him did does doing been "
    "being were one some more most very much really like get got going well sure let"
)
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@dataclass(frozen=True, slots=True)
class Numbered:
    """A message as a summary's prompt shows it: "[number] Author: text"."""

    number: int
    message: Message

    def line(self) -> str:
        """Its line in the prompt: on one line, cut to LINE_CHARS."""
        text = " ".join(self.message.text.split())
        if len(text) > LINE_CHARS:
            text = text[: LINE_CHARS - 1] + "…"
        return f"[{self.number}] {self.message.author}: {text}"

    def citation(self, number: int) -> Citation:
        """A citation of this message, shown as [number]."""
        m = self.message
        return Citation(number, m.id, m.seq, m.author)


def numbered(messages: Sequence[Message]) -> list[Numbered]:
    """What is worth summarising, numbered from 1: settled messages with words, no system lines."""
    kept = [
        m
        for m in messages
        if m.kind is not MessageKind.SYSTEM
        and m.status.is_final
        and not m.is_deleted
        and m.text.strip()
    ]
    return [Numbered(number, message) for number, message in enumerate(kept, start=1)]


def chunks(lines: Sequence[str], budget_chars: int) -> list[list[str]]:
    """`lines` in consecutive groups of at most `budget_chars` characters (a newline each);
    a line longer than the budget alone is cut to it."""
    budget = max(budget_chars, 1)
    groups: list[list[str]] = []
    group: list[str] = []
    used = 0
    for line in lines:
        if len(line) + 1 > budget:
            line = line[: max(budget - 2, 0)] + "…"
        if group and used + len(line) + 1 > budget:
            groups.append(group)
            group, used = [], 0
        group.append(line)
        used += len(line) + 1
    if group:
        groups.append(group)
    return groups


def cited_numbers(text: str) -> list[int]:
    """The [n] numbers in `text`, in order of first appearance."""
    seen: dict[int, None] = {}
    for match in _CITATION.finditer(text):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class Summary:
    """A finished summary: its text with [1], [2]… in order, and the message each one cites."""

    text: str
    citations: tuple[Citation, ...]


def with_citations(text: str, sources: Sequence[Numbered]) -> Summary:
    """`text` with its citations renumbered 1, 2… in reading order; a number that names
    no message in `sources` (a model's invention) is dropped."""
    by_number = {n.number: n for n in sources}
    order = [number for number in cited_numbers(text) if number in by_number]
    new_number = {old: new for new, old in enumerate(order, start=1)}

    def renumber(match: re.Match[str]) -> str:
        new = new_number.get(int(match.group(1)))
        return f"[{new}]" if new is not None else ""

    clean = _CITATION.sub(renumber, text)
    clean = re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", clean)).strip()
    cited = tuple(by_number[old].citation(new) for old, new in new_number.items())
    return Summary(clean, cited)


def _words(text: str) -> list[str]:
    return [
        w for w in (m.group(0).casefold() for m in _WORD.finditer(text)) if w not in _STOP_WORDS
    ]


def informativeness(picked: Sequence[Numbered]) -> dict[int, float]:
    """Each message's score: the weight of its distinct words, a word weighing more the more
    messages of the span use it (what the span is about), and little when over half of them
    do (what everyone says, like "fresh line 7" in a run of "fresh line N")."""
    words = {n.number: set(_words(n.message.text)) for n in picked}
    spread = Counter(word for ws in words.values() for word in ws)
    common = max(len(picked) / 2, 2)
    scores: dict[int, float] = {}
    for n in picked:
        weight = sum(
            math.log1p(spread[w]) * (0.2 if spread[w] > common else 1.0) for w in words[n.number]
        )
        question = 0.5 if "?" in n.message.text else 0.0
        scores[n.number] = weight + question
    return scores


WORTH = 0.25
"""A message scoring below this share of the best one is not worth a line of the summary."""


def extractive(picked: Sequence[Numbered], keep: int = PICKS_PER_CHUNK) -> list[Numbered]:
    """The `keep` most informative of `picked` (none saying what one kept says already, none
    far below the best), in the order they were written."""
    scores = informativeness(picked)
    best = max(scores.values(), default=0.0)
    chosen: list[Numbered] = []
    said: list[frozenset[str]] = []
    for n in sorted(picked, key=lambda n: (-scores[n.number], n.number)):
        if len(chosen) == keep or (chosen and scores[n.number] < best * WORTH):
            break
        words = frozenset(_words(n.message.text))
        if any(words <= before for before in said):
            continue  # nothing new in it
        chosen.append(n)
        said.append(words)
    return sorted(chosen, key=lambda n: n.number)


def extractive_text(picked: Sequence[Numbered]) -> str:
    """An extractive summary as bullets: who said it, what (shortened), and its citation."""
    lines = []
    for n in picked:
        text = " ".join(n.message.text.split())
        if len(text) > QUOTE_CHARS:
            text = text[: QUOTE_CHARS - 1] + "…"
        lines.append(f"- {n.message.author}: {text} [{n.number}]")
    return "\n".join(lines)
