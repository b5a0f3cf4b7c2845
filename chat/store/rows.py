"""Converters between database rows and domain messages; rows never leave store/."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from chat.domain import Draft, Message, MessageKind, MessageStatus, Quote, Room, RoomKind, utc_now
from chat.message_meta import MessageMeta

STORED_COLUMNS = (
    "id, room, seq, author, kind, status, text, created_at, client_id, meta, author_id, deleted_by,"
    " edited_at, reply_to"
)
"""The columns a message row keeps (what an INSERT names)."""
_QUOTED = ("author", "text", "seq", "deleted_by")


def quote_columns(table: str) -> str:
    """The original of a reply in `table`'s row, read with it (an index lookup each, no commas
    inside an expression so the list can be split): quoted_author, quoted_text, ..."""
    return ", ".join(
        f"(SELECT q.{c} FROM messages AS q WHERE q.id = {table}.reply_to) AS quoted_{c}"
        for c in _QUOTED
    )


COLUMNS = f"{STORED_COLUMNS}, {quote_columns('messages')}"
"""What every read of a message selects (or returns): its columns and the quote of its original."""
ROOM_COLUMNS = "name, topic, created_by, created_at, last_active_at, kind, owner_id"


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
        "meta": draft.meta.to_json_text(),
        "author_id": draft.author_id,
        "reply_to": draft.reply_to,
    }


class Row(Protocol):
    """A database row read by column name: sqlite3.Row, asyncpg.Record, a dict."""

    def __getitem__(self, key: str, /) -> Any: ...


def _time(value: datetime | float) -> datetime:
    """A timestamp column: SQLite keeps seconds since the epoch, PostgreSQL a timestamptz."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    return value


def row_to_room(row: Row) -> Room:
    """A domain room from a row of either backend."""
    return Room(
        name=row["name"],
        topic=row["topic"],
        created_by=row["created_by"],
        created_at=_time(row["created_at"]),
        last_active_at=_time(row["last_active_at"]),
        kind=RoomKind(row["kind"]),
        owner_id=row["owner_id"],
    )


def row_to_message(row: Row) -> Message:
    """A domain message from a row of either backend."""
    created = _time(row["created_at"])
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
        meta=MessageMeta.from_json(row["meta"]),
        author_id=row["author_id"],
        deleted_by=row["deleted_by"],
        edited_at=_time(row["edited_at"]) if row["edited_at"] is not None else None,
        reply_to=row["reply_to"],
        quote=_quote(row),
    )


def _quote(row: Row) -> Quote | None:
    if row["reply_to"] is None or row["quoted_seq"] is None:
        return None  # not a reply, or its original is not stored (any more)
    return Quote(
        message_id=row["reply_to"],
        author=row["quoted_author"],
        text=row["quoted_text"],
        seq=int(row["quoted_seq"]),
        deleted=row["quoted_deleted_by"] is not None,
    )
