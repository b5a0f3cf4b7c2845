"""Read positions on PostgreSQL: the `read_marks` table, mixed into PostgresStore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from chat.store.migrations import Migration

READS_MIGRATIONS: list[Migration] = [
    (
        # Keyed by person id from the start (not by name key): a rename keeps what was read.
        "0016_read_marks",
        """
        CREATE TABLE read_marks (
            person_id TEXT NOT NULL,
            room TEXT NOT NULL,
            seq BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (person_id, room)
        );
        """,
    ),
]
"""Appended to PostgresStore's migrations after the people's."""

_MARK = """INSERT INTO read_marks (person_id, room, seq) VALUES ($1, $2, $3)
    ON CONFLICT (person_id, room) DO UPDATE
    SET seq = GREATEST(read_marks.seq, excluded.seq), updated_at = now()"""

T = TypeVar("T")


class PostgresReads:
    """ReadsStore over PostgresStore's pool."""

    async def _run(self, action: str, work: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # PostgresStore provides it

    async def mark_read(self, person_id: str, room: str, seq: int) -> int:
        # Idempotent (it only moves forward), so _run may safely try it twice.
        position = await self._run(
            "save what was read",
            lambda conn: conn.fetchval(
                f"{_MARK} RETURNING seq",
                person_id,
                room,
                seq,
            ),
        )
        return int(position)

    async def mark_reads(self, marks: list[tuple[str, str, int]]) -> None:
        async def write(conn: Any) -> None:
            async with conn.transaction():
                await conn.executemany(_MARK, marks)

        await self._run("save what was read", write)  # only forward: safe to run twice

    async def read_marks(self, person_id: str) -> dict[str, int]:
        rows = await self._run(
            "read what was read",
            lambda conn: conn.fetch(
                "SELECT room, seq FROM read_marks WHERE person_id = $1", person_id
            ),
        )
        return {row["room"]: int(row["seq"]) for row in rows}
