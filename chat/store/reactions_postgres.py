"""Reactions on PostgreSQL: the `reactions` table and a version per message, mixed into PostgresStore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from chat.domain import Reactions
from chat.store.migrations import Migration
from chat.store.reactions import REACTIONS_ROW, summaries

REACTIONS_MIGRATIONS: list[Migration] = [
    (
        # The version orders summaries: each change bumps it after it is committed, and the
        # summary is read after the bump, so a higher version never shows less.
        "0017_reactions",
        """
        CREATE TABLE reactions (
            message_id TEXT NOT NULL,
            person_id TEXT NOT NULL,
            emoji TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (message_id, person_id, emoji)
        );
        CREATE TABLE reaction_versions (
            message_id TEXT PRIMARY KEY,
            version BIGINT NOT NULL
        );
        """,
    ),
]
"""Appended to PostgresStore's migrations after the read marks."""

_ADD = """INSERT INTO reactions (message_id, person_id, emoji) VALUES ($1, $2, $3)
    ON CONFLICT DO NOTHING"""
_REMOVE = "DELETE FROM reactions WHERE message_id = $1 AND person_id = $2 AND emoji = $3"
_BUMP = """INSERT INTO reaction_versions (message_id, version) VALUES ($1, 1)
    ON CONFLICT (message_id) DO UPDATE SET version = reaction_versions.version + 1"""
_SUMMARIES = f"""SELECT {REACTIONS_ROW} FROM (
        SELECT v.message_id, v.version, r.emoji, r.person_id, p.name, r.created_at
        FROM reaction_versions v
        LEFT JOIN reactions r ON r.message_id = v.message_id
        LEFT JOIN people p ON p.id = r.person_id
        WHERE v.message_id = ANY($1::text[])
    ) AS s ORDER BY message_id, created_at, person_id"""

T = TypeVar("T")


class PostgresReactions:
    """ReactionsStore over PostgresStore's pool."""

    async def _run(self, action: str, work: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # PostgresStore provides it

    async def set_reaction(
        self, message_id: str, person_id: str, emoji: str, present: bool
    ) -> Reactions:
        async def write(conn: Any) -> None:
            # Each statement commits on its own: change, then bump, then (below) read.
            await conn.execute(_ADD if present else _REMOVE, message_id, person_id, emoji)
            await conn.execute(_BUMP, message_id)

        await self._run("save the reaction", write)  # setting is idempotent; a second bump harmless
        return (await self.reactions_of([message_id]))[message_id]

    async def reactions_of(self, message_ids: list[str]) -> dict[str, Reactions]:
        if not message_ids:
            return {}
        rows = await self._run(
            "read the reactions", lambda conn: conn.fetch(_SUMMARIES, message_ids)
        )
        return summaries(rows)
