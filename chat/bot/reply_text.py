"""The text of a bot reply as it streams in: secrets taken out, and cut at a maximum length."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing

MIN_SECRET_CHARS = 4
"""Shorter "secrets" are placeholders; scrubbing them would blank out ordinary letters."""
REDACTED = "[key]"


def scrub_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret replaced by [key]."""
    for secret in _usable(secrets):
        text = text.replace(secret, REDACTED)
    return text


def _usable(secrets: Iterable[str]) -> list[str]:
    # Longest first, so a secret that contains another is replaced whole.
    return sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)


class SecretFilter:
    """Removes secrets from a text that arrives in pieces, also when one is split across pieces.

    What might be the start of a secret is held back until the next piece
    shows whether it is one; a secret never leaves this filter whole.
    """

    def __init__(self, secrets: Iterable[str]):
        self._secrets = _usable(secrets)
        self._held = ""

    def feed(self, piece: str) -> str:
        """The part of the text, up to this piece, that is safe to show now."""
        text = scrub_secrets(self._held + piece, self._secrets)
        keep = self._possible_start(text)
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        """The text held back, once the stream ended cleanly (it was no secret after all)."""
        rest, self._held = self._held, ""
        return rest

    def _possible_start(self, text: str) -> int:
        """Length of the longest end of `text` that begins a secret."""
        longest = 0
        for secret in self._secrets:
            for size in range(min(len(secret) - 1, len(text)), longest, -1):
                if text.endswith(secret[:size]):
                    longest = size
                    break
        return longest


class ReplyText:
    """A reply's text so far: scrubbed of secrets and never longer than `max_chars`."""

    def __init__(self, max_chars: int, secrets: Iterable[str] = ()):
        self.max_chars = max_chars
        self.text = ""
        """What may be shown and stored now."""
        self.cut = False
        """True once the reply reached max_chars; whatever comes after is dropped."""
        self._filter = SecretFilter(secrets)

    def add(self, piece: str) -> bool:
        """Append a piece; False once the reply is full (the caller should stop the stream)."""
        if not self.cut:
            self._append(self._filter.feed(piece))
        return not self.cut

    def end(self, complete: bool) -> str:
        """The final text. After a complete stream the held-back tail was no secret and is added;
        after one cut short it may be the start of one, so it is dropped."""
        tail = self._filter.flush()
        if complete and not self.cut:
            self._append(tail)
        return self.text

    def _append(self, safe: str) -> None:
        room = self.max_chars - len(self.text)
        if len(safe) > room:
            safe, self.cut = safe[: max(room, 0)], True
        self.text += safe


async def without_secrets(
    chunks: AsyncGenerator[str, None], secrets: Iterable[str]
) -> AsyncGenerator[str, None]:
    """`chunks` with the secrets taken out (for streams shown outside the room, like the API)."""
    guard = SecretFilter(secrets)
    async with aclosing(chunks):  # closing this closes the model's stream too
        async for chunk in chunks:
            safe = guard.feed(chunk)
            if safe:
                yield safe
    rest = guard.flush()
    if rest:
        yield rest
