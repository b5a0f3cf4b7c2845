"""Converters between database rows and domain messages; rows never leave store/."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping

from chat.domain import Draft, Message, MessageKind, MessageStatus, utc_now

COLUMNS = "id, room, seq, author, kind, status, text, created_at, client_id, meta"


def new_message_id() -> str:
    """A fresh, globally unique message id."""
    return uuid.uuid4().hex


def draft_values(draft: Draft) -> dict[str, Any]:
    """The column values of a new row for `draft` (all but seq)."""
    return {
        "id": new_message_id(),
        "room": draft.room,
        "author": draft.author,
        "kind": draft.kind.value,
        "status": draft.status.value,
        "text": draft.text,
        "created_at": utc_now(),
        "client_id": draft.client_id,
        "meta": json.dumps(draft.meta, sort_keys=True),
    }


def row_to_message(row: Mapping[str, Any]) -> Message:
    """A domain message from a row of either backend."""
    created = row["created_at"]
    if isinstance(created, (int, float)):
        created = datetime.fromtimestamp(created, timezone.utc)
    meta = row["meta"]
    return Message(
        id=row["id"],
        room=row["room"],
        seq=int(row["seq"]),
        author=row["author"],
        text=row["text"],
        created_at=created,
        kind=MessageKind(row["kind"]),
        status=MessageStatus(row["status"]),
        client_id=row["client_id"],
        meta=json.loads(meta) if isinstance(meta, str) else dict(meta or {}),
    )
