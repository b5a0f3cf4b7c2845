"""Read positions on SQLite: the `read_marks` table, mixed into SQLiteStore."""

from __future__ import annotations

import sqlite3

import aiosqlite

from chat.store.base import StoreUnavailable
from chat.store.migrations import Migration

_NOW = "(julianday('now') - 2440587.5) * 86400.0"

READS_MIGRATIONS: list[Migration] = [
    (
        # Keyed by person id from the start (not by name key): a rename keeps what was read.
        "0016_read_marks",
        """
        CREATE TABLE read_marks (
            person_id TEXT NOT NULL,
            room TEXT NOT NULL,
            seq INTEGER NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (person_id, room)
        );
        """,
    ),
]
"""Appended to SQLiteStore's migrations after the people's."""

_MARK = f"""INSERT INTO read_marks (person_id, room, seq, updated_at) VALUES (?, ?, ?, {_NOW})
    ON CONFLICT (person_id, room) DO UPDATE
    SET seq = MAX(read_marks.seq, excluded.seq), updated_at = excluded.updated_at"""


class SQLiteReads:
    """ReadsStore over SQLiteStore's connection."""

    def _connection(self) -> aiosqlite.Connection:
        raise NotImplementedError  # SQLiteStore provides it

    async def mark_read(self, person_id: str, room: str, seq: int) -> int:
        try:
            async with self._connection().execute(
                f"{_MARK} RETURNING seq", (person_id, room, seq)
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not save what was read: {exc}") from exc
        return int(row[0]) if row is not None else seq

    async def mark_reads(self, marks: list[tuple[str, str, int]]) -> None:
        # One call, no transaction of our own: the connection is shared, and a ROLLBACK here
        # would undo whatever another task wrote meanwhile. In WAL mode with synchronous=NORMAL
        # each row's commit costs no sync to disk.
        try:
            await self._connection().executemany(_MARK, marks)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not save what was read: {exc}") from exc

    async def read_marks(self, person_id: str) -> dict[str, int]:
        try:
            async with self._connection().execute(
                "SELECT room, seq FROM read_marks WHERE person_id = ?", (person_id,)
            ) as cursor:
                return {row[0]: int(row[1]) async for row in cursor}
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not read what was read: {exc}") from exc
