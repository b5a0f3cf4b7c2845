"""Edits on SQLite: `messages.edited_at` and the `message_versions` table, mixed into SQLiteStore."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from chat.domain import Message
from chat.message_meta import MessageMeta
from chat.message_versions import MessageVersion
from chat.store.base import StoreUnavailable
from chat.store.edits_rows import VERSION_COLUMNS, row_to_version
from chat.store.migrations import Migration
from chat.store.rows import COLUMNS, row_to_message

EDITS_MIGRATIONS: list[Migration] = [
    (
        # The trigger keeps the text an edit replaces, within the edit's own UPDATE: one
        # statement is one transaction, whatever else shares the connection meanwhile.
        "0018_edits",
        f"""
        ALTER TABLE messages ADD COLUMN edited_at REAL;
        ALTER TABLE messages ADD COLUMN edited_by TEXT;
        CREATE TABLE message_versions (
            message_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            text TEXT NOT NULL,
            written_at REAL NOT NULL,
            replaced_at REAL NOT NULL,
            replaced_by TEXT NOT NULL,
            PRIMARY KEY (message_id, number)
        );
        CREATE TRIGGER messages_keep_version BEFORE UPDATE OF edited_at ON messages
        WHEN NEW.edited_at IS NOT NULL
        BEGIN
            INSERT INTO message_versions ({VERSION_COLUMNS})
            VALUES (
                OLD.id,
                (SELECT COALESCE(MAX(number), 0) + 1 FROM message_versions
                 WHERE message_id = OLD.id),
                OLD.text,
                COALESCE(OLD.edited_at, OLD.created_at),
                NEW.edited_at,
                NEW.edited_by
            );
        END;
        """,
    ),
]
"""Appended to SQLiteStore's migrations."""

_EDIT = f"""
    UPDATE messages SET text = ?, edited_at = ?, edited_by = ?
    WHERE id = ? AND deleted_by IS NULL RETURNING {COLUMNS}
"""


_REOPEN = f"""
    UPDATE messages SET text = '', status = 'streaming', meta = ?, edited_at = ?, edited_by = ?
    WHERE id = ? AND kind = 'bot' AND status != 'streaming' AND deleted_by IS NULL
    RETURNING {COLUMNS}
"""


class SQLiteEdits:
    """EditsStore over SQLiteStore's connection."""

    def _connection(self) -> aiosqlite.Connection:
        raise NotImplementedError  # SQLiteStore provides it

    async def edit_message(
        self, message_id: str, text: str, edited_by: str, at: datetime
    ) -> Message | None:
        try:
            async with self._connection().execute(
                _EDIT, (text, at.timestamp(), edited_by, message_id)
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not save the edit: {exc}") from exc
        return row_to_message(row) if row is not None else None

    async def reopen_reply(
        self, message_id: str, by: str, at: datetime, meta: MessageMeta
    ) -> Message | None:
        try:
            async with self._connection().execute(
                _REOPEN, (meta.to_json_text(), at.timestamp(), by, message_id)
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not reopen the reply: {exc}") from exc
        return row_to_message(row) if row is not None else None

    async def message_versions(self, message_id: str) -> list[MessageVersion]:
        try:
            async with self._connection().execute(
                f"SELECT {VERSION_COLUMNS} FROM message_versions WHERE message_id = ? ORDER BY number",
                (message_id,),
            ) as cursor:
                return [row_to_version(row) async for row in cursor]
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not read the earlier versions: {exc}") from exc
