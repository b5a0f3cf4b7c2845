"""What people may type, checked before anything is stored (names: chat/names.py)."""

from __future__ import annotations


class Rejected(ValueError):
    """Input was refused; the message says why and is shown to the person."""


class TooFast(Rejected):
    """Refused for now: the sender is over a rate limit and may try again in `retry_after` s."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


def clean_message(raw: str, *, max_chars: int) -> str | None:
    """The text to send, None when there is nothing to send, or Rejected when too long."""
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > max_chars:
        raise Rejected(
            f"Your message is {len(text):,} characters long; the limit is {max_chars:,}. "
            "Shorten it and send again."
        )
    return text
