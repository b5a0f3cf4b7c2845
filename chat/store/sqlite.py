"""SQLite store on aiosqlite, in WAL mode: the zero-configuration default."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import aiosqlite

from chat.domain import Draft, Message, MessageStatus, Room
from chat.message_meta import MessageMeta
from chat.store.api_sqlite import API_MIGRATIONS, SQLiteApi
from chat.store.base import RoomTaken, StoreUnavailable
from chat.store.changes_sqlite import CHANGES_MIGRATIONS, SQLiteChanges
from chat.store.edits_sqlite import EDITS_MIGRATIONS, SQLiteEdits
from chat.store.member_migrations import SQLITE as MEMBER_MIGRATIONS
from chat.store.migrations import Migration, pending
from chat.store.moderation_sqlite import MODERATION_MIGRATIONS, SQLiteModeration
from chat.store.people_sqlite import PEOPLE_MIGRATIONS, SQLitePeople
from chat.store.reactions_sqlite import REACTIONS_MIGRATIONS, SQLiteReactions
from chat.store.reads_sqlite import READS_MIGRATIONS, SQLiteReads
from chat.store.replies_sqlite import REPLIES_MIGRATIONS, SQLiteReplies
from chat.store.rows import (
    COLUMNS,
    ROOM_COLUMNS,
    STORED_COLUMNS,
    draft_values,
    row_to_message,
    row_to_room,
)
from chat.store.search_sqlite import SEARCH_MIGRATIONS, SQLiteSearch

_NOW = "(julianday('now') - 2440587.5) * 86400.0"

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
    (
        # Rooms get a row of their own; a message posted into a room without one makes it,
        # and every message marks its room active. What a single-room Confab stored is in
        # `general` (its default room) and stays there.
        "0003_rooms",
        f"""
        CREATE TABLE rooms (
            name TEXT PRIMARY KEY,
            topic TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            last_active_at REAL NOT NULL
        );
        INSERT INTO rooms (name, created_at, last_active_at)
            SELECT room, MIN(created_at), MAX(created_at) FROM messages GROUP BY room;
        INSERT INTO rooms (name, created_at, last_active_at) VALUES ('general', {_NOW}, {_NOW})
            ON CONFLICT (name) DO NOTHING;
        CREATE INDEX rooms_by_activity ON rooms (last_active_at);
        CREATE TRIGGER messages_mark_room_active AFTER INSERT ON messages
        BEGIN
            INSERT INTO rooms (name, created_at, last_active_at)
                VALUES (NEW.room, NEW.created_at, NEW.created_at)
                ON CONFLICT (name) DO UPDATE SET last_active_at = excluded.last_active_at;
        END;
        """,
    ),
    (
        # Private rooms: seen only by their members (name keys here; person ids from 0015).
        "0004_private_rooms",
        """
        ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'public';
        CREATE TABLE room_members (
            room TEXT NOT NULL REFERENCES rooms (name),
            member TEXT NOT NULL,
            added_by TEXT NOT NULL DEFAULT '',
            added_at REAL NOT NULL,
            PRIMARY KEY (room, member)
        );
        CREATE INDEX room_members_by_member ON room_members (member);
        """,
    ),
    *PEOPLE_MIGRATIONS,
    *MODERATION_MIGRATIONS,
    *API_MIGRATIONS,
    *MEMBER_MIGRATIONS,
    *READS_MIGRATIONS,
    *REACTIONS_MIGRATIONS,
    *EDITS_MIGRATIONS,
    *SEARCH_MIGRATIONS,
    *CHANGES_MIGRATIONS,
    *REPLIES_MIGRATIONS,
]


BUSY_TIMEOUT = 10.0
"""Seconds a statement waits for another connection's lock before failing."""


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
    return Path(url[len("sqlite:///") :])


