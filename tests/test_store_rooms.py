"""Rooms in the store, over a real SQLite file and a real PostgreSQL: the same tests for both."""

from __future__ import annotations

import importlib
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from chat.domain import Room
from chat.store import open_store
from chat.store.base import RoomTaken
from tests.servers import execute_sql
from tests.test_store import ROOM, draft, seqs, store, stores  # noqa: F401 (fixtures)

pytestmark = pytest.mark.asyncio


async def test_a_new_store_has_the_room_general(store):
    assert await store.room_names() == ["general"]
    general = await store.get_room("general")
    assert general is not None and general.topic == ""


async def test_created_rooms_round_trip_and_names_are_unique(store):
    made = Room("design", topic="Pixels and words", created_by="ann")
    stored = await store.create_room(made)
    assert (stored.name, stored.topic, stored.created_by) == ("design", "Pixels and words", "ann")
    assert await store.get_room("design") == stored
    with pytest.raises(RoomTaken, match="design"):
        await store.create_room(Room("design", topic="another"))
    assert (await store.get_room("design")).topic == "Pixels and words"
    assert await store.get_room("nowhere") is None


async def test_each_room_numbers_its_own_messages(store):
    await store.create_room(Room("design"))
    a = [await store.add_message(draft(f"g{i}")) for i in range(3)]
    b = [await store.add_message(draft(f"d{i}", room="design")) for i in range(2)]
    assert seqs(a) == [1, 2, 3] and seqs(b) == [1, 2]
    assert [m.text for m in await store.history("design", None, 10)] == ["d0", "d1"]
    assert [m.text for m in await store.history_after(ROOM, 1, 10)] == ["g1", "g2"]


async def test_rooms_are_listed_by_their_latest_activity(store):
    long_ago = datetime.now(UTC) - timedelta(days=3)
    for name in ("quiet", "busy"):
        await store.create_room(Room(name, created_at=long_ago, last_active_at=long_ago))
    assert [r.name for r in await store.list_rooms()][-2:] == ["busy", "quiet"]  # same time: by name
    await store.add_message(draft("hello", room="quiet"))
    assert [r.name for r in await store.list_rooms()][0] == "quiet"
    await store.add_message(draft("hi", room="busy"))
    assert [r.name for r in await store.list_rooms()][0] == "busy"


async def test_a_message_into_a_room_without_a_row_creates_the_room(store):
    await store.add_message(draft("first words", room="elsewhere"))
    assert await store.room_names() == ["elsewhere", "general"]
    assert (await store.get_room("elsewhere")).name == "elsewhere"


# ---- a database written by the single-room Confab (migrations 0001 and 0002 only)


async def _old_database(stores, monkeypatch) -> None:
    """A database as single-room Confab left it: its two migrations and three messages."""
    backend = stores.backend
    module = importlib.import_module(f"chat.store.{backend.name}")
    monkeypatch.setattr(module, "MIGRATIONS", [m for m in module.MIGRATIONS if m[0] < "0003"])
    store = open_store(backend.url)
    await store.open()
    await store.close()
    monkeypatch.undo()
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    for seq, text in enumerate(("one", "two", "three"), start=1):
        values = (f"id{seq}", "general", seq, "ann", "chat", "done", text, None)
        if backend.name == "sqlite":
            with sqlite3.connect(backend.path) as db:
                db.execute(
                    "INSERT INTO messages (id, room, seq, author, kind, status, text, created_at,"
                    " client_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values[:7], at.timestamp() + seq, None),
                )
        else:
            schema = backend.schema
            await execute_sql(
                backend.admin_url,
                f"INSERT INTO {schema}.rooms (name, last_seq) VALUES ('general', $1)"
                " ON CONFLICT (name) DO UPDATE SET last_seq = $1",
                seq,
            )
            await execute_sql(
                backend.admin_url,
                f"INSERT INTO {schema}.messages (id, room, seq, author, kind, status, text,"
                " created_at, client_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                *values[:7],
                at + timedelta(seconds=seq),
                None,
            )


async def test_single_room_data_lands_in_general(stores, monkeypatch):
    await _old_database(stores, monkeypatch)
    store = await stores.open()
    assert "0003_rooms" in await store.applied_migrations()
    assert await store.room_names() == ["general"]
    general = await store.get_room("general")
    assert general.last_active_at == datetime(2026, 1, 2, 3, 4, 8, tzinfo=UTC)
    assert [m.text for m in await store.history("general", None, 10)] == ["one", "two", "three"]
    nxt = await store.add_message(draft("four"))
    assert nxt.seq == 4
    assert (await store.get_room("general")).last_active_at >= general.last_active_at


# ---- private rooms


async def test_a_private_room_is_listed_for_its_members_only(store):
    from chat.domain import RoomKind

    secret = Room("secret", topic="shh", created_by="Ann", kind=RoomKind.PRIVATE, owner_id="ann")
    stored = await store.create_room(secret, members=("ann",))
    assert stored.owner_id == "ann" and stored.created_by == "Ann"
    assert stored.is_private and (await store.get_room("secret")).kind is RoomKind.PRIVATE
    assert [r.name for r in await store.list_rooms("ann")] == ["secret", "general"]
    assert [r.name for r in await store.list_rooms("bob")] == ["general"]
    assert {r.name for r in await store.list_rooms()} == {"secret", "general"}  # every room
    assert await store.is_member("secret", "ann") and not await store.is_member("secret", "bob")

    assert await store.add_member("secret", "bob", added_by="ann") is True
    assert await store.add_member("secret", "bob", added_by="ann") is False  # once
    assert "secret" in [r.name for r in await store.list_rooms("bob")]


async def test_a_taken_name_adds_no_members(store):
    from chat.domain import RoomKind

    await store.create_room(Room("design"))
    with pytest.raises(RoomTaken):
        await store.create_room(Room("design", kind=RoomKind.PRIVATE), members=("eve",))
    assert not await store.is_member("design", "eve")
    assert not (await store.get_room("design")).is_private
