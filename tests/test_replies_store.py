"""RepliesStore contract: replies, their quotes and counts on a real SQLite file and PostgreSQL."""

from __future__ import annotations

import pytest

from chat.domain import Quote, utc_now
from chat.search_query import SearchOrder, parse
from tests.test_store import ROOM, draft, store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio


async def test_a_reply_is_stored_with_the_quote_of_its_original(store):
    original = await store.add_message(draft("first line\nsecond line", author="ann"))
    reply = await store.add_message(draft("I agree", author="bob", reply_to=original.id))
    assert reply.reply_to == original.id
    assert reply.quote == Quote(original.id, "ann", "first line\nsecond line", original.seq)
    assert reply.quote.one_line() == "first line second line"
    assert (await store.get_message(reply.id)) == reply
    page = await store.history(ROOM, None, 10)
    assert [m.quote for m in page] == [None, reply.quote]
    assert [m.reply_to for m in await store.history_after(ROOM, 0, 10)] == [None, original.id]


async def test_the_quote_follows_the_original_through_an_edit_and_a_deletion(store):
    original = await store.add_message(draft("tpyo", author="ann"))
    reply = await store.add_message(draft("what?", reply_to=original.id))
    await store.edit_message(original.id, "typo", "p-ann", utc_now())
    quote = (await store.get_message(reply.id)).quote
    assert quote is not None and quote.text == "typo"
    await store.delete_message(original.id, "p-mod")
    gone = (await store.get_message(reply.id)).quote
    assert gone is not None and gone.deleted and gone.one_line() == "deleted message"
    # Changing the reply itself returns it with its quote, as every read does.
    edited = await store.edit_message(reply.id, "what!", "p-bob", utc_now())
    assert edited is not None and edited.quote == gone


async def test_counts_of_replies_for_a_page_in_one_call(store):
    a = await store.add_message(draft("a"))
    b = await store.add_message(draft("b"))
    quiet = await store.add_message(draft("quiet"))
    for i in range(3):
        await store.add_message(draft(f"re a {i}", reply_to=a.id))
    reply_b = await store.add_message(draft("re b", reply_to=b.id))
    await store.delete_message(reply_b.id, "p-mod")  # a tombstone still counts: counts only grow
    assert await store.reply_counts([a.id, b.id, quiet.id]) == {a.id: 3, b.id: 1}
    assert await store.reply_counts([]) == {}


async def test_replies_to_pages_a_thread_from_its_newest_oldest_first(store):
    a = await store.add_message(draft("a"))
    await store.add_message(draft("not in the thread"))
    replies = [await store.add_message(draft(f"re {i}", reply_to=a.id)) for i in range(5)]
    ids = [m.id for m in replies]
    assert [m.id for m in await store.replies_to(a.id, 10)] == ids
    assert [m.id for m in await store.replies_to(a.id, 2)] == ids[3:]  # the newest page
    older = await store.replies_to(a.id, 2, before_seq=replies[3].seq)
    assert [m.id for m in older] == ids[1:3]
    assert [m.id for m in await store.replies_to(a.id, 2, before_seq=replies[1].seq)] == ids[:1]
    assert await store.replies_to(a.id, 2, before_seq=replies[0].seq) == []
    assert await store.replies_to(replies[0].id, 10) == []


async def test_search_hits_carry_their_quote(store):
    original = await store.add_message(draft("the plan", author="ann"))
    await store.add_message(draft("zebra crossing 東京タワー", reply_to=original.id))
    for raw in ("zebra", "東京"):  # full text, and the substring path
        hits = await store.search_messages(parse(raw), [ROOM], SearchOrder.NEWEST, 5)
        assert [h.message.quote.text for h in hits] == ["the plan"], raw


async def test_changed_messages_carry_their_quote(store):
    original = await store.add_message(draft("the plan", author="ann"))
    reply = await store.add_message(draft("ok", reply_to=original.id))
    cursor = (await store.changed_after(None, 10)).cursor
    await store.edit_message(reply.id, "ok!", "p-bob", utc_now())
    changed = (await store.changed_after(cursor, 10)).messages
    assert [(m.id, m.quote.text) for m in changed] == [(reply.id, "the plan")]
