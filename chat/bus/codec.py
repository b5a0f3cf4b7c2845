"""Bus events to and from JSON, for buses that cross process boundaries (forms in chat.events)."""

from __future__ import annotations

import json

from chat.domain import BusEvent
from chat.events import BUS_TYPES, EVENT_TYPES


def encode_event(event: BusEvent) -> bytes:
    """JSON bytes for `event`, tagged with its type; ValueError for an event that stays local."""
    event_type = EVENT_TYPES.get(type(event))
    if event_type is None or event_type.encode is None:
        raise ValueError(f"{type(event).__name__} does not travel on the bus")
    body = event_type.encode(event)
    return json.dumps({"type": event_type.name, **body}, separators=(",", ":")).encode()


def decode_event(raw: bytes | str) -> BusEvent:
    """The event `encode_event` made; ValueError for anything else."""
    data = json.loads(raw)
    event_type = BUS_TYPES.get(data.pop("type", None)) if isinstance(data, dict) else None
    if event_type is None or event_type.decode is None:
        raise ValueError(f"not a bus event: {raw[:80]!r}")
    return event_type.decode(data)
