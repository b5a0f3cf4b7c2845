"""Reactions on SQLite: the `reactions` table and a version per message, mixed into SQLiteStore."""

from __future__ import annotations

import json
import sqlite3

import aiosqlite

from chat.domain import Reactions
from chat.store.base import StoreUnavailable
from chat.store.migrations import Migration
from chat.store.reactions import REACTIONS_ROW, summaries

_NOW = "(julianday('now') - 2440587.5) * 86400.0"

REACTIONS_MIGRATIONS: list[Migration] = [
    (
        # The version orders summaries: each change bumps it after it is written, and the
        # summary is read after the bump, so a higher version never shows less.
        "0017_reactions",
        """
        CREATE TABLE reactions (
            message_id TEXT NOT NULL,
            person_id TEXT NOT NULL,
            emoji TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (message_id, person_id, emoji)
        );
        CREATE TABLE reaction_versions (
            message_id TEXT PRIMARY KEY,
            version INTEGER NOT NULL
        );
        """,
    ),
]
"""Appended to SQLiteStore's migrations after the read marks."""

_ADD = f"""INSERT INTO reactions (message_id, person_id, emoji, created_at)
    VALUES (?, ?, ?, {_NOW}) ON CONFLICT DO NOTHING"""
_REMOVE = "DELETE FROM reactions WHERE message_id = ? AND person_id = ? AND emoji = ?"
_BUMP = """INSERT INTO reaction_versions (message_id, version) VALUES (?, 1)
    ON CONFLICT (message_id) DO UPDATE SET version = reaction_versions.version + 1"""
_SUMMARIES = f"""SELECT {REACTIONS_ROW} FROM (
        SELECT v.message_id, v.version, r.emoji, r.person_id, p.name, r.created_at, r.rowid AS n
        FROM reaction_versions v
        LEFT JOIN reactions r ON r.message_id = v.message_id
        LEFT JOIN people p ON p.id = r.person_id
        WHERE v.message_id IN (SELECT value FROM json_each(?))
    ) ORDER BY message_id, created_at, n"""


class SQLiteReactions:
    """ReactionsStore over SQLiteStore's connection."""

    def _connection(self) -> aiosqlite.Connection:
        raise NotImplementedError  # SQLiteStore provides it

    async def set_reaction(
        self, message_id: str, person_id: str, emoji: str, present: bool
    ) -> Reactions:
        # No transaction of our own on the shared connection (see SQLiteReads); the order
        # change, bump, read is what keeps versions and summaries in step.
        db = self._connection()
        try:
            await db.execute(_ADD if present else _REMOVE, (message_id, person_id, emoji))
            await db.execute(_BUMP, (message_id,))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not save the reaction: {exc}") from exc
        return (await self.reactions_of([message_id]))[message_id]

    async def reactions_of(self, message_ids: list[str]) -> dict[str, Reactions]:
        if not message_ids:
            return {}
        try:
            async with self._connection().execute(_SUMMARIES, (json.dumps(message_ids),)) as cursor:
                return summaries(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not read the reactions: {exc}") from exc
