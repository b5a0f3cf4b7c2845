"""Replies through the service, on a real SQLite file and the in-process bus."""

from __future__ import annotations

import pytest

from chat.domain import MessagePosted, RepliesCounted
from chat.rules import Rejected
from tests.test_moderation import place, seen  # noqa: F401  (the fixture)
from tests.test_service import eventually

pytestmark = pytest.mark.asyncio


async def test_a_reply_quotes_its_original_and_every_tab_hears_the_count(place):
    service, events, _, _, _, _ = place
    plan = await service.post_message("general", "s-ada", "Ada", "Lunch at noon?\nOr at one?")
    reply = await service.post_message("general", "s-bob", "Bob", "noon", reply_to=plan.id)
    assert reply is not None and reply.reply_to == plan.id
    assert reply.quote is not None and reply.quote.author == "Ada"
    assert reply.quote.one_line() == "Lunch at noon? Or at one?"
    await service.post_message("general", "s-olga", "Olga", "one", reply_to=plan.id)
    await eventually(lambda: len(seen(events, RepliesCounted)) == 2)
    # In order (the relay's periodic catch-up may say a count again: rows keep the highest).
    assert list(dict.fromkeys(e for _, e in seen(events, RepliesCounted))) == [
        RepliesCounted("general", plan.id, 1),
        RepliesCounted("general", plan.id, 2),
    ]
    posted = [e.message for _, e in seen(events, MessagePosted) if e.message.id == reply.id]
    assert posted[0].quote == reply.quote  # what other tabs render carries the quote


async def test_history_brings_counts_in_one_query_and_a_thread_lists_the_replies(place):
    service, _, _, _, _, _ = place
    plan = await service.post_message("general", "s-ada", "Ada", "the plan")
    quiet = await service.post_message("general", "s-ada", "Ada", "no replies")
    first = await service.post_message("general", "s-bob", "Bob", "yes", reply_to=plan.id)
    second = await service.post_message("general", "s-olga", "Olga", "no", reply_to=plan.id)
    calls = []
    real = service.store.reply_counts

    async def counting(ids):
        calls.append(ids)
        return await real(ids)

    service.store.reply_counts = counting  # type: ignore[method-assign]
    shown = {m.id: m for m in await service.history("general")}
    assert len(calls) == 1
    assert shown[plan.id].reply_count == 2 and shown[quiet.id].reply_count == 0
    after = {m.id: m for m in await service.history_after("general", 0)}
    assert after[plan.id].reply_count == 2
    original, replies = await service.thread("general", plan.id, "s-bob")
    assert original.id == plan.id and original.reply_count == 2
    assert [m.id for m in replies] == [first.id, second.id]


async def test_a_reply_to_a_missing_deleted_or_other_rooms_message_is_refused_and_not_stored(
    place,
):
    service, events, _, admin, _, _ = place
    secret = await service.post_message("den", "s-olga", "Olga", "members only")
    gone = await service.post_message("general", "s-bob", "Bob", "oops")
    await service.moderation.delete_message("general", gone.id, admin.id)
    before = await service.store.count_messages()
    with pytest.raises(Rejected, match="not in this room"):
        await service.post_message("general", "s-bob", "Bob", "re", reply_to="no-such-id")
    with pytest.raises(Rejected, match="not in this room"):
        await service.post_message("general", "s-bob", "Bob", "re", reply_to=secret.id)
    with pytest.raises(Rejected, match="deleted"):
        await service.post_message("general", "s-bob", "Bob", "re", reply_to=gone.id)
    assert await service.store.count_messages() == before
    assert not seen(events, RepliesCounted)


async def test_only_people_who_may_read_the_room_reply_or_read_a_thread(place):
    service, _, people, _, _, _ = place
    secret = await service.post_message("den", "s-olga", "Olga", "members only")
    eve = await people.create_person("Eve")
    await service.join("general", "s-eve", "Eve", eve.id)
    with pytest.raises(Rejected, match="private"):
        await service.post_message("den", "s-eve", "Eve", "let me in", reply_to=secret.id)
    with pytest.raises(Rejected, match="private"):
        await service.thread("den", secret.id, "s-eve")
    assert await service.post_message("den", "s-bob", "Bob", "hi", reply_to=secret.id)


async def test_a_count_lost_on_the_bus_comes_with_the_relays_next_catch_up(place):
    service, events, _, _, _, _ = place
    plan = await service.post_message("general", "s-ada", "Ada", "the plan")

    async def lost(event) -> None:
        pass  # the bus dropped it

    publish, service.replying._publish = service.replying._publish, lost
    reply = await service.post_message("general", "s-bob", "Bob", "yes", reply_to=plan.id)
    service.replying._publish = publish
    await eventually(lambda: any(e.message.id == reply.id for _, e in seen(events, MessagePosted)))
    await service.relay.catch_up()  # as the service does every CATCH_UP_SECONDS too
    await eventually(lambda: seen(events, RepliesCounted))
    assert [e for _, e in seen(events, RepliesCounted)] == [RepliesCounted("general", plan.id, 1)]
    await service.relay.catch_up()  # told once: no reply since
    later = await service.post_message("general", "s-ada", "Ada", "later")
    await eventually(lambda: any(e.message.id == later.id for _, e in seen(events, MessagePosted)))
    assert len(seen(events, RepliesCounted)) == 1  # relayed after that catch-up: it said nothing
