"""What a room may be called: a short name that is also its URL (/r/NAME)."""

from __future__ import annotations

import re

from chat.rules import Rejected

ROOM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
"""Lower-case letters, digits and hyphens, at most 40, starting with a letter or digit."""
MAX_TOPIC_CHARS = 200


def clean_room_name(raw: str) -> str:
    """The room name for `raw` (trimmed, lower-cased, spaces as hyphens), or Rejected saying why."""
    name = re.sub(r"\s+", "-", (raw or "").strip().lower())
    if not name:
        raise Rejected("Please enter a name for the room.")
    if not ROOM_NAME.fullmatch(name):
        raise Rejected(
            "A room name may have at most 40 letters a-z, digits and hyphens, "
            "and starts with a letter or digit."
        )
    return name


def clean_topic(raw: str) -> str:
    """The trimmed topic, or Rejected when it is too long."""
    topic = (raw or "").strip()
    if len(topic) > MAX_TOPIC_CHARS:
        raise Rejected(f"That topic is too long: at most {MAX_TOPIC_CHARS} characters.")
    return topic
