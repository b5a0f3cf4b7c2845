"""What people may type: names and messages, checked before anything is stored."""

from __future__ import annotations

import re
from typing import Iterable

# Control characters, plus invisible format characters that make names look alike.
_FORBIDDEN_IN_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


class Rejected(ValueError):
    """Input was refused; the message says why and is shown to the person."""


def clean_name(raw: str, *, max_chars: int, reserved: Iterable[str] = ()) -> str:
    """The trimmed name, or Rejected with a reason a person understands."""
    name = (raw or "").strip()
    if not name:
        raise Rejected("Please enter a name.")
    if len(name) > max_chars:
        raise Rejected(f"That name is too long: at most {max_chars} characters.")
    if _FORBIDDEN_IN_NAME.search(name):
        raise Rejected("Names cannot contain control or invisible characters.")
    folded = name.casefold().lstrip("@")
    if any(folded == word.casefold() for word in reserved):
        raise Rejected(f"“{name}” is reserved. Please pick another name.")
    return name


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
