"""ReactionsStore contract: reactions on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from chat.domain import Reactions
from chat.person import Person
from tests.test_store import draft, store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def _people(store, *names: str) -> list[str]:
    ids = []
    for name in names:
        person_id = f"p-{name.lower()}"
        await store.add_person(Person(person_id, name, name.casefold(), NOW))
        ids.append(person_id)
    return ids


def _counts(reactions: Reactions) -> dict[str, int]:
    return {r.emoji: r.count for r in reactions.items}


async def test_a_message_without_reactions_has_none(store):
    message = await store.add_message(draft("hello"))
    assert await store.reactions_of([message.id]) == {}
    assert await store.reactions_of([]) == {}


async def test_reactions_are_kept_per_emoji_with_who_reacted_by_name(store):
    ann, bob = await _people(store, "Ann", "Bob")
    message = await store.add_message(draft("hello"))
    await store.set_reaction(message.id, ann, "👍", True)
    await store.set_reaction(message.id, bob, "👍", True)
    now = await store.set_reaction(message.id, bob, "🎉", True)
    assert _counts(now) == {"👍": 2, "🎉": 1}  # in the order each emoji was first used
    assert [r.emoji for r in now.items] == ["👍", "🎉"]
    thumbs = now.items[0]
    assert thumbs.person_ids == (ann, bob) and thumbs.names == ("Ann", "Bob")
    assert now.by(bob) == {"👍", "🎉"} and now.by(ann) == {"👍"} and now.by(None) == set()
    assert (await store.reactions_of([message.id]))[message.id] == now


async def test_one_reaction_per_person_and_emoji(store):
    (ann,) = await _people(store, "Ann")
    message = await store.add_message(draft("hello"))
    await store.set_reaction(message.id, ann, "👍", True)
    again = await store.set_reaction(message.id, ann, "👍", True)  # a second tab, a double click
    assert _counts(again) == {"👍": 1}


async def test_removing_takes_the_emoji_away_and_the_version_still_grows(store):
    ann, bob = await _people(store, "Ann", "Bob")
    message = await store.add_message(draft("hello"))
    first = await store.set_reaction(message.id, ann, "😂", True)
    second = await store.set_reaction(message.id, bob, "😂", True)
    third = await store.set_reaction(message.id, ann, "😂", False)
    assert _counts(third) == {"😂": 1} and third.items[0].person_ids == (bob,)
    fourth = await store.set_reaction(message.id, bob, "😂", False)
    assert fourth.items == ()
    assert first.version < second.version < third.version < fourth.version
    # A message whose reactions all went keeps its version: a late, older summary still loses.
    assert (await store.reactions_of([message.id]))[message.id] == fourth


async def test_many_messages_are_read_in_one_call(store):
    (ann,) = await _people(store, "Ann")
    messages = [await store.add_message(draft(f"m{i}")) for i in range(5)]
    for message in messages[::2]:
        await store.set_reaction(message.id, ann, "❤️", True)
    found = await store.reactions_of([m.id for m in messages])
    assert set(found) == {messages[0].id, messages[2].id, messages[4].id}
    assert all(_counts(r) == {"❤️": 1} for r in found.values())


async def test_a_version_never_shows_less_than_an_earlier_one(store):
    people = await _people(store, *(f"P{i}" for i in range(8)))
    message = await store.add_message(draft("hello"))
    results = await asyncio.gather(*(store.set_reaction(message.id, p, "🔥", True) for p in people))
    newest = max(results, key=lambda r: r.version)
    assert _counts(newest) == {"🔥": 8}
    for older in results:  # a higher version holds everything a lower one held
        for newer in results:
            if newer.version > older.version:
                assert set(older.items[0].person_ids) <= set(newer.items[0].person_ids)


async def test_reactions_outlive_the_connection(stores):
    first = await stores.open()
    (ann,) = await _people(first, "Ann")
    message = await first.add_message(draft("hello"))
    await first.set_reaction(message.id, ann, "🎉", True)
    await first.close()
    again = await stores.open()
    assert _counts((await again.reactions_of([message.id]))[message.id]) == {"🎉": 1}


async def test_the_reactions_migration_comes_after_the_read_marks(store):
    applied = await store.applied_migrations()
    assert applied.index("0016_read_marks") < applied.index("0017_reactions")
