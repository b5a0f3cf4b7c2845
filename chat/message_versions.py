"""MessageVersion: an earlier text of an edited (or regenerated) message, kept for moderators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MessageVersion:
    """The text message `message_id` had from `written_at` until `replaced_at`."""

    message_id: str
    number: int
    """1 for the text it was first written with, then 2, 3, ... (the current text is not one)."""
    text: str
    written_at: datetime
    replaced_at: datetime
    replaced_by: str
    """The person id of who replaced it (the author, or who asked for a regenerated reply)."""
