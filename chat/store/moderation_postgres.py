"""Moderation on PostgreSQL: tombstones, mutes, locks and the audit table, mixed into PostgresStore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from chat.audit import AuditEntry, ModerationState
from chat.domain import Message
from chat.store.migrations import Migration
from chat.store.moderation_rows import AUDIT_COLUMNS, audit_values, row_to_audit
from chat.store.rows import COLUMNS, row_to_message

MODERATION_MIGRATIONS: list[Migration] = [
    (
        "0013_moderation",
        """
        ALTER TABLE messages ADD COLUMN deleted_by TEXT;
        CREATE TABLE mutes (
            room TEXT NOT NULL,
            person_id TEXT NOT NULL,
            until TIMESTAMPTZ NOT NULL,
            muted_by TEXT NOT NULL,
            PRIMARY KEY (room, person_id)
        );
        CREATE TABLE room_locks (
            room TEXT PRIMARY KEY,
            locked_by TEXT NOT NULL,
            locked_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE audit (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at TIMESTAMPTZ NOT NULL,
            actor_id TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target_id TEXT NOT NULL,
            target TEXT NOT NULL,
            room TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT ''
        );
        """,
    ),
]
"""Appended to PostgresStore's migrations after the people's."""

T = TypeVar("T")


class PostgresModeration:
    """ModerationStore over PostgresStore's pool."""

    async def _run(self, action: str, work: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # PostgresStore provides it

    async def delete_message(self, message_id: str, deleted_by: str) -> Message | None:
        row = await self._run(
            "delete the message",
            lambda conn: conn.fetchrow(
                f"""UPDATE messages SET text = '', deleted_by = $1 WHERE id = $2
                    RETURNING {COLUMNS}""",
                deleted_by,
                message_id,
            ),
        )
        return row_to_message(row) if row is not None else None

    async def set_mute(self, room: str, person_id: str, until: datetime, muted_by: str) -> None:
        await self._run(
            "mute",
            lambda conn: conn.execute(
                """INSERT INTO mutes (room, person_id, until, muted_by) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (room, person_id)
                   DO UPDATE SET until = excluded.until, muted_by = excluded.muted_by""",
                room,
                person_id,
                until,
                muted_by,
            ),
        )

    async def clear_mute(self, room: str, person_id: str) -> bool:
        status = await self._run(
            "unmute",
            lambda conn: conn.execute(
                "DELETE FROM mutes WHERE room = $1 AND person_id = $2", room, person_id
            ),
        )
        return status != "DELETE 0"

    async def set_locked(self, room: str, locked: bool, by: str) -> bool:
        if locked:
            status = await self._run(
                "lock the room",
                lambda conn: conn.execute(
                    """INSERT INTO room_locks (room, locked_by) VALUES ($1, $2)
                       ON CONFLICT (room) DO NOTHING""",
                    room,
                    by,
                ),
            )
            return status != "INSERT 0 0"
        status = await self._run(
            "unlock the room",
            lambda conn: conn.execute("DELETE FROM room_locks WHERE room = $1", room),
        )
        return status != "DELETE 0"

    async def is_locked(self, room: str) -> bool:
        found = await self._run(
            "read the lock",
            lambda conn: conn.fetchval("SELECT 1 FROM room_locks WHERE room = $1", room),
        )
        return found is not None

    async def moderation_state(self, now: datetime) -> ModerationState:
        async def read(conn: Any) -> ModerationState:
            locked = await conn.fetch("SELECT room FROM room_locks")
            mutes = await conn.fetch(
                "SELECT room, person_id, until FROM mutes WHERE until > $1", now
            )
            banned = await conn.fetch("SELECT id FROM people WHERE banned")
            return ModerationState(
                locked=frozenset(row["room"] for row in locked),
                muted_until={(row["room"], row["person_id"]): row["until"] for row in mutes},
                banned=frozenset(row["id"] for row in banned),
            )

        return await self._run("read the moderation state", read)

    async def remove_member(self, room: str, member: str) -> bool:
        status = await self._run(
            "remove the member",
            lambda conn: conn.execute(
                "DELETE FROM room_members WHERE room = $1 AND person_id = $2", room, member
            ),
        )
        return status != "DELETE 0"

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._run(
            "record the action",
            lambda conn: conn.execute(
                f"INSERT INTO audit ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                *audit_values(entry),
            ),
        )

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        rows = await self._run(
            "read the audit",
            lambda conn: conn.fetch(
                f"SELECT {AUDIT_COLUMNS} FROM audit ORDER BY id DESC LIMIT $1", limit
            ),
        )
        return [row_to_audit(row) for row in rows]
