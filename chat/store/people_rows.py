"""Converters between database rows and people; rows never leave store/."""

from __future__ import annotations

from datetime import UTC, datetime

from chat.person import Person, Role
from chat.store.rows import Row

PERSON_COLUMNS = "id, name, name_key, created_at, role, banned, password_hash"


def row_to_person(row: Row) -> Person:
    """A person from a row of either backend."""
    created = row["created_at"]
    if isinstance(created, (int, float)):
        created = datetime.fromtimestamp(created, UTC)
    return Person(
        id=row["id"],
        name=row["name"],
        name_key=row["name_key"],
        created_at=created,
        role=Role(row["role"]),
        banned=bool(row["banned"]),
        password_hash=row["password_hash"],
    )
