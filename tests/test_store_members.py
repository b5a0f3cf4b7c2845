"""Room membership by person id and the first-admin claim, over real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import importlib
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from chat.domain import Room, RoomKind
from chat.person import Person, Role
from chat.store import open_store
from tests.servers import execute_sql
from tests.test_store import store, stores  # noqa: F401 (fixtures)

pytestmark = pytest.mark.asyncio

THEN = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def person(name: str, minutes: int = 0) -> Person:
    return Person(secrets.token_hex(16), name, name.casefold(), THEN + timedelta(minutes=minutes))


async def _raw(stores, statement: str) -> None:
    """Run SQL written for both backends: {t} prefixes a table, {now} is the time."""
    backend = stores.backend
    if backend.name == "sqlite":
        with sqlite3.connect(backend.path) as db:
            db.execute(statement.format(t="", now="1.0"))
    else:
        await execute_sql(backend.admin_url, statement.format(t=f"{backend.schema}.", now="now()"))


async def _store_before_0015(stores, monkeypatch):
    """A store whose database stops at migration 0014: membership by name key."""
    module = importlib.import_module(f"chat.store.{stores.backend.name}")
    monkeypatch.setattr(module, "MIGRATIONS", [m for m in module.MIGRATIONS if m[0] < "0015"])
    old = open_store(stores.backend.url)
    await old.open()
    monkeypatch.undo()
    return old


async def test_0015_carries_name_key_members_to_person_ids_and_drops_the_unowned(
    stores, monkeypatch
):
    old = await _store_before_0015(stores, monkeypatch)
    ann, bob = person("Ann"), person("Bob", 1)
    for someone in (ann, bob):
        await old.add_person(someone)
    await old.close()
    await _raw(
        stores,
        "INSERT INTO {t}rooms (name, created_by, created_at, last_active_at, kind)"
        " VALUES ('secret', 'Ann', {now}, {now}, 'private'), ('dm-x', 'Bob', {now}, {now}, 'dm')",
    )
    for room, key, added_by in (
        ("secret", "ann", "Ann"),
        ("secret", "ghost", "Ann"),  # a name nobody owns any more
        ("dm-x", "bob", "Bob"),
        ("dm-x", "bot", "Bob"),  # the bot, under its default name
    ):
        await _raw(
            stores,
            "INSERT INTO {t}room_members (room, member, added_by, added_at)"
            f" VALUES ('{room}', '{key}', '{added_by}', {{now}})",
        )

    store = await stores.open()
    assert "0015_members_by_person" in await store.applied_migrations()
    assert await store.is_member("secret", ann.id) and await store.is_member("dm-x", bob.id)
    assert await store.is_member("dm-x", "bot")
    # Name keys are no member any more: the row of a name nobody owned is dropped.
    for key in ("ann", "bob", "ghost"):
        assert [r.name for r in await store.list_rooms(key)] == ["general"]
    assert not await store.is_member("secret", "ghost")
    assert (await store.get_room("secret")).owner_id == ann.id
    assert (await store.get_room("dm-x")).owner_id == bob.id
    assert (await store.get_room("general")).owner_id is None


async def test_0015_remembers_an_existing_admin_as_the_first(stores, monkeypatch):
    old = await _store_before_0015(stores, monkeypatch)
    boss = Person(secrets.token_hex(16), "Boss", "boss", THEN + timedelta(minutes=5), Role.ADMIN)
    early = person("Early")
    for someone in (early, boss):
        await old.add_person(someone)
    await old.close()
    store = await stores.open()
    assert await store.claim_first_admin(early.id) is False  # an admin is there already
    assert (await store.get_person(early.id)).role is Role.MEMBER


async def test_the_earliest_person_claims_the_first_admin_once(store):
    first, second = person("First"), person("Second", 1)
    for someone in (first, second):
        await store.add_person(someone)
    assert await store.claim_first_admin(second.id) is False  # not the first to join
    assert await store.claim_first_admin(first.id) is True
    assert await store.claim_first_admin(first.id) is False  # once
    assert (await store.get_person(first.id)).role is Role.ADMIN
    assert (await store.get_person(second.id)).role is Role.MEMBER


async def test_concurrent_claims_from_two_connections_make_one_admin(stores):
    one, other = await stores.open(), await stores.open()
    for attempt in range(5):
        people = [person(f"P{attempt}x{i}", i) for i in range(4)]
        # They arrive together: each process adds its people, then both claim at once.
        await asyncio.gather(*(s.add_person(p) for s, p in zip([one, other] * 2, people)))
        claims = [s.claim_first_admin(p.id) for s, p in zip([one, other] * 2, people)]
        won = await asyncio.gather(*claims)
        admins = [p for p in people if (await one.get_person(p.id)).role is Role.ADMIN]
        if attempt == 0:
            assert won == [True, False, False, False] and admins == people[:1]
        else:
            assert won == [False] * 4 and admins == []  # claimed for good by the very first


async def test_a_room_keeps_its_owner_and_members_by_id(store):
    ann = person("Ann")
    await store.add_person(ann)
    made = Room("secret", created_by="Ann", kind=RoomKind.PRIVATE, owner_id=ann.id)
    stored = await store.create_room(made, members=(ann.id,))
    assert stored.owner_id == ann.id and await store.is_member("secret", ann.id)
    assert await store.add_member("secret", "bob-id", added_by=ann.id) is True
    assert [r.name for r in await store.list_rooms("bob-id")] == ["secret", "general"]
