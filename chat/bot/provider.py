"""The Brain interface: one streaming call, whatever answers behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator, Literal, Protocol, Sequence


class BrainError(RuntimeError):
    """The brain could not answer; the message is short, human-readable and safe to show."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One entry of the conversation a brain is asked to continue."""

    role: Literal["system", "user", "assistant"]
    content: str


class Brain(Protocol):
    """Something that continues a conversation, chunk by chunk."""

    description: str
    """One line for people: which brain this is and how to change it."""

    def stream(self, history: Sequence[Turn]) -> AsyncIterator[str]:
        """Yield the reply in pieces; raise BrainError on failure."""

    async def imagine(self, prompt: str) -> bytes:
        """A PNG for `prompt`; raise BrainError when this brain cannot draw."""

    async def aclose(self) -> None:
        """Release connections and threads."""
