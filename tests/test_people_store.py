"""PeopleStore contract: the same tests on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chat.domain import Draft
from chat.person import Person, Role
from chat.store.people import NameTaken
from tests.test_store import store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def person(name: str, **fields) -> Person:
    return Person(secrets.token_hex(8), name, name.casefold(), NOW, **fields)


async def test_a_person_round_trips_and_is_found_by_id_and_name_key(store):
    alice = person("Alice", role=Role.ADMIN, password_hash="$argon2id$x")
    await store.add_person(alice)
    assert await store.get_person(alice.id) == alice
    assert await store.person_by_name_key("alice") == alice
    assert await store.person_by_name_key("bob") is None
    assert await store.get_person("nobody") is None
    assert await store.count_people() == 1


async def test_a_name_key_belongs_to_one_person(store):
    await store.add_person(person("Alice"))
    with pytest.raises(NameTaken):
        await store.add_person(person("ALICE"))
    bob = person("Bob")
    await store.add_person(bob)
    with pytest.raises(NameTaken):  # renaming onto someone else's name
        await store.update_person(replace(bob, name="alice", name_key="alice"))
    assert (await store.get_person(bob.id)).name == "Bob"
    assert await store.count_people() == 2


async def test_update_keeps_the_id_and_changes_the_rest(store):
    bob = person("Bob")
    await store.add_person(bob)
    changed = replace(
        bob, name="Robert", name_key="robert", role=Role.ADMIN, banned=True, password_hash="h"
    )
    await store.update_person(changed)
    assert await store.get_person(bob.id) == changed
    assert await store.person_by_name_key("bob") is None  # the old name is free again
    with pytest.raises(KeyError):
        await store.update_person(person("Ghost"))


async def test_device_tokens_expire_and_are_revoked_one_or_all(store):
    alice, bob = person("Alice"), person("Bob")
    await store.add_person(alice)
    await store.add_person(bob)
    later = NOW + timedelta(days=1)
    await store.add_device(alice.id, "hash-a1", NOW, later)
    await store.add_device(alice.id, "hash-a2", NOW, later)
    await store.add_device(bob.id, "hash-b1", NOW, later)
    assert (await store.person_by_device("hash-a1", NOW)).id == alice.id
    assert await store.person_by_device("hash-a1", later) is None  # expired
    assert await store.person_by_device("unknown", NOW) is None

    assert await store.revoke_device("hash-a1", NOW) is True
    assert await store.revoke_device("hash-a1", NOW) is False
    assert await store.person_by_device("hash-a1", NOW) is None
    assert (await store.person_by_device("hash-a2", NOW)).id == alice.id

    assert await store.revoke_devices(alice.id, NOW) == 1
    assert await store.person_by_device("hash-a2", NOW) is None
    assert (await store.person_by_device("hash-b1", NOW)).id == bob.id


async def test_deleting_a_person_frees_the_name_and_drops_their_devices(store):
    alice = person("Alice")
    await store.add_person(alice)
    await store.add_device(alice.id, "hash-a", NOW, NOW + timedelta(days=1))
    assert await store.delete_person(alice.id) is True
    assert await store.delete_person(alice.id) is False
    assert await store.person_by_device("hash-a", NOW) is None
    await store.add_person(person("alice"))  # free again


async def test_messages_keep_their_authors_person_id(store):
    posted = await store.add_message(Draft("general", "Alice", "hi", author_id="p-1"))
    anonymous = await store.add_message(Draft("general", "system", "Alice joined"))
    assert posted.author_id == "p-1" and anonymous.author_id is None
    assert [m.author_id for m in await store.history("general", None, 10)] == ["p-1", None]
    assert (await store.get_message(posted.id)).author_id == "p-1"


async def test_the_people_migrations_come_after_the_rooms_and_in_order(store):
    applied = await store.applied_migrations()
    people = ["0010_people", "0011_message_author_id", "0012_invites"]
    assert [name for name in applied if name >= "0010"][:3] == people
    assert applied == sorted(applied)


async def test_an_invite_is_good_once_until_it_expires(store):
    later = NOW + timedelta(days=7)
    await store.add_invite("inv-1", NOW, later)
    await store.add_invite("inv-2", NOW, later)
    assert await store.use_invite("inv-1", NOW) is True
    assert await store.use_invite("inv-1", NOW) is False  # spent
    await store.release_invite("inv-1")  # the sign-up failed: good again
    assert await store.use_invite("inv-1", NOW) is True
    assert await store.use_invite("inv-2", later) is False  # expired
    assert await store.use_invite("unknown", NOW) is False