class SQLiteStore(
    SQLitePeople,
    SQLiteModeration,
    SQLiteApi,
    SQLiteReads,
    SQLiteEdits,
    SQLiteSearch,
    SQLiteReactions,
    SQLiteChanges,
    SQLiteReplies,
):
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
                INSERT INTO messages ({STORED_COLUMNS})
                VALUES (:id, :room,
                        (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE room = :room),
                        :author, :kind, :status, :text, :created_at, :client_id, :meta,
                        :author_id, NULL, NULL, :reply_to)
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
        assert row is not None  # the conflicting row exists: messages are never deleted
        return row_to_message(row)

    async def update_message(
        self, message_id: str, text: str, status: MessageStatus, meta: MessageMeta
    ) -> Message:
        try:
            async with self._connection().execute(
                # A tombstone stays empty: a reply deleted while it streamed may still finish.
                f"""UPDATE messages SET text = CASE WHEN deleted_by IS NULL THEN ? ELSE '' END,
                        status = ?, meta = ? WHERE id = ? RETURNING {COLUMNS}""",
                (text, status.value, meta.to_json_text(), message_id),
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not update the message: {exc}") from exc
        if row is None:
            raise KeyError(message_id)
        return row_to_message(row)

    async def checkpoint_message(self, message_id: str, text: str) -> bool:
        try:
            async with self._connection().execute(
                """UPDATE messages SET text = ? WHERE id = ? AND status = 'streaming'
                   AND deleted_by IS NULL RETURNING id""",
                (text, message_id),
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not save the reply so far: {exc}") from exc
        return row is not None

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
        try:
            async with self._connection().execute("SELECT COUNT(*) FROM messages") as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not count messages: {exc}") from exc
        return int(row[0]) if row is not None else 0

    async def file_attached(self, file_id: str) -> bool:
        # File ids are 32 random hex digits: found anywhere in meta, they are an attachment's.
        # A scan, but only for the few uploads the sweep finds unsent (chat/upload_sweep.py).
        try:
            async with self._connection().execute(
                "SELECT 1 FROM messages WHERE instr(meta, ?) > 0 LIMIT 1", (file_id,)
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not look for a file's message: {exc}") from exc
        return row is not None

    async def room_names(self) -> list[str]:
        return [room.name for room in await self._rooms("ORDER BY name", ())]

    async def create_room(self, room: Room, members: tuple[str, ...] = ()) -> Room:
        db = self._connection()
        try:
            await db.execute("BEGIN IMMEDIATE")
            try:
                async with db.execute(
                    f"""INSERT INTO rooms ({ROOM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (name) DO NOTHING RETURNING {ROOM_COLUMNS}""",
                    (
                        room.name,
                        room.topic,
                        room.created_by,
                        room.created_at.timestamp(),
                        room.last_active_at.timestamp(),
                        room.kind.value,
                        room.owner_id,
                    ),
                ) as cursor:
                    row = await cursor.fetchone()
                for member in members if row is not None else ():
                    await db.execute(
                        f"INSERT INTO room_members VALUES (?, ?, ?, {_NOW}) ON CONFLICT DO NOTHING",
                        (room.name, member, room.owner_id or ""),
                    )
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not create the room: {exc}") from exc
        if row is None:
            raise RoomTaken(room.name)
        return row_to_room(row)

    async def add_member(self, room: str, member: str, added_by: str) -> bool:
        try:
            async with self._connection().execute(
                f"""INSERT INTO room_members VALUES (?, ?, ?, {_NOW})
                    ON CONFLICT DO NOTHING RETURNING person_id""",
                (room, member, added_by),
            ) as cursor:
                return await cursor.fetchone() is not None
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not add the member: {exc}") from exc

    async def is_member(self, room: str, member: str) -> bool:
        try:
            async with self._connection().execute(
                "SELECT 1 FROM room_members WHERE room = ? AND person_id = ?", (room, member)
            ) as cursor:
                return await cursor.fetchone() is not None
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not read the members: {exc}") from exc

    async def get_room(self, name: str) -> Room | None:
        rooms = await self._rooms("WHERE name = ?", (name,))
        return rooms[0] if rooms else None

    async def list_rooms(self, member: str | None = None) -> list[Room]:
        if member is None:
            return await self._rooms("ORDER BY last_active_at DESC, name", ())
        return await self._rooms(
            """WHERE kind = 'public'
                  OR name IN (SELECT room FROM room_members WHERE person_id = ?)
               ORDER BY last_active_at DESC, name""",
            (member,),
        )

    async def _rooms(self, where: str, params: tuple) -> list[Room]:
        try:
            async with self._connection().execute(
                f"SELECT {ROOM_COLUMNS} FROM rooms {where}", params
            ) as cursor:
                return [row_to_room(row) async for row in cursor]
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not read the rooms: {exc}") from exc

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
