"""Bus events to and from JSON, for buses that cross process boundaries."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any, Callable

from chat.domain import (
    BusEvent,
    Message,
    MessageChanged,
    MessageKind,
    MessagePosted,
    MessageStatus,
    PresenceSnapshot,
    StopRequested,
)


def _message_to_dict(message: Message) -> dict[str, Any]:
    data = asdict(message)
    data["created_at"] = message.created_at.isoformat()
    return data


def _message_from_dict(data: dict[str, Any]) -> Message:
    return Message(
        **{
            **data,
            "created_at": datetime.fromisoformat(data["created_at"]),
            "kind": MessageKind(data["kind"]),
            "status": MessageStatus(data["status"]),
        }
    )


_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    MessagePosted: lambda e: {"message": _message_to_dict(e.message)},
    MessageChanged: lambda e: {"message": _message_to_dict(e.message)},
    PresenceSnapshot: lambda e: {"node": e.node, "names": list(e.names), "expires_at": e.expires_at},
    StopRequested: lambda e: {"message_id": e.message_id, "by": e.by},
}

_DECODERS: dict[str, Callable[[dict[str, Any]], BusEvent]] = {
    "MessagePosted": lambda d: MessagePosted(_message_from_dict(d["message"])),
    "MessageChanged": lambda d: MessageChanged(_message_from_dict(d["message"])),
    "PresenceSnapshot": lambda d: PresenceSnapshot(d["node"], tuple(d["names"]), d["expires_at"]),
    "StopRequested": lambda d: StopRequested(d["message_id"], d["by"]),
}


def encode_event(event: BusEvent) -> bytes:
    """JSON bytes for `event`, tagged with its type."""
    body = _ENCODERS[type(event)](event)
    return json.dumps({"type": type(event).__name__, **body}, separators=(",", ":")).encode()


def decode_event(raw: bytes | str) -> BusEvent:
    """The event `encode_event` made; ValueError for anything else."""
    data = json.loads(raw)
    try:
        decoder = _DECODERS[data.pop("type")]
    except KeyError:
        raise ValueError(f"not a bus event: {raw[:80]!r}") from None
    return decoder(data)
