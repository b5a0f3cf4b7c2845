"""Moderation on SQLite: tombstones, mutes, locks and the audit table, mixed into SQLiteStore."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from chat.audit import AuditEntry, ModerationState
from chat.domain import Message
from chat.store.base import StoreUnavailable
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
            until REAL NOT NULL,
            muted_by TEXT NOT NULL,
            PRIMARY KEY (room, person_id)
        );
        CREATE TABLE room_locks (
            room TEXT PRIMARY KEY,
            locked_by TEXT NOT NULL,
            locked_at REAL NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
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
"""Appended to SQLiteStore's migrations after the people's."""


class SQLiteModeration:
    """ModerationStore over SQLiteStore's connection."""

    def _connection(self) -> aiosqlite.Connection:
        raise NotImplementedError  # SQLiteStore provides it

    async def _mod_rows(self, action: str, sql: str, params: Any) -> list[sqlite3.Row]:
        try:
            async with self._connection().execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not {action}: {exc}") from exc

    async def _mod_write(self, action: str, sql: str, params: Any) -> int:
        try:
            async with self._connection().execute(sql, params) as cursor:
                return cursor.rowcount
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not {action}: {exc}") from exc

    async def delete_message(self, message_id: str, deleted_by: str) -> Message | None:
        rows = await self._mod_rows(
            "delete the message",
            f"""UPDATE messages SET text = '', deleted_by = ? WHERE id = ?
                RETURNING {COLUMNS}""",
            (deleted_by, message_id),
        )
        return row_to_message(rows[0]) if rows else None

    async def set_mute(self, room: str, person_id: str, until: datetime, muted_by: str) -> None:
        await self._mod_write(
            "mute",
            """INSERT INTO mutes (room, person_id, until, muted_by) VALUES (?, ?, ?, ?)
               ON CONFLICT (room, person_id)
               DO UPDATE SET until = excluded.until, muted_by = excluded.muted_by""",
            (room, person_id, until.timestamp(), muted_by),
        )

    async def clear_mute(self, room: str, person_id: str) -> bool:
        return bool(
            await self._mod_write(
                "unmute",
                "DELETE FROM mutes WHERE room = ? AND person_id = ?",
                (room, person_id),
            )
        )

    async def set_locked(self, room: str, locked: bool, by: str) -> bool:
        if locked:
            sql = """INSERT INTO room_locks (room, locked_by, locked_at) VALUES (?, ?, ?)
                     ON CONFLICT (room) DO NOTHING"""
            params: tuple = (room, by, datetime.now(UTC).timestamp())
        else:
            sql, params = "DELETE FROM room_locks WHERE room = ?", (room,)
        return bool(await self._mod_write("lock or unlock the room", sql, params))

    async def is_locked(self, room: str) -> bool:
        return bool(
            await self._mod_rows(
                "read the lock", "SELECT 1 FROM room_locks WHERE room = ?", (room,)
            )
        )

    async def moderation_state(self, now: datetime) -> ModerationState:
        locked = await self._mod_rows("read the locks", "SELECT room FROM room_locks", ())
        mutes = await self._mod_rows(
            "read the mutes",
            "SELECT room, person_id, until FROM mutes WHERE until > ?",
            (now.timestamp(),),
        )
        banned = await self._mod_rows("read the bans", "SELECT id FROM people WHERE banned", ())
        return ModerationState(
            locked=frozenset(row[0] for row in locked),
            muted_until={(row[0], row[1]): datetime.fromtimestamp(row[2], UTC) for row in mutes},
            banned=frozenset(row[0] for row in banned),
        )

    async def remove_member(self, room: str, member: str) -> bool:
        return bool(
            await self._mod_write(
                "remove the member",
                "DELETE FROM room_members WHERE room = ? AND person_id = ?",
                (room, member),
            )
        )

    async def add_audit(self, entry: AuditEntry) -> None:
        values = list(audit_values(entry))
        values[0] = entry.at.timestamp()
        await self._mod_write(
            "record the action",
            f"INSERT INTO audit ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        rows = await self._mod_rows(
            "read the audit",
            f"SELECT {AUDIT_COLUMNS} FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [row_to_audit(row) for row in rows]
