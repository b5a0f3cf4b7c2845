"""The room service, relay and feed on a real SQLite file and the in-process bus."""

import asyncio
import time
from dataclasses import replace

import pytest

from chat.bus.memory import MemoryBus
from chat.config import Settings
from chat.domain import (
    Draft,
    MessageChanged,
    MessagePosted,
    MessageStatus,
    OnlineChanged,
    PresenceSnapshot,
)
from chat.feed import RoomFeed
from chat.message_meta import MessageMeta
from chat.rules import Rejected
from chat.service import ChatService
from chat.store.sqlite import SQLiteStore

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def room(tmp_path):
    settings = Settings(data_dir=tmp_path, rate_per_second=1000, rate_burst=1000, flap_window=0)
    store = SQLiteStore(settings.database_url)
    await store.open()
    service = ChatService(settings, store, MemoryBus())
    events = []
    await service.start(lambda room, event: events.append(event))
    yield service, events
    await service.close()
    await store.close()


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


async def eventually(check, timeout=2.0):
    """Wait until `check()` is true (the relay reads the store on a worker thread)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def posted(events):
    return [e.message for e in events if isinstance(e, MessagePosted)]


async def test_posts_get_room_sequence_numbers_and_reach_the_fanout(room):
    service, events = room
    first = await service.post_message("general", "s1", "Alice", "hello")
    second = await service.post_message("general", "s2", "Bob", "hi Alice")
    await settle()
    assert (first.seq, second.seq) == (1, 2)
    assert [m.text for m in posted(events)] == ["hello", "hi Alice"]
    assert [m.text for m in await service.history("general")] == ["hello", "hi Alice"]


async def test_blank_is_not_sent_and_too_long_is_refused(room):
    service, events = room
    assert await service.post_message("general", "s1", "Alice", "   \n ") is None
    with pytest.raises(Rejected, match="limit is 4,000"):
        await service.post_message("general", "s1", "Alice", "x" * 4001)
    await settle()
    assert posted(events) == []


async def test_same_client_id_stores_one_message(room):
    service, events = room
    a = await service.post_message("general", "s1", "Alice", "once", client_id="c-1")
    b = await service.post_message("general", "s1", "Alice", "once", client_id="c-1")
    await settle()
    assert a.id == b.id
    assert len(await service.history("general")) == 1
    assert len(posted(events)) == 1


async def test_names_are_unique_case_insensitively_until_they_leave(room):
    service, events = room
    assert await service.join("general", "s1", "  Alice ") == "Alice"
    with pytest.raises(Rejected, match="already in the room"):
        await service.join("general", "s2", "alice")
    with pytest.raises(Rejected, match="reserved"):
        await service.join("general", "s2", "Bot")
    assert service.online("general") == ("Alice",)
    await service.leave("general", "s1")
    assert await service.join("general", "s2", "ALICE") == "ALICE"
    await settle()
    texts = [m.text for m in posted(events)]
    assert texts == ["Alice joined", "Alice left", "ALICE joined"]
    assert isinstance(events[-1], MessagePosted) or any(isinstance(e, OnlineChanged) for e in events)


async def test_flood_control_refuses_with_a_wait(tmp_path):
    settings = Settings(data_dir=tmp_path, rate_per_second=1, rate_burst=3)
    store = SQLiteStore(settings.database_url)
    await store.open()
    service = ChatService(settings, store, MemoryBus())
    await service.start(lambda room, event: None)
    try:
        for i in range(3):
            await service.post_message("general", "s1", "Alice", f"m{i}")
        with pytest.raises(Rejected, match="send again in"):
            await service.post_message("general", "s1", "Alice", "one too many")
        await service.post_message("general", "s2", "Bob", "others are not throttled")
    finally:
        await service.close()
        await store.close()


async def test_relay_fills_a_sequence_gap_from_the_store(room):
    service, events = room
    # Messages committed by "another process" whose bus events never arrived:
    missing = [await service.store.add_message(Draft("general", "Zed", f"lost {i}")) for i in (1, 2)]
    third = await service.store.add_message(Draft("general", "Zed", "arrived"))
    await service.relay.deliver(MessagePosted(third))
    await service.relay.deliver(MessagePosted(missing[0]))  # late duplicate: dropped
    await eventually(lambda: len(posted(events)) >= 3)
    await asyncio.sleep(0.05)
    assert [m.seq for m in posted(events)] == [1, 2, 3]


async def test_catch_up_recovers_a_lost_last_message(room):
    service, events = room
    await service.store.add_message(Draft("general", "Zed", "nobody announced me"))
    await service.relay.catch_up()
    await eventually(lambda: posted(events))
    assert [m.text for m in posted(events)] == ["nobody announced me"]


async def test_presence_merges_other_processes_and_expires_them(room):
    service, events = room
    await service.join("general", "s1", "Alice")
    await service.relay.deliver(PresenceSnapshot("other-node", "general", ("Bob",), time.time() + 0.2))
    await settle()
    assert service.online("general") == ("Alice", "Bob")
    with pytest.raises(Rejected):
        await service.join("general", "s2", "bob")
    await asyncio.sleep(0.3)
    assert service.presence.expire()
    assert service.online("general") == ("Alice",)


async def test_streaming_reply_text_is_seen_by_late_readers_then_stored(room):
    service, events = room
    reply = await service.begin_reply("general", "bot", claim="reply:x")
    reply = await service.stream_reply(reply, "partial te")
    await settle()
    (shown,) = await service.history("general")
    assert shown.text == "partial te" and shown.status is MessageStatus.STREAMING
    final = await service.finish_reply(reply, "partial text, done", MessageStatus.DONE)
    await settle()
    assert (await service.store.get_message(final.id)).text == "partial text, done"
    changes = [e.message for e in events if isinstance(e, MessageChanged)]
    assert [c.text for c in changes] == ["partial te", "partial text, done"]
    again = await service.begin_reply("general", "bot", claim="reply:x")
    assert again.id == reply.id  # one reply per claim


async def test_feed_holds_events_until_the_backlog_is_read(room):
    service, _ = room
    m1 = await service.post_message("general", "s", "A", "one")
    m2 = await service.post_message("general", "s", "A", "two")
    m3 = await service.post_message("general", "s", "A", "three")
    feed = RoomFeed()
    assert feed.take(MessagePosted(m2)) == []  # arrived while the backlog was being read
    assert feed.take(MessagePosted(m3)) == []
    released = feed.backlog_read([m1, m2])
    assert [e.message.seq for e in released] == [3]
    assert feed.take(MessagePosted(m3)) == []  # duplicate
    assert feed.caught_up([m1, m2, m3]) == []
    m4 = await service.post_message("general", "s", "A", "four")
    assert feed.caught_up([m3, m4]) == [m4]


async def test_health_reports_each_dependency(room):
    service, _ = room
    health = await service.health()
    assert health.ok and health.store == "ok" and health.bus == "ok"
    await service.store.close()
    health = await service.health()
    assert not health.ok and health.store.startswith("down")
    await service.store.open()


async def test_a_database_outage_is_told_not_swallowed(room):
    service, events = room
    await service.store.close()
    with pytest.raises(Rejected, match="database is not answering"):
        await service.post_message("general", "s1", "Alice", "hello?", client_id="c-9")
    assert await service.join("general", "s1", "Alice") == "Alice"  # joining still works, without its line
    await service.store.open()
    message = await service.post_message("general", "s1", "Alice", "hello?", client_id="c-9")
    assert message.text == "hello?" and len(await service.history("general")) == 1


async def test_replies_left_by_a_dead_process_are_settled(room):
    service, events = room
    mine = await service.begin_reply("general", "bot", claim="reply:mine")
    alive = await service.begin_reply("general", "bot", claim="reply:alive")
    dead = await service.store.add_message(
        replace(Draft("general", "bot", "half an ans"), status=MessageStatus.STREAMING,
                meta=MessageMeta(node="crashed-node"))
    )
    # "alive" is written by a node that reports in; "crashed-node" never does.
    await service.store.update_message(alive.id, "", MessageStatus.STREAMING, MessageMeta(node="other-node"))
    await service.relay.deliver(PresenceSnapshot("other-node", "*", (), time.time() + 60))
    await eventually(lambda: "other-node" in service.presence.live_nodes())
    settled = await service.settle_orphans()
    assert [m.id for m in settled] == [dead.id]
    stored = await service.store.get_message(dead.id)
    assert stored.status is MessageStatus.INTERRUPTED and stored.text == "half an ans"
    assert "stopped unexpectedly" in stored.meta.error
    assert (await service.store.get_message(mine.id)).status is MessageStatus.STREAMING


async def test_a_gap_the_store_cannot_fill_yet_is_filled_later_in_order(room):
    service, events = room
    lost = [await service.store.add_message(Draft("general", "Zed", f"lost {i}")) for i in (1, 2)]
    third = await service.store.add_message(Draft("general", "Zed", "arrived"))
    await service.store.close()  # the database is down when the jump is noticed
    await service.relay.deliver(MessagePosted(third))
    await asyncio.sleep(0.1)
    assert posted(events) == []  # not shown out of order, not skipped past the gap
    await service.store.open()
    await service.relay.catch_up()
    await eventually(lambda: len(posted(events)) == 3)
    assert [m.text for m in posted(events)] == ["lost 1", "lost 2", "arrived"]
    assert lost[0].seq == 1
