"""Reasoning written inline as <think>...</think>: taken out of a streamed answer, tags split or not."""

from __future__ import annotations

OPEN, CLOSE = "<think>", "</think>"


class ThinkSplitter:
    """Splits streamed text into (answer, reasoning) as it arrives.

    Text between <think> and </think> is reasoning; a tag split across pieces is
    held back until the next piece shows what it is, so no part of one ever shows.
    """

    def __init__(self) -> None:
        self._inside = False
        self._held = ""

    def feed(self, piece: str) -> tuple[str, str]:
        """The answer and the reasoning this piece completes."""
        text, self._held = self._held + piece, ""
        answer: list[str] = []
        reasoning: list[str] = []
        while text:
            tag = CLOSE if self._inside else OPEN
            out = reasoning if self._inside else answer
            at = text.find(tag)
            if at >= 0:
                out.append(text[:at])
                text = text[at + len(tag) :]
                self._inside = not self._inside
                continue
            keep = _partial_tag(text, tag)
            out.append(text[: len(text) - keep])
            self._held = text[len(text) - keep :]
            break
        return "".join(answer), "".join(reasoning)

    def flush(self) -> tuple[str, str]:
        """What was held back at the end of the stream (it was no tag after all)."""
        held, self._held = self._held, ""
        return ("", held) if self._inside else (held, "")


def _partial_tag(text: str, tag: str) -> int:
    """Length of the longest end of `text` that begins `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0
