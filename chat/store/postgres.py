"""PostgreSQL store on an asyncpg pool: one database shared by many server processes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from chat.blobs.postgres import BLOBS_MIGRATIONS
from chat.domain import Draft, Message, MessageStatus, Room
from chat.message_meta import MessageMeta
from chat.store.api_postgres import API_MIGRATIONS, PostgresApi
from chat.store.base import RoomTaken, StoreUnavailable
from chat.store.changes_postgres import CHANGES_MIGRATIONS, PostgresChanges
from chat.store.edits_postgres import EDITS_MIGRATIONS, PostgresEdits
from chat.store.member_migrations import POSTGRES as MEMBER_MIGRATIONS
from chat.store.migrations import Migration, pending
from chat.store.moderation_postgres import MODERATION_MIGRATIONS, PostgresModeration
from chat.store.people_postgres import PEOPLE_MIGRATIONS, PostgresPeople
from chat.store.reactions_postgres import REACTIONS_MIGRATIONS, PostgresReactions
from chat.store.reads_postgres import READS_MIGRATIONS, PostgresReads
from chat.store.replies_postgres import REPLIES_MIGRATIONS, PostgresReplies
from chat.store.rows import (
    COLUMNS,
    ROOM_COLUMNS,
    STORED_COLUMNS,
    draft_values,
    row_to_message,
    row_to_room,
)
from chat.store.search_postgres import SEARCH_MIGRATIONS, PostgresSearch

MIGRATIONS: list[Migration] = [
    (
        "0001_messages",
        """
        CREATE TABLE rooms (
            name TEXT PRIMARY KEY,
            last_seq BIGINT NOT NULL
        );
        CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            room TEXT NOT NULL,
            seq BIGINT NOT NULL,
            author TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            client_id TEXT,
            meta JSONB NOT NULL DEFAULT '{}',
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
        # The counter rows become rooms with a topic, a creator and their last activity.
        # What a single-room Confab stored is in `general` (its default room) and stays there.
        "0003_rooms",
        """
        ALTER TABLE rooms
            ALTER COLUMN last_seq SET DEFAULT 0,
            ADD COLUMN topic TEXT NOT NULL DEFAULT '',
            ADD COLUMN created_by TEXT NOT NULL DEFAULT '',
            ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            ADD COLUMN last_active_at TIMESTAMPTZ NOT NULL DEFAULT now();
        UPDATE rooms SET created_at = first, last_active_at = last
            FROM (SELECT room, MIN(created_at) AS first, MAX(created_at) AS last
                  FROM messages GROUP BY room) AS activity
            WHERE rooms.name = activity.room;
        INSERT INTO rooms (name) VALUES ('general') ON CONFLICT (name) DO NOTHING;
        CREATE INDEX rooms_by_activity ON rooms (last_active_at);
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
            added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
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
    *BLOBS_MIGRATIONS,
]

# Every process that starts takes this lock before migrating, so only one applies each step.
_MIGRATION_LOCK = 0x636F6E666162  # "confab"
_CONNECT_TIMEOUT = 5.0
_COMMAND_TIMEOUT = 10.0
_ACQUIRE_TIMEOUT = 10.0
_MIGRATION_LOCK_TIMEOUT = 120.0

Connection = asyncpg.Connection | PoolConnectionProxy
"""A connection as the pool lends it (a proxy) or as asyncpg.connect returns it."""

_FAILURES = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    asyncio.TimeoutError,
)
"""Everything that means "the database did not do it"."""

_CONNECTION_LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, ConnectionError)
"""A pooled connection that died while idle (e.g. PostgreSQL restarted) fails like this."""

_BUMP_SEQ = """
    INSERT INTO rooms (name, last_seq) VALUES ($1, 1)
    ON CONFLICT (name) DO UPDATE SET last_seq = rooms.last_seq + 1, last_active_at = now()
    RETURNING last_seq
"""
# meta travels as JSON text both ways (asyncpg's jsonb default); row_to_message parses it.
_INSERT = f"""
    INSERT INTO messages ({STORED_COLUMNS})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, NULL, NULL, $12)
    ON CONFLICT (room, client_id) WHERE client_id IS NOT NULL DO NOTHING
    RETURNING {COLUMNS}
"""
_BY_CLIENT_ID = f"SELECT {COLUMNS} FROM messages WHERE room = $1 AND client_id = $2"

T = TypeVar("T")


class _AlreadyStored(Exception):
    """Raised inside the insert transaction to undo the sequence bump of a duplicate."""


def _server(url: str) -> str:
    """host:port/database of `url`, without the password, for messages."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


