"""PostgreSQL store on an asyncpg pool: one database shared by many server processes."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable, TypeVar
from urllib.parse import urlsplit

import asyncpg

from chat.domain import Draft, Message, MessageStatus
from chat.store.base import StoreUnavailable
from chat.store.migrations import Migration, pending
from chat.store.rows import COLUMNS, draft_values, row_to_message

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
]

# Every process that starts takes this lock before migrating, so only one applies each step.
_MIGRATION_LOCK = 0x636F6E666162  # "confab"
_CONNECT_TIMEOUT = 5.0
_COMMAND_TIMEOUT = 10.0
_ACQUIRE_TIMEOUT = 10.0
_MIGRATION_LOCK_TIMEOUT = 120.0

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
    ON CONFLICT (name) DO UPDATE SET last_seq = rooms.last_seq + 1
    RETURNING last_seq
"""
# meta travels as JSON text both ways (asyncpg's jsonb default); row_to_message parses it.
_INSERT = f"""
    INSERT INTO messages ({COLUMNS})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
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


class PostgresStore:
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

    async def _migrate(self, conn: asyncpg.Connection) -> None:
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

    async def _run(self, action: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
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

    async def _attempt(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        if self._pool is None:
            raise StoreUnavailable("the message store is not open")
        async with self._pool.acquire(timeout=_ACQUIRE_TIMEOUT) as conn:
            return await work(conn)

    async def ping(self) -> None:
        await self._run("reach the database", lambda conn: conn.fetchval("SELECT 1", timeout=2.0))

    async def add_message(self, draft: Draft) -> Message:
        values = draft_values(draft)

        async def insert(conn: asyncpg.Connection) -> Any:
            committing = False
            try:
                async with conn.transaction():
                    # The counter row's lock orders concurrent inserts in one room.
                    seq = await conn.fetchval(_BUMP_SEQ, draft.room)
                    row = await conn.fetchrow(
                        _INSERT,
                        values["id"], values["room"], seq, values["author"], values["kind"],
                        values["status"], values["text"], values["created_at"],
                        values["client_id"], values["meta"],
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
        self, message_id: str, text: str, status: MessageStatus, meta: dict[str, str]
    ) -> Message:
        row = await self._run(
            "update the message",
            lambda conn: conn.fetchrow(
                f"""UPDATE messages SET text = $1, status = $2, meta = $3::jsonb
                    WHERE id = $4 RETURNING {COLUMNS}""",
                text, status.value, json.dumps(meta, sort_keys=True), message_id,
            ),
        )
        if row is None:
            raise KeyError(message_id)
        return row_to_message(row)

    async def get_message(self, message_id: str) -> Message | None:
        rows = await self._select(f"SELECT {COLUMNS} FROM messages WHERE id = $1", message_id)
        return rows[0] if rows else None

    async def history(self, room: str, before_seq: int | None, limit: int) -> list[Message]:
        rows = await self._select(
            f"""SELECT {COLUMNS} FROM messages WHERE room = $1 AND seq < $2
                ORDER BY seq DESC LIMIT $3""",
            room, before_seq if before_seq is not None else 2**62, limit,
        )
        rows.reverse()
        return rows

    async def history_after(self, room: str, after_seq: int, limit: int) -> list[Message]:
        return await self._select(
            f"SELECT {COLUMNS} FROM messages WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            room, after_seq, limit,
        )

    async def count_messages(self) -> int:
        return await self._run(
            "count messages", lambda conn: conn.fetchval("SELECT COUNT(*) FROM messages")
        )

    async def unfinished_messages(self) -> list[Message]:
        # COLLATE "C" sorts rooms bytewise, as SQLite does.
        return await self._select(
            f"""SELECT {COLUMNS} FROM messages WHERE status = 'streaming'
                ORDER BY room COLLATE "C", seq"""
        )

    async def _select(self, sql: str, *params: Any) -> list[Message]:
        rows = await self._run("read messages", lambda conn: conn.fetch(sql, *params))
        return [row_to_message(row) for row in rows]
