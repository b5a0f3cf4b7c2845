"""One set of Store tests, run against a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import pytest_asyncio

from chat.domain import Draft, MessageKind, MessageStatus
from chat.message_meta import MessageMeta
from chat.store import StoreUnavailable, open_store
from chat.store import sqlite as sqlite_backend
from tests.servers import (
    execute_sql,
    pg_ctl,
    postgres_admin_url,
    servers_in_use,
    servers_outage,
    why_pg_cannot_restart,
)

ROOM = "general"


class SQLiteBackend:
    """A fresh SQLite file under the test's tmp_path."""

    name = "sqlite"
    migrations = sqlite_backend.MIGRATIONS

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "chat.db"
        self.url = f"sqlite:///{self.path}"

    async def record_unknown_migration(self, name: str) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute("INSERT INTO migrations VALUES (?, 0)", (name,))

    async def drop(self) -> None:
        return None


class PostgresBackend:
    """A fresh schema in the test database, dropped afterwards."""

    name = "postgres"

    def __init__(self, admin_url: str) -> None:
        from chat.store import postgres

        self.migrations = postgres.MIGRATIONS
        self.admin_url = admin_url
        self.schema = f"confab_test_{uuid.uuid4().hex[:12]}"
        # asyncpg passes unknown URL parameters on as server settings.
        self.url = f"{admin_url}?search_path={self.schema}"

    async def create(self) -> None:
        await execute_sql(self.admin_url, f"CREATE SCHEMA {self.schema}")

    async def record_unknown_migration(self, name: str) -> None:
        await execute_sql(
            self.admin_url, f"INSERT INTO {self.schema}.migrations (name) VALUES ($1)", name
        )

    async def drop(self) -> None:
        await execute_sql(self.admin_url, f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


class Stores:
    """Opens stores on one backend and closes them all when the test ends."""

    def __init__(self, backend: SQLiteBackend | PostgresBackend) -> None:
        self.backend = backend
        self.opened: list = []

    async def open(self):
        store = open_store(self.backend.url)
        await store.open()
        self.opened.append(store)
        return store

    async def close_all(self) -> None:
        for store in self.opened:
            await store.close()


async def _make_backend(kind: str, tmp_path: Path) -> SQLiteBackend | PostgresBackend:
    if kind == "sqlite":
        return SQLiteBackend(tmp_path)
    backend = PostgresBackend(await postgres_admin_url())
    await backend.create()
    return backend


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def stores(request, tmp_path):
    # No other test run on this machine stops PostgreSQL in the middle of this test.
    async with servers_in_use() if request.param == "postgres" else contextlib.nullcontext():
        backend = await _make_backend(request.param, tmp_path)
        opened = Stores(backend)
        try:
            yield opened
        finally:
            await opened.close_all()
            await backend.drop()


@pytest_asyncio.fixture
async def store(stores):
    return await stores.open()


def draft(text: str, room: str = ROOM, **fields) -> Draft:
    return Draft(room=room, author=fields.pop("author", "ann"), text=text, **fields)


def seqs(messages) -> list[int]:
    return [message.seq for message in messages]


@pytest.mark.asyncio
async def test_sequence_numbers_count_from_one_in_each_room(store):
    numbered = []
    for i in range(5):
        numbered.append(await store.add_message(draft(f"a{i}", room="a")))
        if i < 3:
            numbered.append(await store.add_message(draft(f"b{i}", room="b")))
    assert [m.seq for m in numbered if m.room == "a"] == [1, 2, 3, 4, 5]
    assert [m.seq for m in numbered if m.room == "b"] == [1, 2, 3]
    assert len({m.id for m in numbered}) == 8


@pytest.mark.asyncio
async def test_concurrent_adds_get_every_sequence_number_once(store):
    added = await asyncio.gather(*(store.add_message(draft(f"m{i}")) for i in range(50)))
    assert sorted(seqs(added)) == list(range(1, 51))
    assert seqs(await store.history(ROOM, None, 100)) == list(range(1, 51))
    assert await store.count_messages() == 50


@pytest.mark.asyncio
async def test_repeated_client_id_returns_the_stored_message(store):
    first = await store.add_message(draft("hello", client_id="c-1"))
    again = await store.add_message(draft("hello, edited retry", client_id="c-1"))
    assert again == first
    assert await store.count_messages() == 1
    # The retry must not use up a sequence number.
    assert (await store.add_message(draft("next"))).seq == 2
    # client ids are per room.
    elsewhere = await store.add_message(draft("hello", room="other", client_id="c-1"))
    assert (elsewhere.room, elsewhere.seq) == ("other", 1)
    assert elsewhere.id != first.id


@pytest.mark.asyncio
async def test_concurrent_duplicates_store_one_message_without_gaps(store):
    duplicates = [store.add_message(draft(f"try {i}", client_id="same")) for i in range(20)]
    others = [store.add_message(draft(f"other {i}")) for i in range(10)]
    interleaved = [task for pair in zip(duplicates, others) for task in pair] + duplicates[10:]
    results = await asyncio.gather(*interleaved)
    stored = [m for m in results if m.client_id == "same"]
    assert len(stored) == 20 and len({m.id for m in stored}) == 1
    assert len({(m.seq, m.text) for m in stored}) == 1
    assert await store.count_messages() == 11
    assert seqs(await store.history(ROOM, None, 100)) == list(range(1, 12))
    assert (await store.add_message(draft("after"))).seq == 12


@pytest.mark.asyncio
async def test_history_pages_back_oldest_first(store):
    for i in range(1, 26):
        await store.add_message(draft(f"m{i}"))
        await store.add_message(draft(f"noise {i}", room="elsewhere"))
    newest = await store.history(ROOM, None, 10)
    assert seqs(newest) == list(range(16, 26))
    assert [m.text for m in newest] == [f"m{i}" for i in range(16, 26)]
    assert seqs(await store.history(ROOM, 16, 10)) == list(range(6, 16))
    assert seqs(await store.history(ROOM, 6, 10)) == [1, 2, 3, 4, 5]
    assert await store.history(ROOM, 1, 10) == []
    assert await store.history("empty", None, 10) == []


@pytest.mark.asyncio
async def test_history_after_returns_what_came_later(store):
    for i in range(1, 26):
        await store.add_message(draft(f"m{i}"))
    await store.add_message(draft("noise", room="elsewhere"))
    assert seqs(await store.history_after(ROOM, 20, 100)) == [21, 22, 23, 24, 25]
    assert seqs(await store.history_after(ROOM, 0, 3)) == [1, 2, 3]
    assert await store.history_after(ROOM, 25, 100) == []


@pytest.mark.asyncio
async def test_get_message_round_trips_every_field(store):
    before = datetime.now(timezone.utc)
    added = await store.add_message(
        draft("hi **there**", author="bot", kind=MessageKind.BOT,
              status=MessageStatus.STREAMING, client_id="k", meta=MessageMeta(node="m", asked_by="2"))
    )
    loaded = await store.get_message(added.id)
    assert loaded == added
    assert (loaded.author, loaded.kind) == ("bot", MessageKind.BOT)
    assert (loaded.status, loaded.client_id) == (MessageStatus.STREAMING, "k")
    assert (loaded.text, loaded.meta) == ("hi **there**", MessageMeta(node="m", asked_by="2"))
    slack = timedelta(seconds=1)
    assert before - slack <= loaded.created_at <= datetime.now(timezone.utc) + slack
    assert await store.get_message("no-such-id") is None


@pytest.mark.asyncio
async def test_update_message_replaces_text_status_and_meta(store):
    reply = await store.add_message(
        draft("", author="bot", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    )
    updated = await store.update_message(reply.id, "answer", MessageStatus.DONE, MessageMeta(error="3"))
    assert (updated.id, updated.seq, updated.room) == (reply.id, reply.seq, reply.room)
    assert (updated.text, updated.status) == ("answer", MessageStatus.DONE)
    assert updated.meta == MessageMeta(error="3")
    assert await store.get_message(reply.id) == updated
    with pytest.raises(KeyError):
        await store.update_message("no-such-id", "x", MessageStatus.DONE, MessageMeta())


@pytest.mark.asyncio
async def test_count_messages_counts_every_room(store):
    assert await store.count_messages() == 0
    for room in ("a", "b", "a"):
        await store.add_message(draft("x", room=room))
    assert await store.count_messages() == 3


@pytest.mark.asyncio
async def test_unfinished_messages_are_the_streaming_ones(store):
    streaming = dict(author="bot", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    await store.add_message(draft("done"))
    b1 = await store.add_message(draft("", room="b", **streaming))
    a2 = await store.add_message(draft("", room="a", **streaming))
    a3 = await store.add_message(draft("", room="a", **streaming))
    assert [m.id for m in await store.unfinished_messages()] == [a2.id, a3.id, b1.id]
    await store.update_message(a2.id, "finished", MessageStatus.DONE, MessageMeta())
    await store.update_message(b1.id, "cut off", MessageStatus.INTERRUPTED, MessageMeta())
    assert [m.id for m in await store.unfinished_messages()] == [a3.id]


@pytest.mark.asyncio
async def test_messages_survive_close_and_reopen(stores):
    store = await stores.open()
    for i in range(3):
        await store.add_message(draft(f"m{i}", client_id=f"c{i}"))
    before = await store.history(ROOM, None, 10)
    await store.close()
    reopened = await stores.open()
    assert await reopened.history(ROOM, None, 10) == before
    assert (await reopened.add_message(draft("c1 again", client_id="c1"))) == before[1]
    assert (await reopened.add_message(draft("next"))).seq == 4


@pytest.mark.asyncio
async def test_migrations_are_recorded_once(stores):
    names = [name for name, _ in stores.backend.migrations]
    store = await stores.open()
    assert await store.applied_migrations() == names
    await store.close()
    # Re-running a step would fail (CREATE TABLE of an existing table); reopening must not.
    reopened = await stores.open()
    assert await reopened.applied_migrations() == names


@pytest.mark.asyncio
async def test_unknown_applied_migration_refuses_to_start(stores):
    await (await stores.open()).close()
    await stores.backend.record_unknown_migration("9999_from_a_newer_version")
    store = open_store(stores.backend.url)
    with pytest.raises(RuntimeError, match="does not know"):
        await store.open()
    await store.close()


@pytest.mark.asyncio
async def test_a_closed_store_is_unavailable(stores):
    store = await stores.open()
    await store.ping()
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.add_message(draft("late"))
    with pytest.raises(StoreUnavailable):
        await store.history(ROOM, None, 10)


@pytest.mark.asyncio
async def test_postgres_store_without_a_server_is_unavailable():
    pytest.importorskip("asyncpg", reason="asyncpg is not installed")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = open_store(f"postgresql://postgres@127.0.0.1:{port}/test")
    with pytest.raises(StoreUnavailable, match=f"PostgreSQL at 127.0.0.1:{port}/test"):
        await store.open()
    with pytest.raises(StoreUnavailable, match="not open"):
        await store.add_message(draft("nowhere"))
    await store.close()


# PostgreSQL faults: the server stops and restarts under an open store.

async def wait_until_answers(store, seconds: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await store.ping()
        except StoreUnavailable:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


@pytest_asyncio.fixture
async def pg_stores(tmp_path):
    async with servers_outage():  # waits until no other test run uses PostgreSQL
        backend = await _make_backend("postgres", tmp_path)
        opened = Stores(backend)
        try:
            yield opened
        finally:
            await opened.close_all()
            await backend.drop()


@pytest.mark.asyncio
async def test_stores_opening_at_once_migrate_once(stores):
    # Several server processes may start together; one of them migrates (a lock decides).
    opened = await asyncio.gather(*(stores.open() for _ in range(4)))
    names = [name for name, _ in stores.backend.migrations]
    for store in opened:
        assert await store.applied_migrations() == names
    await opened[0].add_message(draft("one"))
    assert await opened[3].count_messages() == 1


@pytest.mark.asyncio
@pytest.mark.skipif(why_pg_cannot_restart() is not None, reason=str(why_pg_cannot_restart()))
async def test_postgres_restart_under_an_open_store(pg_stores):
    store = await pg_stores.open()
    assert (await store.add_message(draft("before"))).seq == 1

    # Blocking restart: the pooled connection dies without the event loop noticing.
    pg_ctl("restart")
    assert (await store.add_message(draft("after restart"))).seq == 2

    saved: list = []
    failures: list[StoreUnavailable] = []
    writing = True

    async def keep_writing() -> None:
        while writing:
            try:
                saved.append(await store.add_message(draft(f"w{len(saved)}")))
            except StoreUnavailable as exc:
                failures.append(exc)
                await asyncio.sleep(0.05)

    writer = asyncio.create_task(keep_writing())
    try:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(pg_ctl, "stop")
        with pytest.raises(StoreUnavailable, match="PostgreSQL"):
            await store.add_message(draft("while down"))
        with pytest.raises(StoreUnavailable):
            await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.history(ROOM, None, 10)
    finally:
        await asyncio.to_thread(pg_ctl, "start")
    await wait_until_answers(store)
    await asyncio.sleep(0.3)
    writing = False
    await writer

    assert failures, "writes while PostgreSQL was down should have failed"
    back = await store.add_message(draft("back"))
    history = await store.history(ROOM, None, 10_000)
    # Nothing half-saved: every number used once, no gaps, everything reported saved is there.
    assert seqs(history) == list(range(1, len(history) + 1))
    assert history[-1] == back
    assert {m.id for m in saved} <= {m.id for m in history}
    assert "while down" not in {m.text for m in history}
    assert await store.count_messages() == len(history)


@pytest.mark.asyncio
async def test_checkpoint_saves_the_text_of_a_streaming_reply_only(store):
    reply = await store.add_message(
        draft("", author="bot", kind=MessageKind.BOT, status=MessageStatus.STREAMING,
              meta=MessageMeta(answers="m1"))
    )
    assert await store.checkpoint_message(reply.id, "the answer so") is True
    saved = await store.get_message(reply.id)
    assert (saved.text, saved.status, saved.meta) == ("the answer so", MessageStatus.STREAMING, MessageMeta(answers="m1"))
    assert [m.text for m in await store.unfinished_messages()] == ["the answer so"]

    # A checkpoint that lands after the reply was finished changes nothing.
    final = await store.update_message(reply.id, "the answer so far, whole", MessageStatus.DONE, MessageMeta())
    assert await store.checkpoint_message(reply.id, "the answer so") is False
    assert await store.get_message(reply.id) == final
    # Neither an unknown id nor a person's message is touched.
    assert await store.checkpoint_message("no-such-id", "x") is False
    chat = await store.add_message(draft("a person's words"))
    assert await store.checkpoint_message(chat.id, "rewritten") is False
    assert (await store.get_message(chat.id)).text == "a person's words"
