"""SQLite store on aiosqlite, in WAL mode: the zero-configuration default."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import aiosqlite

from chat.domain import Draft, Message, MessageStatus
from chat.store.base import StoreUnavailable
from chat.store.migrations import Migration, pending
from chat.store.rows import COLUMNS, draft_values, row_to_message

MIGRATIONS: list[Migration] = [
    (
        "0001_messages",
        """
        CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            room TEXT NOT NULL,
            seq INTEGER NOT NULL,
            author TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at REAL NOT NULL,
            client_id TEXT,
            meta TEXT NOT NULL DEFAULT '{}',
            UNIQUE (room, seq)
        );
        CREATE UNIQUE INDEX messages_room_client_id
            ON messages (room, client_id) WHERE client_id IS NOT NULL;
        """,
    ),
    (
        "0002_streaming_index",
        "CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';",
    ),
]


BUSY_TIMEOUT = 10.0
"""Seconds a statement waits for another connection's lock before failing."""

_NOW = "(julianday('now') - 2440587.5) * 86400.0"


async def _use_wal(db: aiosqlite.Connection) -> None:
    """Switch the file to WAL (it stays so), retrying while another opener holds it.

    Changing the journal mode needs the file to itself, and SQLite answers
    "locked" at once instead of waiting, whatever the busy timeout says.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)


def _statements(script: str) -> list[str]:
    """The SQL statements of a migration script, split where SQLite says each one ends."""
    statements, pending_text = [], ""
    for line in script.splitlines(keepends=True):
        pending_text += line
        if sqlite3.complete_statement(pending_text):
            statements.append(pending_text.strip())
            pending_text = ""
    if pending_text.strip():
        raise ValueError(f"incomplete SQL at the end of a migration: {pending_text.strip()[:60]!r}")
    return statements


def sqlite_path(url: str) -> Path:
    """The file named by sqlite:///relative.db or sqlite:////absolute.db."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite URL: {url!r} (expected sqlite:///path.db)")
    return Path(url[len("sqlite:///"):])


class SQLiteStore:
    """Store backed by one SQLite file; every write is its own transaction."""

    def __init__(self, url: str) -> None:
        self.path = sqlite_path(url)
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # timeout= is SQLite's busy timeout from the first statement on: several
        # processes opening one new file wait for each other's lock instead of failing.
        db = await aiosqlite.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT)
        try:
            db.row_factory = aiosqlite.Row
            await _use_wal(db)
            await db.execute("PRAGMA synchronous=NORMAL")
            self._db = db
            await self._migrate()
        except BaseException:
            self._db = None
            await db.close()
            raise

    async def _migrate(self) -> None:
        db = self._connection()
        # BEGIN IMMEDIATE takes the write lock before reading what is applied, so
        # two processes opening a new file at once cannot both run a migration.
        await db.execute("BEGIN IMMEDIATE")
        try:
            await db.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
            )
            async with db.execute("SELECT name FROM migrations") as cursor:
                applied = {row[0] async for row in cursor}
            for name, script in pending(MIGRATIONS, applied):
                for statement in _statements(script):
                    await db.execute(statement)
                await db.execute(f"INSERT INTO migrations VALUES (?, {_NOW})", (name,))
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise

    async def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in this database, in order."""
        async with self._connection().execute("SELECT name FROM migrations ORDER BY name") as cur:
            return [row[0] async for row in cur]

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    def _connection(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreUnavailable("the message store is not open")
        return self._db

    async def ping(self) -> None:
        try:
            await self._connection().execute("SELECT 1")
        except (sqlite3.Error, ValueError) as exc:
            raise StoreUnavailable(f"SQLite did not answer: {exc}") from exc

    async def add_message(self, draft: Draft) -> Message:
        values = draft_values(draft)
        values["created_at"] = values["created_at"].timestamp()
        db = self._connection()
        try:
            async with db.execute(
                f"""
                INSERT INTO messages ({COLUMNS})
                VALUES (:id, :room,
                        (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE room = :room),
                        :author, :kind, :status, :text, :created_at, :client_id, :meta)
                ON CONFLICT (room, client_id) WHERE client_id IS NOT NULL DO NOTHING
                RETURNING {COLUMNS}
                """,
                values,
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:  # a retry of a message we already have
                async with db.execute(
                    f"SELECT {COLUMNS} FROM messages WHERE room = ? AND client_id = ?",
                    (draft.room, draft.client_id),
                ) as cursor:
                    row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not save the message: {exc}") from exc
        return row_to_message(row)

    async def update_message(
        self, message_id: str, text: str, status: MessageStatus, meta: dict[str, str]
    ) -> Message:
        try:
            async with self._connection().execute(
                f"UPDATE messages SET text = ?, status = ?, meta = ? WHERE id = ? RETURNING {COLUMNS}",
                (text, status.value, json.dumps(meta, sort_keys=True), message_id),
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not update the message: {exc}") from exc
        if row is None:
            raise KeyError(message_id)
        return row_to_message(row)

    async def get_message(self, message_id: str) -> Message | None:
        rows = await self._select(f"SELECT {COLUMNS} FROM messages WHERE id = ?", (message_id,))
        return rows[0] if rows else None

    async def history(self, room: str, before_seq: int | None, limit: int) -> list[Message]:
        rows = await self._select(
            f"""SELECT {COLUMNS} FROM messages WHERE room = ? AND seq < ?
                ORDER BY seq DESC LIMIT ?""",
            (room, before_seq if before_seq is not None else 2**62, limit),
        )
        rows.reverse()
        return rows

    async def history_after(self, room: str, after_seq: int, limit: int) -> list[Message]:
        return await self._select(
            f"SELECT {COLUMNS} FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?",
            (room, after_seq, limit),
        )

    async def count_messages(self) -> int:
        async with self._connection().execute("SELECT COUNT(*) FROM messages") as cursor:
            (count,) = await cursor.fetchone()
        return count

    async def unfinished_messages(self) -> list[Message]:
        return await self._select(
            f"SELECT {COLUMNS} FROM messages WHERE status = 'streaming' ORDER BY room, seq", ()
        )

    async def _select(self, sql: str, params: tuple) -> list[Message]:
        try:
            async with self._connection().execute(sql, params) as cursor:
                return [row_to_message(row) async for row in cursor]
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not read messages: {exc}") from exc
