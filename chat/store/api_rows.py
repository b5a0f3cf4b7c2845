"""Converters between database rows and API credentials; rows never leave store/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chat.access import AccessToken, Webhook
from chat.store.rows import Row

TOKEN_COLUMNS = "id, person_id, label, created_at, last_used_at, revoked_at"
WEBHOOK_COLUMNS = "id, room, name, created_by, created_at, revoked_at"


def _time(value: Any) -> datetime | None:
    """A moment from either backend: SQLite keeps epoch seconds, PostgreSQL timestamptz."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(value, UTC)


def row_to_token(row: Row, prefix: str = "") -> AccessToken:
    """An access token from a row (columns named `prefix` + TOKEN_COLUMNS' names)."""
    created = _time(row[f"{prefix}created_at"])
    assert created is not None
    return AccessToken(
        id=row[f"{prefix}id"],
        person_id=row[f"{prefix}person_id"],
        label=row[f"{prefix}label"],
        created_at=created,
        last_used_at=_time(row[f"{prefix}last_used_at"]),
        revoked_at=_time(row[f"{prefix}revoked_at"]),
    )


def row_to_webhook(row: Row) -> Webhook:
    """A webhook from a row of either backend."""
    created = _time(row["created_at"])
    assert created is not None
    return Webhook(
        id=row["id"],
        room=row["room"],
        name=row["name"],
        created_by=row["created_by"],
        created_at=created,
        revoked_at=_time(row["revoked_at"]),
    )
