"""EditsStore contract: the same tests on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from chat.domain import Draft
from tests.test_store import store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


async def test_an_edit_changes_the_text_in_place_and_keeps_the_old_one(store):  # noqa: F811
    first = await store.add_message(Draft("general", "Alice", "helo", author_id="p-alice"))
    after = await store.add_message(Draft("general", "Bob", "hi", author_id="p-bob"))
    assert first.edited_at is None and not first.is_edited
    edited = await store.edit_message(first.id, "hello", "p-alice", NOW)
    assert edited is not None
    assert (edited.id, edited.seq, edited.text, edited.edited_at) == (first.id, 1, "hello", NOW)
    assert edited.is_edited and edited.created_at == first.created_at
    history = await store.history("general", None, 10)
    assert [(m.id, m.text, m.edited_at) for m in history] == [
        (first.id, "hello", NOW),
        (after.id, "hi", None),
    ]
    assert (await store.get_message(first.id)) == edited
    versions = await store.message_versions(first.id)
    assert [(v.number, v.text, v.replaced_at, v.replaced_by) for v in versions] == [
        (1, "helo", NOW, "p-alice")
    ]
    assert versions[0].written_at == first.created_at
    assert await store.message_versions(after.id) == []


async def test_each_edit_keeps_the_text_before_it_with_its_times(store):  # noqa: F811
    message = await store.add_message(Draft("general", "Alice", "one", author_id="p-alice"))
    later = NOW + timedelta(minutes=5)
    await store.edit_message(message.id, "two", "p-alice", NOW)
    final = await store.edit_message(message.id, "three", "p-alice", later)
    assert final is not None and final.text == "three" and final.edited_at == later
    versions = await store.message_versions(message.id)
    assert [(v.number, v.text, v.written_at, v.replaced_at) for v in versions] == [
        (1, "one", message.created_at, NOW),
        (2, "two", NOW, later),
    ]


async def test_concurrent_edits_each_keep_a_version(store):  # noqa: F811
    message = await store.add_message(Draft("general", "Alice", "v0", author_id="p-alice"))
    texts = [f"v{i}" for i in range(1, 6)]
    await asyncio.gather(
        *(
            store.edit_message(message.id, t, "p-alice", NOW + timedelta(seconds=i))
            for i, t in enumerate(texts)
        )
    )
    versions = await store.message_versions(message.id)
    assert [v.number for v in versions] == [1, 2, 3, 4, 5]
    current = await store.get_message(message.id)
    assert current is not None
    # Every text ever written is either a version or the current text, exactly once.
    assert sorted([v.text for v in versions] + [current.text]) == ["v0", *texts]


async def test_a_tombstone_or_an_unknown_message_cannot_be_edited(store):  # noqa: F811
    message = await store.add_message(Draft("general", "Alice", "oops", author_id="p-alice"))
    tombstone = await store.delete_message(message.id, "p-alice")
    assert tombstone is not None and tombstone.deleted_by_author
    assert await store.edit_message(message.id, "back again", "p-alice", NOW) is None
    assert (await store.get_message(message.id)).text == ""  # type: ignore[union-attr]
    assert await store.message_versions(message.id) == []
    assert await store.edit_message("no-such-message", "x", "p-alice", NOW) is None


async def test_the_migration_is_recorded(store):  # noqa: F811
    assert "0018_edits" in await store.applied_migrations()
