"""The Brain interface: one streaming call, whatever answers behind it."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol


class BrainError(RuntimeError):
    """The brain could not answer; the message is short, human-readable and safe to show."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One entry of the conversation a brain is asked to continue."""

    role: Literal["system", "user", "assistant"]
    content: str
    images: tuple[str, ...] = ()
    """Pictures posted with it, as data URLs: sent only to a brain whose bot declares vision."""


@dataclass(slots=True)
class StreamReport:
    """What a stream tells besides the answer: the tokens the server counted, and reasoning.

    Reasoning (`reasoning_content` deltas or `<think>` text) goes here, never into the
    answer, so only a caller that asks for it can ever show it.
    """

    prompt_tokens: int | None = None
    """As the server counted them (its usage chunk); None when it sent none."""
    completion_tokens: int | None = None
    reasoning: list[str] = field(default_factory=list)
    thinking_since: float | None = None
    """time.monotonic() of the first reasoning piece, None while there was none."""

    def think(self, piece: str) -> None:
        """Record a piece of reasoning."""
        if self.thinking_since is None:
            self.thinking_since = time.monotonic()
        self.reasoning.append(piece)

    def counted(self, prompt_tokens: int | None, completion_tokens: int | None) -> None:
        """Record the server's token counts."""
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens


class Brain(Protocol):
    """Something that continues a conversation, chunk by chunk."""

    description: str
    """One line for people: which brain this is and how to change it."""

    def stream(
        self, history: Sequence[Turn], report: StreamReport | None = None
    ) -> AsyncGenerator[str, None]:
        """Yield the reply in pieces, telling `report` the rest; raise BrainError on failure."""

    async def imagine(self, prompt: str) -> bytes:
        """The picture's bytes for `prompt` (the bot decodes and checks them); BrainError when it cannot draw."""

    async def aclose(self) -> None:
        """Release connections and threads."""
