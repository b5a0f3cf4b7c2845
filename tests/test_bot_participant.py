"""The bot's parts on a real SQLite file and the in-process bus: writer, line, context, edges."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from datetime import datetime, timezone
from typing import AsyncIterator, Sequence

import pytest

from chat.bot.bot import Bot
from chat.bot.context import build_context
from chat.bot.images import ImageStore
from chat.bot.provider import BrainError, Turn
from chat.bot.slots import ReplySlots
from chat.bot.writer import ReplyWriter
from chat.bus.memory import MemoryBus
from chat.config import Settings
from chat.domain import (
    Draft,
    Message,
    MessageChanged,
    MessageKind,
    MessagePosted,
    MessageStatus,
    StopRequested,
)
from chat.message_meta import MessageMeta
from chat.people import PeopleService
from chat.rules import Rejected
from chat.service import ChatService
from chat.store.sqlite import SQLiteStore
from tests.fake_openai import tiny_png


class SlowBus(MemoryBus):
    """The in-process bus with uneven, network-like latency (a pool of connections)."""

    def __init__(self, *delays: float):
        super().__init__()
        self.delays = itertools.cycle(delays)

    async def publish(self, event) -> None:
        await asyncio.sleep(next(self.delays))
        await super().publish(event)


class ScriptedBrain:
    """A brain that says what the test feeds it, when the test feeds it."""

    description = "scripted brain for tests"

    def __init__(self) -> None:
        self.pieces: asyncio.Queue[str | BaseException | None] = asyncio.Queue()
        self.histories: list[list[Turn]] = []
        self.image: bytes | BaseException = tiny_png()
        self.closed_streams = 0

    async def stream(self, history: Sequence[Turn], report=None) -> AsyncIterator[str]:
        self.histories.append(list(history))
        try:
            while (piece := await self.pieces.get()) is not None:
                if isinstance(piece, BaseException):
                    raise piece
                yield piece
        finally:
            self.closed_streams += 1

    async def imagine(self, prompt: str) -> bytes:
        if isinstance(self.image, BaseException):
            raise self.image
        return self.image


class Room:
    """A service and a bot wired as in production, minus Flet."""

    def __init__(self, service: ChatService, bot: Bot, brain: ScriptedBrain, events: list):
        self.service, self.bot, self.brain, self.events = service, bot, brain, events

    async def say(self, author: str, text: str) -> Message:
        return await self.service.post_message("general", f"session-{author}", author, text)

    async def replies(self) -> list[Message]:
        found = await self.service.store.history(self.service.settings.room, None, 1000)
        return [m for m in found if m.kind is MessageKind.BOT]

    async def reply_count(self, count: int) -> list[Message]:
        """Wait until `count` replies were begun (shown, maybe still waiting for their turn)."""
        await eventually(lambda: len(self._posted(MessageKind.BOT)) >= count)
        return (await self.replies())[:count]

    def _posted(self, kind: MessageKind) -> list[Message]:
        posted = [e.message for e in self.events if isinstance(e, MessagePosted)]
        return [m for m in posted if m.kind is kind]

    async def final(self, count: int, timeout: float = 3.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while True:
            found = await self.replies()
            if len(found) >= count and all(m.status.is_final for m in found):
                return found
            assert time.monotonic() < deadline, found
            await asyncio.sleep(0.01)


async def eventually(check, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


@pytest.fixture
async def open_room(tmp_path):
    opened = []

    async def build(bus=None, **overrides) -> Room:
        values = dict(
            data_dir=tmp_path, rate_per_second=1000, rate_burst=1000, bot_mentions_per_minute=100
        )
        values.update(overrides)
        settings = Settings(**values)
        store = SQLiteStore(settings.database_url)
        await store.open()
        service = ChatService(settings, store, bus or MemoryBus())
        brain = ScriptedBrain()
        bot = Bot(service, brain, ImageStore(tmp_path / "images"), settings)
        events: list = []

        def fanout(room, event) -> None:
            events.append(event)
            asyncio.ensure_future(bot.on_event(event))

        await service.start(fanout)
        await bot.start(lambda session_id, handler: None)
        opened.append((service, store, bot))
        return Room(service, bot, brain, events)

    yield build
    for service, store, bot in opened:
        await bot.close(0.1)
        await service.close()
        await store.close()


# ---- the writer


def changes(events: list) -> list[Message]:
    return [e.message for e in events if isinstance(e, MessageChanged)]


async def test_writer_coalesces_a_fast_stream_and_stores_once(open_room):
    room = await open_room()
    reply = await room.service.begin_reply("general", "bot", claim="c1")
    writer = ReplyWriter(room.service, reply, rate=8)
    started = time.monotonic()
    for i in range(400):
        await writer.add(f"w{i} ")
        await asyncio.sleep(0.002)
    elapsed = time.monotonic() - started
    await writer.finish(MessageStatus.DONE)
    await writer.finish(MessageStatus.FAILED, meta=MessageMeta(error="too late"))  # ignored: already finished
    await asyncio.sleep(0.3)  # any stray timer would fire by now
    seen = changes(room.events)
    assert seen[-1].status is MessageStatus.DONE and seen[-1].text == writer.text
    streaming = seen[:-1]
    assert all(m.status is MessageStatus.STREAMING for m in streaming)
    assert len(streaming) <= 8 * elapsed + 2, (len(streaming), elapsed)
    assert len(streaming) >= 4
    stored = await room.service.store.get_message(reply.id)
    assert (stored.status, stored.text) == (MessageStatus.DONE, writer.text)
    assert sum(1 for m in seen if m.status.is_final) == 1


async def test_writer_sends_the_last_words_after_a_pause(open_room):
    room = await open_room()
    writer = ReplyWriter(room.service, await room.service.begin_reply("general", "bot", claim="c2"), rate=10)
    await writer.add("Hello")
    await writer.add(", world")  # within the interval: held back...
    await asyncio.sleep(0.25)  # ...and sent when it ends, though nothing else came
    assert [m.text for m in changes(room.events)] == ["Hello", "Hello, world"]


async def test_writer_keeps_order_on_a_slow_bus_and_sends_nothing_after_the_end(open_room):
    room = await open_room(bus=SlowBus(0.06, 0.01, 0.03))
    writer = ReplyWriter(room.service, await room.service.begin_reply("general", "bot", claim="c3"), rate=50)
    for i in range(60):
        await writer.add(f"{i} ")
        await asyncio.sleep(0.004)
    await writer.add("end")
    await writer.finish(MessageStatus.DONE)
    await asyncio.sleep(0.3)
    seen = changes(room.events)
    texts = [m.text for m in seen]
    for before, after in zip(texts, texts[1:]):
        assert after.startswith(before), (before, after)
    assert seen[-1].status is MessageStatus.DONE and seen[-1].text == writer.text
    assert room.service.relay.live_replies() == {}  # nobody is left seeing "writing…"


async def test_writer_saves_even_when_cancelled_while_saving(open_room):
    room = await open_room(bus=SlowBus(0.05))
    reply = await room.service.begin_reply("general", "bot", claim="c4")
    writer = ReplyWriter(room.service, reply, rate=8)
    await writer.add("all of it")
    finishing = asyncio.create_task(writer.finish(MessageStatus.DONE))
    await asyncio.sleep(0.01)
    finishing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await finishing
    stored = await room.service.store.get_message(reply.id)
    assert (stored.status, stored.text) == (MessageStatus.DONE, "all of it")


# ---- the line of mentions


async def test_slots_hand_on_in_order_and_skip_those_who_left():
    slots = ReplySlots(1)
    first, second, third = slots.claim(), slots.claim(), slots.claim()
    assert (first.number, second.number, third.number) == (0, 1, 2)
    waiting = asyncio.create_task(third.wait())
    second.release()  # left the line before its turn
    first.release()
    await asyncio.wait_for(waiting, 1)
    assert slots.claim().number == 1  # the third holds the only slot now
    third.release()
    third.release()  # twice is harmless


# ---- the bot


async def test_stop_for_a_reply_this_process_does_not_write_is_ignored(open_room):
    room = await open_room()
    await room.say("Alice", "@bot hi")
    (reply,) = await room.reply_count(1)
    await room.bot.on_event(StopRequested("general", "written-elsewhere", "Mallory"))
    await room.brain.pieces.put("Hello ")
    await room.brain.pieces.put("Alice.")
    await room.brain.pieces.put(None)
    (done,) = await room.final(1)
    assert (done.status, done.text) == (MessageStatus.DONE, "Hello Alice.")


async def test_only_the_asker_stops_and_the_model_stream_is_closed(open_room):
    room = await open_room()
    for name in ("Alice", "Bob"):
        await room.service.join("general", f"session-{name}", name, f"person-{name}")
    await room.say("Alice", "@bot hi")
    (reply,) = await room.reply_count(1)
    assert reply.meta.asked_by == "Alice" and reply.meta.asked_by_id == "person-Alice"
    await room.brain.pieces.put("partial ")
    await eventually(lambda: any(m.text == "partial " for m in changes(room.events)))

    # Bob did not ask, and a session that never joined is nobody: both are refused.
    for session in ("session-Bob", "session-nobody"):
        with pytest.raises(Rejected, match="Only Alice, who asked, can stop this reply."):
            await room.service.request_stop("general", reply.id, session)
    assert not any(isinstance(e, StopRequested) for e in room.events)
    # A stop on the bus that the service did not check (someone else) is ignored too, even
    # one that gives the asker's name: who may stop is a person id, never a name.
    await room.bot.on_event(StopRequested("general", reply.id, "Bob", "person-Bob"))
    await room.bot.on_event(StopRequested("general", reply.id, "Alice", "person-Mallory"))
    await asyncio.sleep(0.05)
    assert (await room.replies())[0].status is MessageStatus.STREAMING

    await room.service.request_stop("general", reply.id, "session-Alice")
    await room.service.request_stop("general", reply.id, "session-Alice")  # twice is harmless
    (stopped,) = await room.final(1)
    assert stopped.status is MessageStatus.STOPPED and stopped.meta.stopped_by == "Alice"
    assert stopped.text == "partial "
    assert room.brain.closed_streams == 1  # closed at once, not left to the garbage collector


async def test_shutdown_interrupts_replies_in_flight_and_in_line(open_room):
    room = await open_room(bot_max_concurrent=1)
    await room.say("Alice", "@bot one")
    await room.say("Bob", "@bot two")
    await room.reply_count(2)
    await room.brain.pieces.put("half an answer")
    await eventually(lambda: any(m.text == "half an answer" for m in changes(room.events)))
    await room.bot.close(deadline=0.05)
    writing, waiting = await room.final(2)
    assert (writing.status, writing.text) == (MessageStatus.INTERRUPTED, "half an answer")
    assert (waiting.status, waiting.text) == (MessageStatus.FAILED, "")
    assert writing.meta.error == "The server stopped while writing this."
    assert waiting.meta.error == "The server stopped while writing this."


async def test_the_bot_answers_only_people_on_this_process(open_room):
    room = await open_room()
    await room.service.post_system("general", "@bot system lines are not questions")
    elsewhere = Draft(room.service.settings.room, "Zed", "@bot hi from afar", meta=MessageMeta(node="elsewhere"))
    stored = await room.service.store.add_message(elsewhere)  # a person on another process...
    await room.bot.on_event(MessagePosted(stored))  # ...whose process answers, not this one
    reply = await room.service.begin_reply("general", "bot", claim="mine")
    await room.service.finish_reply(reply, "@bot the bot's own words", MessageStatus.DONE)
    await asyncio.sleep(0.2)
    assert len(await room.replies()) == 1  # only the one made above by hand


@pytest.mark.parametrize(
    "text, image, error",
    [
        ("@bot /imagine", None, "Tell me what to draw: @bot /imagine"),
        ("@bot /imagine a cat", b"GIF89a", "The image server sent something that is not a picture."),
        ("@bot /imagine a cat", BrainError("The image server sent no PNG."), "sent no PNG"),
    ],
    ids=["no-prompt", "not-a-png", "brain-error"],
)
async def test_imagine_failures_are_failed_replies_without_the_placeholder(
    open_room, text, image, error
):
    room = await open_room()
    if image is not None:
        room.brain.image = image
    await room.say("Alice", text)
    (reply,) = await room.final(1)
    assert reply.status is MessageStatus.FAILED and reply.text == ""
    assert error in reply.meta.error and reply.meta.image is None


async def test_a_bug_in_the_brain_ends_the_reply_visibly_and_is_logged(open_room, caplog):
    room = await open_room()
    await room.say("Alice", "@bot hi")
    await room.reply_count(1)
    await room.brain.pieces.put("so far ")
    await room.brain.pieces.put(KeyError("oops"))
    (reply,) = await room.final(1)
    assert (reply.status, reply.text) == (MessageStatus.INTERRUPTED, "so far ")
    assert reply.meta.error == "Something went wrong on our side while writing this."
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


async def test_the_model_is_asked_about_the_room_up_to_the_mention(open_room):
    room = await open_room(bot_max_concurrent=1)
    await room.say("Dan", "@bot zero")
    await room.brain.pieces.put("zero answer")
    await room.brain.pieces.put(None)
    await room.final(1)
    await room.say("Alice", "@bot first")
    await room.say("Bob", "@bot second")  # waits in line behind Alice
    await room.reply_count(3)
    await room.say("Carol", "said while Bob waited")
    await room.brain.pieces.put("one")
    await room.brain.pieces.put(None)
    await eventually(lambda: len(room.brain.histories) == 3)
    await room.brain.pieces.put(None)
    await room.final(3)
    asked = [(t.role, t.content) for t in room.brain.histories[2][1:]]
    assert asked == [
        ("user", '<message from="Dan">\n@bot zero\n</message>'),
        ("assistant", "zero answer"),
        ("user", '<message from="Alice">\n@bot first\n</message>'),
        ("user", '<message from="Bob">\n@bot second\n</message>'),
    ]  # nothing said after Bob's question, and no notices


# ---- context


def message(
    seq: int, author: str, text: str, kind=MessageKind.CHAT, status=MessageStatus.DONE
) -> Message:
    now = datetime.now(timezone.utc)
    return Message(f"m{seq}", "general", seq, author, text, now, kind=kind, status=status)


def test_context_keeps_the_question_when_it_alone_is_over_budget():
    history = [message(1, "Alice", "short"), message(2, "Bob", "@bot " + "x" * 500)]
    turns = build_context("Be nice.", "bot", history, max_messages=30, max_tokens=120)
    assert [t.role for t in turns] == ["system", "user"]
    question = turns[-1].content
    assert question.startswith('<message from="Bob">\n@bot xxx')
    assert question.endswith("…\n</message>")
    assert len(turns[0].content) + len(question) <= 120 * 4


def test_context_leaves_out_replies_still_being_written():
    history = [
        message(1, "Alice", "@bot hi"),
        message(2, "bot", "Hi Alice", kind=MessageKind.BOT),
        message(3, "bot", "half a repl", kind=MessageKind.BOT, status=MessageStatus.STREAMING),
        message(4, "system", "Bob joined", kind=MessageKind.SYSTEM),
        message(5, "Bob", "@bot and me?"),
    ]
    turns = build_context("Be nice.", "bot", history, max_messages=30, max_tokens=3000)
    assert [(t.role, t.content) for t in turns[1:]] == [
        ("user", '<message from="Alice">\n@bot hi\n</message>'),
        ("assistant", "Hi Alice"),
        ("user", '<message from="Bob">\n@bot and me?\n</message>'),
    ]


# ---- checkpoints


async def test_a_streaming_reply_is_checkpointed_while_it_grows_and_after_a_pause(open_room):
    room = await open_room(bot_checkpoint_seconds=0.3)
    await room.say("Alice", "@bot hi")
    (reply,) = await room.reply_count(1)

    async def stored():
        return await room.service.store.get_message(reply.id)

    saved_texts = []
    for word in ("one ", "two ", "three ", "four ", "five ", "six "):
        await room.brain.pieces.put(word)
        await asyncio.sleep(0.15)
        saved = await stored()
        assert saved.status is MessageStatus.STREAMING
        saved_texts.append(saved.text)
    # Saved as it grew, each save a beginning of the next, never more than 0.3 s + a save behind.
    assert len(set(saved_texts)) >= 2, saved_texts
    assert all(b.startswith(a) for a, b in zip(saved_texts, saved_texts[1:]))
    # The model pauses: the last words are saved anyway, within one interval.
    deadline = time.monotonic() + 1.0
    while (await stored()).text != "one two three four five six ":
        assert time.monotonic() < deadline, (await stored()).text
        await asyncio.sleep(0.02)
    await room.brain.pieces.put("seven.")
    await room.brain.pieces.put(None)
    (done,) = await room.final(1)
    assert (done.status, done.text) == (MessageStatus.DONE, "one two three four five six seven.")
    await asyncio.sleep(0.5)  # no checkpoint lands after the final save
    assert await stored() == done


async def test_a_checkpoint_the_store_refuses_is_retried_and_never_lands_after_the_end(caplog):
    from chat.bot.checkpoint import Checkpoints
    from chat.store.base import StoreUnavailable

    saved: list[str] = []
    failures = [StoreUnavailable("down for a moment")]

    async def save(text: str) -> None:
        if failures:
            raise failures.pop()
        saved.append(text)

    checkpoints = Checkpoints(save, interval=0.1)
    checkpoints.changed("one")
    await eventually(lambda: saved == ["one"], timeout=2)  # the first try failed; the next landed
    assert "could not checkpoint a bot reply: down for a moment" in caplog.text
    checkpoints.changed("one two")
    await checkpoints.close()
    await asyncio.sleep(0.3)
    assert saved == ["one"] or saved == ["one", "one two"]  # a save under way may land; none after
    count = len(saved)
    checkpoints.changed("one two three")
    await asyncio.sleep(0.3)
    assert len(saved) == count


async def test_each_room_has_its_own_line_limits_and_context(open_room):
    room = await open_room(bot_max_concurrent=1, bot_mentions_per_minute=1)
    service = room.service
    await service.post_message("design", "session-Dora", "Dora", "kerning is spacing")
    await room.say("Alice", "@bot one")  # general: answering, holds general's only slot
    await eventually(lambda: len(room.brain.histories) == 1)
    await service.post_message("design", "session-Alice", "Alice", "@bot two")
    # design has a line of its own: answered at once, not "number 1 in line" behind general;
    # and Alice's one mention a minute in general leaves her one in design.
    await eventually(lambda: len(room.brain.histories) == 2)
    asked = [t.content for t in room.brain.histories[1][1:]]
    assert asked == [
        '<message from="Dora">\nkerning is spacing\n</message>',
        '<message from="Alice">\n@bot two\n</message>',
    ]  # design's messages only
    for _ in range(2):
        await room.brain.pieces.put(None)
    await room.say("Alice", "@bot three")  # over her limit in general
    await eventually(lambda: any("try again" in m.text for m in room._posted(MessageKind.SYSTEM)))
    notices = [m for m in room._posted(MessageKind.SYSTEM)]
    assert [m.room for m in notices] == ["general"]
    design = await service.store.history("design", None, 100)
    assert [m.kind for m in design] == [MessageKind.CHAT, MessageKind.CHAT, MessageKind.BOT]
    assert not any("in line" in m.text for m in design + await room.replies())


async def test_in_a_dm_with_the_bot_every_message_is_a_question(open_room):
    room = await open_room()
    service = room.service
    people = PeopleService(service.settings, service.store)
    alice, bob = await people.create_person("Alice"), await people.create_person("Bob")
    with_bot = await service.directory.direct(alice, "@bot")
    assert await service.directory.direct(alice, "bot") == with_bot  # one DM per pair
    between_people = await service.directory.direct(alice, "Bob")
    assert await service.directory.direct(bob, "alice") == between_people
    await service.join(with_bot.name, "session-Alice", "Alice", alice.id)
    await service.post_message(between_people.name, "session-Alice", "Alice", "lunch?")
    await service.post_message(with_bot.name, "session-Alice", "Alice", "what is kerning?")
    await eventually(lambda: len(room.brain.histories) == 1)
    await room.brain.pieces.put("spacing between letters")
    await room.brain.pieces.put(None)

    async def replies_in(name: str) -> list[Message]:
        return [m for m in await service.store.history(name, None, 100) if m.kind is MessageKind.BOT]

    deadline = time.monotonic() + 3
    while not (done := await replies_in(with_bot.name)) or not done[0].status.is_final:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert done[0].text == "spacing between letters"
    assert room.brain.histories[0][-1].content == '<message from="Alice">\nwhat is kerning?\n</message>'
    await asyncio.sleep(0.2)
    assert await replies_in(between_people.name) == []  # a DM between people: no mention, no bot
    assert len(room.brain.histories) == 1


async def test_the_bots_limit_follows_the_person_not_the_name(open_room):
    room = await open_room(bot_mentions_per_minute=1)
    # One person writing under a new name (a rename) shares one limit...
    await room.service.join("general", "session-Alice", "Alice", "person-1")
    await room.say("Alice", "@bot first")
    await room.service.join("general", "session-Alicia", "Alicia", "person-1")
    await room.say("Alicia", "@bot again, renamed")
    # ...and someone else keeps their own, whatever name the first person had.
    await room.service.join("general", "session-Bob", "Bob", "person-2")
    await room.say("Bob", "@bot mine")
    await room.reply_count(2)
    await eventually(lambda: any("try again in" in m.text for m in room._posted(MessageKind.SYSTEM)))
    notices = [m.text for m in room._posted(MessageKind.SYSTEM) if "@bot" in m.text]
    assert [n.split(",")[0] for n in notices] == ["Alicia"], notices
    askers = sorted(m.meta.asked_by_id for m in await room.replies())
    assert askers == ["person-1", "person-2"]
