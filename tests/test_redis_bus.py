"""RedisBus against a real Redis server; two buses stand in for two server processes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
import logging
import socket
import uuid
from datetime import datetime, timezone

import pytest
import pytest_asyncio

from chat.bus.base import BusUnavailable
from chat.domain import (
    Message,
    MessageChanged,
    MessagePosted,
    MessageStatus,
    PresenceSnapshot,
    StopRequested,
)
from chat.message_meta import MessageMeta
from tests.servers import (
    REDIS_URL,
    ensure_redis,
    new_channel,
    require_redis,
    servers_in_use,
    stop_redis,
    why_redis_cannot_restart,
)


class Inbox:
    """What one bus delivered, with a way to wait for more."""

    def __init__(self) -> None:
        self.events: list = []
        self._arrived = asyncio.Event()

    async def deliver(self, event) -> None:
        self.events.append(event)
        self._arrived.set()

    async def wait_until(self, condition, seconds: float = 15.0) -> None:
        async with asyncio.timeout(seconds):
            while not condition(self.events):
                self._arrived.clear()
                await self._arrived.wait()

    def texts(self, prefix: str = "") -> list[str]:
        return [
            e.message.text for e in self.events
            if isinstance(e, MessagePosted) and e.message.text.startswith(prefix)
        ]


class Buses:
    """Starts RedisBus instances on one fresh channel and closes them at the end."""

    def __init__(self) -> None:
        self.channel = new_channel()
        self.started: list = []

    async def start(self, url: str = REDIS_URL):
        from chat.bus.redis import RedisBus

        bus, inbox = RedisBus(url, channel=self.channel), Inbox()
        self.started.append(bus)
        await bus.start(inbox.deliver)
        return bus, inbox


@pytest_asyncio.fixture
async def any_buses():
    """Buses whether or not a Redis server is running (for the unreachable cases)."""
    pytest.importorskip("redis", reason="redis-py is not installed")
    started = Buses()
    try:
        yield started
    finally:
        for bus in started.started:
            await bus.close()


@pytest_asyncio.fixture
async def buses(any_buses):
    """Buses on the local Redis server; skips when there is none."""
    async with servers_in_use():  # no other test run on this machine stops Redis meanwhile
        await require_redis()
        yield any_buses


def posted(text: str, seq: int = 1) -> MessagePosted:
    return MessagePosted(
        Message(id=uuid.uuid4().hex, room="general", seq=seq, author="ann", text=text,
                created_at=datetime.now(timezone.utc), meta=MessageMeta(node="n1", webhook="w1"))
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.asyncio
async def test_events_reach_the_other_process_in_order(buses):
    a, a_inbox = await buses.start()
    b, b_inbox = await buses.start()
    assert a.connected and b.connected
    sent = [f"m{i}" for i in range(300)]
    for i, text in enumerate(sent, 1):
        await a.publish(posted(text, seq=i))
    await b_inbox.wait_until(lambda events: len(events) >= 300)
    assert b_inbox.texts() == sent

    # B's reply reaches A through Redis after every echo of A's own events,
    # so once it is in, any duplicate of A's events would be in too.
    await b.publish(posted("reply"))
    await a_inbox.wait_until(lambda events: len(events) >= 301)
    await asyncio.sleep(0.1)
    assert a_inbox.texts() == sent + ["reply"]
    assert b_inbox.texts() == sent + ["reply"]


@pytest.mark.asyncio
async def test_every_event_type_crosses_intact(buses):
    a, _ = await buses.start()
    b, b_inbox = await buses.start()
    message = replace(posted("streaming", seq=7).message, author_id="person-ann")
    events = [
        MessagePosted(message),
        MessageChanged(message.with_text("streaming and more", MessageStatus.DONE, MessageMeta(error="4"))),
        PresenceSnapshot("node-1", "general", ("ann", "bob"), 1234.5),
        StopRequested("general", message.id, "bob"),
        StopRequested("general", message.id, "bob", "person-bob"),
    ]
    for event in events:
        await a.publish(event)
    await b_inbox.wait_until(lambda got: len(got) >= len(events))
    assert b_inbox.events == events


@pytest.mark.asyncio
async def test_ping(buses):
    bus, _ = await buses.start()
    await bus.ping()


@pytest.mark.asyncio
async def test_ping_without_redis_raises(any_buses):
    silent, _ = await any_buses.start(f"redis://127.0.0.1:{closed_port()}/0")
    with pytest.raises(BusUnavailable, match="unreachable"):
        await silent.ping()


@pytest.mark.asyncio
async def test_publish_without_redis_still_delivers_locally(any_buses):
    loop = asyncio.get_running_loop()
    began = loop.time()
    bus, inbox = await any_buses.start(f"redis://127.0.0.1:{closed_port()}/0")
    assert not bus.connected
    event = posted("local only")
    with pytest.raises(BusUnavailable, match="could not publish"):
        await bus.publish(event)
    assert inbox.events == [event]
    await bus.close()
    assert loop.time() - began < 5, "an unreachable Redis must fail fast, not hang"


@pytest.mark.asyncio
@pytest.mark.skipif(
    why_redis_cannot_restart() is not None, reason=str(why_redis_cannot_restart())
)
async def test_reader_reconnects_after_redis_restarts(exclusive_servers, any_buses, caplog):
    await require_redis()
    buses = any_buses
    caplog.set_level(logging.WARNING, logger="chat.bus.redis")
    a, a_inbox = await buses.start()
    b, b_inbox = await buses.start()
    sent: list[str] = []
    failed: list[BusUnavailable] = []
    sending = True

    async def keep_sending() -> None:
        while sending:
            sent.append(f"during {len(sent)}")
            try:
                await a.publish(posted(sent[-1]))
            except BusUnavailable as exc:
                failed.append(exc)
            await asyncio.sleep(0.01)

    sender = asyncio.create_task(keep_sending())
    try:
        try:
            await b_inbox.wait_until(lambda events: len(events) >= 20)
            await stop_redis()
            await asyncio.sleep(0.5)
            assert not b.connected
        finally:
            # Other tests and people share this Redis: it must come back whatever happened.
            await ensure_redis()
        async with asyncio.timeout(15):
            while not (a.connected and b.connected):
                await asyncio.sleep(0.05)
    finally:
        sending = False
        await sender

    assert failed, "publishing while Redis was down should have raised BusUnavailable"
    # Local delivery never depended on Redis: A saw each of its own events once, in order.
    assert a_inbox.texts() == sent
    # B may have missed events during the outage, but never got any out of order.
    received = b_inbox.texts("during ")
    assert received == sorted(received, key=lambda t: int(t.split()[1]))

    after = [f"after {i}" for i in range(50)]
    for text in after:
        await a.publish(posted(text))
    await b_inbox.wait_until(lambda events: len(b_inbox.texts("after ")) >= 50)
    assert b_inbox.texts("after ") == after
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "unreachable" in logged and "is back" in logged