class PostgresStore(
    PostgresPeople,
    PostgresModeration,
    PostgresApi,
    PostgresReads,
    PostgresEdits,
    PostgresSearch,
    PostgresReactions,
    PostgresChanges,
    PostgresReplies,
):
    """Store backed by PostgreSQL; room sequence numbers come from a locked counter row."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._where = _server(url)
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        try:
            # min_size=0: no background reconnect loop; the next call reconnects instead.
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=0,
                max_size=10,
                timeout=_CONNECT_TIMEOUT,
                command_timeout=_COMMAND_TIMEOUT,
            )
            async with self._pool.acquire(timeout=_ACQUIRE_TIMEOUT) as conn:
                await self._migrate(conn)
        except _FAILURES as exc:
            await self.close()
            raise self._unavailable("open the message store", exc) from exc
        except BaseException:
            await self.close()
            raise

    async def _migrate(self, conn: Connection) -> None:
        await conn.execute(
            "SELECT pg_advisory_lock($1)", _MIGRATION_LOCK, timeout=_MIGRATION_LOCK_TIMEOUT
        )
        try:
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS migrations (
                       name TEXT PRIMARY KEY,
                       applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"""
            )
            applied = {row["name"] for row in await conn.fetch("SELECT name FROM migrations")}
            for name, sql in pending(MIGRATIONS, applied):
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO migrations (name) VALUES ($1)", name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)

    async def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in this database, in order."""
        rows = await self._run(
            "read the migrations",
            lambda conn: conn.fetch('SELECT name FROM migrations ORDER BY name COLLATE "C"'),
        )
        return [row["name"] for row in rows]

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), _COMMAND_TIMEOUT)
        except _FAILURES:
            pool.terminate()

    def _unavailable(self, action: str, exc: BaseException) -> StoreUnavailable:
        detail = str(exc).strip() or "no answer"
        unreachable = isinstance(exc, (*_CONNECTION_LOST, OSError, asyncpg.CannotConnectNowError))
        problem = "is unreachable" if unreachable else "reported an error"
        return StoreUnavailable(
            f"could not {action}: PostgreSQL at {self._where} {problem} "
            f"({type(exc).__name__}: {detail[:200]})"
        )

    async def _run(self, action: str, work: Callable[[Connection], Awaitable[T]]) -> T:
        """Run `work` on a pooled connection; one that died while idle is replaced once.

        `work` must be safe to run twice: a read, an idempotent write, or a
        transaction that raises StoreUnavailable itself when its COMMIT was lost.
        """
        try:
            return await self._attempt(work)
        except _CONNECTION_LOST:
            pass  # most likely a stale pooled connection; a fresh one may well work
        except _FAILURES as exc:
            raise self._unavailable(action, exc) from exc
        try:
            return await self._attempt(work)
        except _FAILURES as exc:
            raise self._unavailable(action, exc) from exc

    async def _attempt(self, work: Callable[[Connection], Awaitable[T]]) -> T:
        if self._pool is None:
            raise StoreUnavailable("the message store is not open")
        async with self._pool.acquire(timeout=_ACQUIRE_TIMEOUT) as conn:
            return await work(conn)

    async def ping(self) -> None:
        await self._run("reach the database", lambda conn: conn.fetchval("SELECT 1", timeout=2.0))

    async def add_message(self, draft: Draft) -> Message:
        values = draft_values(draft)

        async def insert(conn: Connection) -> Any:
            committing = False
            try:
                async with conn.transaction():
                    # The counter row's lock orders concurrent inserts in one room.
                    seq = await conn.fetchval(_BUMP_SEQ, draft.room)
                    row = await conn.fetchrow(
                        _INSERT,
                        values["id"],
                        values["room"],
                        seq,
                        values["author"],
                        values["kind"],
                        values["status"],
                        values["text"],
                        values["created_at"],
                        values["client_id"],
                        values["meta"],
                        values["author_id"],
                        values["reply_to"],
                    )
                    if row is None:
                        raise _AlreadyStored
                    committing = True
                return row
            except _AlreadyStored:  # a retry of a message we already have; the bump is undone
                return await conn.fetchrow(_BY_CLIENT_ID, draft.room, draft.client_id)
            except _CONNECTION_LOST as exc:
                if committing and draft.client_id is None:
                    # Without a client_id a retry could store the message twice.
                    raise self._unavailable("confirm the message was saved", exc) from exc
                raise

        return row_to_message(await self._run("save the message", insert))

    async def update_message(
        self, message_id: str, text: str, status: MessageStatus, meta: MessageMeta
    ) -> Message:
        row = await self._run(
            "update the message",
            lambda conn: conn.fetchrow(
                # A tombstone stays empty: a reply deleted while it streamed may still finish.
                f"""UPDATE messages SET text = CASE WHEN deleted_by IS NULL THEN $1 ELSE '' END,
                        status = $2, meta = $3::jsonb
                    WHERE id = $4 RETURNING {COLUMNS}""",
                text,
                status.value,
                meta.to_json_text(),
                message_id,
            ),
        )
        if row is None:
            raise KeyError(message_id)
        return row_to_message(row)

    async def checkpoint_message(self, message_id: str, text: str) -> bool:
        # Idempotent, so _run may repeat it on a fresh connection.
        found = await self._run(
            "save the reply so far",
            lambda conn: conn.fetchval(
                """UPDATE messages SET text = $1 WHERE id = $2 AND status = 'streaming'
                   AND deleted_by IS NULL RETURNING id""",
                text,
                message_id,
            ),
        )
        return found is not None

    async def get_message(self, message_id: str) -> Message | None:
        rows = await self._select(f"SELECT {COLUMNS} FROM messages WHERE id = $1", message_id)
        return rows[0] if rows else None

    async def history(self, room: str, before_seq: int | None, limit: int) -> list[Message]:
        rows = await self._select(
            f"""SELECT {COLUMNS} FROM messages WHERE room = $1 AND seq < $2
                ORDER BY seq DESC LIMIT $3""",
            room,
            before_seq if before_seq is not None else 2**62,
            limit,
        )
        rows.reverse()
        return rows

    async def history_after(self, room: str, after_seq: int, limit: int) -> list[Message]:
        return await self._select(
            f"SELECT {COLUMNS} FROM messages WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            room,
            after_seq,
            limit,
        )

    async def count_messages(self) -> int:
        return await self._run(
            "count messages", lambda conn: conn.fetchval("SELECT COUNT(*) FROM messages")
        )

    async def file_attached(self, file_id: str) -> bool:
        # As on SQLite: a random 32-hex id found in meta is an attachment's (a scan, for few ids).
        found = await self._run(
            "look for a file's message",
            lambda conn: conn.fetchval(
                "SELECT 1 FROM messages WHERE strpos(meta::text, $1) > 0 LIMIT 1", file_id
            ),
        )
        return found is not None

    async def room_names(self) -> list[str]:
        return [room.name for room in await self._rooms('ORDER BY name COLLATE "C"')]

    async def create_room(self, room: Room, members: tuple[str, ...] = ()) -> Room:
        async def insert(conn: Connection) -> Any:
            async with conn.transaction():
                row = await conn.fetchrow(
                    f"""INSERT INTO rooms (last_seq, {ROOM_COLUMNS})
                        VALUES (0, $1, $2, $3, $4, $5, $6, $7)
                        ON CONFLICT (name) DO NOTHING RETURNING {ROOM_COLUMNS}""",
                    room.name,
                    room.topic,
                    room.created_by,
                    room.created_at,
                    room.last_active_at,
                    room.kind.value,
                    room.owner_id,
                )
                if row is not None and members:
                    await conn.executemany(
                        """INSERT INTO room_members (room, person_id, added_by) VALUES ($1, $2, $3)
                           ON CONFLICT DO NOTHING""",
                        [(room.name, member, room.owner_id or "") for member in members],
                    )
                return row

        row = await self._run("create the room", insert)
        if row is None:
            raise RoomTaken(room.name)
        return row_to_room(row)

    async def add_member(self, room: str, member: str, added_by: str) -> bool:
        added = await self._run(
            "add the member",
            lambda conn: conn.fetchval(
                """INSERT INTO room_members (room, person_id, added_by) VALUES ($1, $2, $3)
                   ON CONFLICT DO NOTHING RETURNING person_id""",
                room,
                member,
                added_by,
            ),
        )
        return added is not None

    async def is_member(self, room: str, member: str) -> bool:
        found = await self._run(
            "read the members",
            lambda conn: conn.fetchval(
                "SELECT 1 FROM room_members WHERE room = $1 AND person_id = $2", room, member
            ),
        )
        return found is not None

    async def get_room(self, name: str) -> Room | None:
        rooms = await self._rooms("WHERE name = $1", name)
        return rooms[0] if rooms else None

    async def list_rooms(self, member: str | None = None) -> list[Room]:
        if member is None:
            return await self._rooms('ORDER BY last_active_at DESC, name COLLATE "C"')
        return await self._rooms(
            """WHERE kind = 'public'
                  OR name IN (SELECT room FROM room_members WHERE person_id = $1)
               ORDER BY last_active_at DESC, name COLLATE "C"
            """,
            member,
        )

    async def _rooms(self, where: str, *params: Any) -> list[Room]:
        rows = await self._run(
            "read the rooms",
            lambda conn: conn.fetch(f"SELECT {ROOM_COLUMNS} FROM rooms {where}", *params),
        )
        return [row_to_room(row) for row in rows]

    async def unfinished_messages(self) -> list[Message]:
        # COLLATE "C" sorts rooms bytewise, as SQLite does.
        return await self._select(
            f"""SELECT {COLUMNS} FROM messages WHERE status = 'streaming'
                ORDER BY room COLLATE "C", seq"""
        )

    async def _select(self, sql: str, *params: Any) -> list[Message]:
        rows = await self._run("read messages", lambda conn: conn.fetch(sql, *params))
        return [row_to_message(row) for row in rows]
