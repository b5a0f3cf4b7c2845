"""ChangesStore contract: what changed lately, on a real SQLite file and a real PostgreSQL.

A relay that lost an edit, a deletion, a reply's final text or a reaction on the bus finds
it here (sequence numbers catch up new messages only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chat.domain import MessageKind, MessageStatus
from chat.message_meta import MessageMeta
from chat.person import Person
from tests.test_store import draft, store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def changed_ids(store, cursor):
    changes = await store.changed_after(cursor, 100)
    return changes.cursor, [m.id for m in changes.messages]


async def test_a_new_message_is_not_a_change_and_nothing_changed_means_the_same_cursor(store):
    start = (await store.changed_after(None, 100)).cursor
    await store.add_message(draft("hello"))
    assert await changed_ids(store, start) == (start, [])


async def test_edits_deletions_and_reactions_are_found_in_the_order_they_happened(store):
    await store.add_person(Person("p-ann", "Ann", "ann", NOW))
    one, two, three = [await store.add_message(draft(t)) for t in ("one", "two", "three")]
    cursor = (await store.changed_after(None, 100)).cursor
    await store.edit_message(two.id, "two, edited", "p-ann", NOW)
    await store.delete_message(one.id, "p-ann")
    await store.set_reaction(three.id, "p-ann", "👍", True)
    changes = await store.changed_after(cursor, 100)
    assert [m.id for m in changes.messages] == [two.id, one.id, three.id]
    edited, deleted, _ = changes.messages
    assert edited.text == "two, edited" and edited.edited_at is not None
    assert deleted.is_deleted and deleted.text == ""
    assert changes.cursor > cursor
    # Asked again from the new cursor: nothing; a reaction removed is a change again.
    assert await changed_ids(store, changes.cursor) == (changes.cursor, [])
    await store.set_reaction(three.id, "p-ann", "👍", False)
    assert (await changed_ids(store, changes.cursor))[1] == [three.id]


async def test_a_streaming_reply_changes_once_when_it_is_final(store):
    reply = await store.add_message(
        draft("", author="bot", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    )
    cursor = (await store.changed_after(None, 100)).cursor
    await store.checkpoint_message(reply.id, "the answer so")
    await store.update_message(reply.id, "the answer so far", MessageStatus.STREAMING, MessageMeta())
    assert (await changed_ids(store, cursor))[1] == []  # its saves while writing are not changes
    await store.update_message(reply.id, "the answer, whole", MessageStatus.DONE, MessageMeta())
    changes = await store.changed_after(cursor, 100)
    assert [(m.id, m.text, m.status) for m in changes.messages] == [
        (reply.id, "the answer, whole", MessageStatus.DONE)
    ]


async def test_the_limit_pages_the_changes(store):
    messages = [await store.add_message(draft(f"m{i}")) for i in range(5)]
    cursor = (await store.changed_after(None, 100)).cursor
    await store.add_person(Person("p-ann", "Ann", "ann", NOW))
    for message in messages:
        await store.edit_message(message.id, message.text + "!", "p-ann", NOW)
    first = await store.changed_after(cursor, 3)
    rest = await store.changed_after(first.cursor, 3)
    assert [m.text for m in first.messages + rest.messages] == [f"m{i}!" for i in range(5)]
