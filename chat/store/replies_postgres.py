"""Replies on PostgreSQL: `messages.reply_to` and its index, mixed into PostgresStore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from chat.domain import Message
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
"""Appended to PostgresStore's migrations after the change stamps."""

_COUNTS = """SELECT reply_to, COUNT(*) AS n FROM messages
    WHERE reply_to = ANY($1::text[]) GROUP BY reply_to"""
_REPLIES = f"""SELECT {COLUMNS} FROM messages WHERE reply_to = $1
    AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3"""

T = TypeVar("T")


class PostgresReplies:
    """RepliesStore over PostgresStore's pool."""

    async def _run(self, action: str, work: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # PostgresStore provides it

    async def reply_counts(self, message_ids: list[str]) -> dict[str, int]:
        if not message_ids:
            return {}
        rows = await self._run("count the replies", lambda conn: conn.fetch(_COUNTS, message_ids))
        return {row["reply_to"]: int(row["n"]) for row in rows}

    async def replies_to(
        self, message_id: str, limit: int, before_seq: int | None = None
    ) -> list[Message]:
        rows = await self._run(
            "read the replies", lambda conn: conn.fetch(_REPLIES, message_id, before_seq, limit)
        )
        return [row_to_message(row) for row in reversed(rows)]
