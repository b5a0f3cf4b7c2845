"""Change stamps on SQLite: `messages.changed_at`, kept by triggers, mixed into SQLiteStore."""

from __future__ import annotations

import sqlite3

import aiosqlite

from chat.store.base import StoreUnavailable
from chat.store.changes import CHANGED_COLUMNS, ChangeCursor, Changes, changes_from_rows
from chat.store.migrations import Migration

_NOW = "(julianday('now') - 2440587.5) * 86400.0"
# SQLite's clock ticks in milliseconds, so two changes can share a moment; writes are serial,
# so a stamp just past the newest one keeps the stamps in the order the changes were made.
_STAMP = f"MAX({_NOW}, COALESCE((SELECT MAX(changed_at) FROM messages), 0) + 0.000001)"

CHANGES_MIGRATIONS: list[Migration] = [
    (
        # A streaming reply's many saves are not changes yet: its final text is. The trigger's
        # own update names only changed_at, so it never fires itself or the other triggers.
        "0022_changes",
        f"""
        ALTER TABLE messages ADD COLUMN changed_at REAL;
        CREATE INDEX messages_changed ON messages (changed_at, id) WHERE changed_at IS NOT NULL;
        CREATE TRIGGER messages_stamp_change
        AFTER UPDATE OF text, status, deleted_by, edited_at ON messages
        WHEN NEW.status != 'streaming'
        BEGIN
            UPDATE messages SET changed_at = {_STAMP} WHERE id = NEW.id;
        END;
        CREATE TRIGGER reactions_stamp_insert AFTER INSERT ON reaction_versions
        BEGIN
            UPDATE messages SET changed_at = {_STAMP} WHERE id = NEW.message_id;
        END;
        CREATE TRIGGER reactions_stamp_update AFTER UPDATE ON reaction_versions
        BEGIN
            UPDATE messages SET changed_at = {_STAMP} WHERE id = NEW.message_id;
        END;
        """,
    ),
]
"""Appended to SQLiteStore's migrations after search."""

_CHANGED = f"""SELECT {CHANGED_COLUMNS} FROM messages
    WHERE changed_at IS NOT NULL AND (changed_at, id) > (?, ?)
    ORDER BY changed_at, id LIMIT ?"""
_LATEST = """SELECT changed_at, id FROM messages WHERE changed_at IS NOT NULL
    ORDER BY changed_at DESC, id DESC LIMIT 1"""


class SQLiteChanges:
    """ChangesStore over SQLiteStore's connection."""

    def _connection(self) -> aiosqlite.Connection:
        raise NotImplementedError  # SQLiteStore provides it

    async def changed_after(self, cursor: ChangeCursor | None, limit: int) -> Changes:
        try:
            if cursor is None:
                async with self._connection().execute(_LATEST) as rows:
                    latest = await rows.fetchone()
                return Changes(ChangeCursor(*latest) if latest else ChangeCursor(0.0), [])
            async with self._connection().execute(_CHANGED, (*cursor, limit)) as rows:
                found = [row async for row in rows]
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not read the changed messages: {exc}") from exc
        return changes_from_rows(found, cursor)
