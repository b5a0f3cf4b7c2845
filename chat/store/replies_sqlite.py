"""Replies on SQLite: `messages.reply_to` and its index, mixed into SQLiteStore."""

from __future__ import annotations

import json
import sqlite3

import aiosqlite

from chat.domain import Message
from chat.store.base import StoreUnavailable
from chat.store.migrations import Migration
from chat.store.rows import COLUMNS, row_to_message

REPLIES_MIGRATIONS: list[Migration] = [
    (
        # No foreign key: a message is never removed (a deletion leaves a tombstone), and the
        # service checks the original is in the same room before a reply is stored.
        "0023_replies",
        """
        ALTER TABLE messages ADD COLUMN reply_to TEXT;
        CREATE INDEX messages_reply_to ON messages (reply_to, seq) WHERE reply_to IS NOT NULL;
        """,
    ),
]
"""Appended to SQLiteStore's migrations after the change stamps."""

_COUNTS = """SELECT reply_to, COUNT(*) AS n FROM messages
    WHERE reply_to IN (SELECT value FROM json_each(?)) GROUP BY reply_to"""
_REPLIES = f"""SELECT {COLUMNS} FROM messages WHERE reply_to = ? AND (? IS NULL OR seq < ?)
    ORDER BY seq DESC LIMIT ?"""


class SQLiteReplies:
    """RepliesStore over SQLiteStore's connection."""

    def _connection(self) -> aiosqlite.Connection:
        raise NotImplementedError  # SQLiteStore provides it

    async def reply_counts(self, message_ids: list[str]) -> dict[str, int]:
        if not message_ids:
            return {}
        try:
            async with self._connection().execute(_COUNTS, (json.dumps(message_ids),)) as cursor:
                return {row["reply_to"]: int(row["n"]) for row in await cursor.fetchall()}
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not count the replies: {exc}") from exc

    async def replies_to(
        self, message_id: str, limit: int, before_seq: int | None = None
    ) -> list[Message]:
        try:
            wanted = (message_id, before_seq, before_seq, limit)
            async with self._connection().execute(_REPLIES, wanted) as cursor:
                return [row_to_message(row) for row in await cursor.fetchall()][::-1]
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not read the replies: {exc}") from exc
