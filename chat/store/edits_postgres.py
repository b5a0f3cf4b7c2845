"""Edits on PostgreSQL: `messages.edited_at` and the `message_versions` table, mixed into PostgresStore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from chat.domain import Message
from chat.message_meta import MessageMeta
from chat.message_versions import MessageVersion
from chat.store.edits_rows import VERSION_COLUMNS, row_to_version
from chat.store.migrations import Migration
from chat.store.rows import COLUMNS, row_to_message

EDITS_MIGRATIONS: list[Migration] = [
    (
        "0018_edits",
        """
        ALTER TABLE messages ADD COLUMN edited_at TIMESTAMPTZ;
        ALTER TABLE messages ADD COLUMN version_count INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE message_versions (
            message_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            text TEXT NOT NULL,
            written_at TIMESTAMPTZ NOT NULL,
            replaced_at TIMESTAMPTZ NOT NULL,
            replaced_by TEXT NOT NULL,
            PRIMARY KEY (message_id, number)
        );
        """,
    ),
]
"""Appended to PostgresStore's migrations."""

# One statement, so one transaction. The row lock (FOR UPDATE) orders two edits of one
# message, and after waiting for it `old` reads the row as the other edit left it: its
# version_count numbers the version (a MAX over message_versions would still see the
# statement's first snapshot and number two versions alike).
_EDIT = f"""
    WITH old AS (
        SELECT id, text, COALESCE(edited_at, created_at) AS written_at, version_count
        FROM messages WHERE id = $1 AND deleted_by IS NULL FOR UPDATE
    ), kept AS (
        INSERT INTO message_versions ({VERSION_COLUMNS})
        SELECT id, version_count + 1, text, written_at, $3, $4 FROM old
    )
    UPDATE messages SET text = $2, edited_at = $3, version_count = messages.version_count + 1
    WHERE id IN (SELECT id FROM old) RETURNING {COLUMNS}
"""

# The same, for a finished bot reply written again: emptied, streaming, its text kept.
_REOPEN = f"""
    WITH old AS (
        SELECT id, text, COALESCE(edited_at, created_at) AS written_at, version_count
        FROM messages
        WHERE id = $1 AND kind = 'bot' AND status != 'streaming' AND deleted_by IS NULL
        FOR UPDATE
    ), kept AS (
        INSERT INTO message_versions ({VERSION_COLUMNS})
        SELECT id, version_count + 1, text, written_at, $2, $3 FROM old
    )
    UPDATE messages SET text = '', status = 'streaming', meta = $4::jsonb, edited_at = $2,
        version_count = messages.version_count + 1
    WHERE id IN (SELECT id FROM old) AND messages.status != 'streaming' RETURNING {COLUMNS}
"""

T = TypeVar("T")


class PostgresEdits:
    """EditsStore over PostgresStore's pool."""

    async def _run(self, action: str, work: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # PostgresStore provides it

    async def edit_message(
        self, message_id: str, text: str, edited_by: str, at: datetime
    ) -> Message | None:
        row = await self._run(
            "save the edit",
            lambda conn: conn.fetchrow(_EDIT, message_id, text, at, edited_by),
        )
        return row_to_message(row) if row is not None else None

    async def reopen_reply(
        self, message_id: str, by: str, at: datetime, meta: MessageMeta
    ) -> Message | None:
        row = await self._run(
            "reopen the reply",
            lambda conn: conn.fetchrow(_REOPEN, message_id, at, by, meta.to_json_text()),
        )
        return row_to_message(row) if row is not None else None

    async def message_versions(self, message_id: str) -> list[MessageVersion]:
        rows = await self._run(
            "read the earlier versions",
            lambda conn: conn.fetch(
                f"SELECT {VERSION_COLUMNS} FROM message_versions WHERE message_id = $1"
                " ORDER BY number",
                message_id,
            ),
        )
        return [row_to_version(row) for row in rows]
