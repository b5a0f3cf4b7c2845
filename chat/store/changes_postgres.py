"""Change stamps on PostgreSQL: `messages.changed_at`, kept by triggers, mixed into PostgresStore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from chat.store.changes import CHANGED_COLUMNS, ChangeCursor, Changes, changes_from_rows
from chat.store.migrations import Migration

_NOW = "extract(epoch FROM clock_timestamp())"

CHANGES_MIGRATIONS: list[Migration] = [
    (
        # A streaming reply's many saves are not changes yet: its final text is.
        "0022_changes",
        f"""
        ALTER TABLE messages ADD COLUMN changed_at DOUBLE PRECISION;
        CREATE INDEX messages_changed ON messages (changed_at, id) WHERE changed_at IS NOT NULL;
        CREATE FUNCTION confab_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.changed_at := {_NOW};
            RETURN NEW;
        END $$;
        CREATE TRIGGER messages_stamp_change
            BEFORE UPDATE OF text, status, deleted_by, edited_at ON messages
            FOR EACH ROW WHEN (NEW.status <> 'streaming')
            EXECUTE FUNCTION confab_stamp_change();
        CREATE FUNCTION confab_stamp_reaction() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE messages SET changed_at = {_NOW} WHERE id = NEW.message_id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER reactions_stamp_change AFTER INSERT OR UPDATE ON reaction_versions
            FOR EACH ROW EXECUTE FUNCTION confab_stamp_reaction();
        """,
    ),
]
"""Appended to PostgresStore's migrations after search."""

_CHANGED = f"""SELECT {CHANGED_COLUMNS} FROM messages
    WHERE changed_at IS NOT NULL AND (changed_at, id) > ($1, $2)
    ORDER BY changed_at, id LIMIT $3"""
_LATEST = """SELECT changed_at, id FROM messages WHERE changed_at IS NOT NULL
    ORDER BY changed_at DESC, id DESC LIMIT 1"""

T = TypeVar("T")


class PostgresChanges:
    """ChangesStore over PostgresStore's pool."""

    async def _run(self, action: str, work: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # PostgresStore provides it

    async def changed_after(self, cursor: ChangeCursor | None, limit: int) -> Changes:
        if cursor is None:
            latest = await self._run("read the changed messages", lambda c: c.fetchrow(_LATEST))
            return Changes(ChangeCursor(*latest) if latest else ChangeCursor(0.0), [])
        rows = await self._run(
            "read the changed messages", lambda conn: conn.fetch(_CHANGED, *cursor, limit)
        )
        return changes_from_rows(rows, cursor)
