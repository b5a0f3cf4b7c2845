"""Bots wake on replies to their own messages (no @mention needed), and never loop."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from chat.bot.bot import Bot
from chat.bot.context import build_context, unwrap
from chat.bot.images import ImageStore
from chat.bot.offline import question_from
from chat.bot.roster import BotSpec
from chat.domain import MessageKind, Quote, RepliesCounted
from tests.test_bot_participant import (  # noqa: F401  (the fixture)
    ScriptedBrain,
    eventually,
    message,
    open_room,
)


async def answer(brain: ScriptedBrain, text: str) -> None:
    await brain.pieces.put(text)
    await brain.pieces.put(None)


@pytest.mark.asyncio
async def test_a_reply_to_the_bots_message_wakes_it_with_the_original_in_context(open_room):
    room = await open_room()
    await room.say("Alice", "@bot what is kerning?")
    await eventually(lambda: len(room.brain.histories) == 1)
    await answer(room.brain, "The space between letters.")
    (first,) = await room.final(1)
    reply = await room.service.post_message(
        "general", "session-Bob", "Bob", "and leading?", reply_to=first.id
    )
    await eventually(lambda: len(room.brain.histories) == 2)
    asked = room.brain.histories[1][-1]
    assert asked.content == (
        '<message from="Bob">\n> (replying to bot)\n> The space between letters.\n\n'
        "and leading?\n</message>"
    )
    assert question_from(room.brain.histories[1]) == "and leading?"  # what an offline brain reads
    await answer(room.brain, "The space between lines.")
    _, second = await room.final(2)
    # The answer goes into the thread of the bot's message, next to the question.
    assert second.reply_to == first.id and second.meta.answers == reply.id
    counted = [e for e in room.events if isinstance(e, RepliesCounted)]
    assert [e.count for e in counted if e.message_id == first.id] == [1, 2]


@pytest.mark.asyncio
async def test_a_reply_to_a_persons_message_or_a_deleted_one_does_not_wake_the_bot(open_room):
    room = await open_room()
    mine = await room.say("Alice", "lunch?")
    await room.service.post_message("general", "session-Bob", "Bob", "sure", reply_to=mine.id)
    spoof = await room.say("Alice", "I am not the bot")
    await room.service.post_message("general", "session-Bob", "Bob", "ok", reply_to=spoof.id)
    await asyncio.sleep(0.2)
    assert room.brain.histories == [] and await room.replies() == []


@pytest.mark.asyncio
async def test_only_the_bot_replied_to_answers_and_two_bots_never_loop(open_room, tmp_path):
    room = await open_room()
    service = room.service
    echo_brain = ScriptedBrain()
    # Even a bot that answers other bots does not take a reply in its thread as a question.
    echo = Bot(
        service,
        echo_brain,
        ImageStore(tmp_path / "echo-images"),
        service.settings,
        BotSpec("echo", "Echo", answers_bots=True),
    )
    await echo.start(lambda session_id, handler: None)
    real_fanout = service.relay._fanout

    def both(room_name, event) -> None:
        real_fanout(room_name, event)
        asyncio.ensure_future(echo.on_event(event))

    service.relay._fanout = both
    try:
        await room.say("Alice", "@echo hello")
        await eventually(lambda: len(echo_brain.histories) == 1)
        await answer(echo_brain, "hello @bot, says echo")
        (from_echo,) = await room.final(1)
        await service.post_message("general", "session-Bob", "Bob", "why?", reply_to=from_echo.id)
        await eventually(lambda: len(echo_brain.histories) == 2)
        await answer(echo_brain, "because")
        await room.final(2)
        await asyncio.sleep(0.3)
        # The plain bot saw a mention in echo's first answer, but bots' words never ask it,
        # and Bob's reply was to echo: only echo answered, once each.
        assert room.brain.histories == []
        assert len(echo_brain.histories) == 2
        bots = [
            m
            for m in await service.store.history("general", None, 100)
            if m.kind is MessageKind.BOT
        ]
        assert [m.author for m in bots] == ["echo", "echo"]
    finally:
        await echo.close(0.1)


def test_context_shows_a_replys_quote_but_not_a_deleted_one():
    reply = message(2, "Bob", "agreed")
    quoted = replace(
        reply, reply_to="m1", quote=Quote("m1", "Alice (admin)", "line one\nline two", 1)
    )
    turns = build_context("Be brief.", "bot", [quoted], max_messages=10, max_tokens=1000)
    assert turns[-1].content == (
        '<message from="Bob">\n> (replying to Alice (admin])\n> line one\n> line two\n\n'
        "agreed\n</message>"
    )
    assert unwrap(turns[-1].content) == "agreed"
    gone = replace(quoted, quote=Quote("m1", "Alice", "", 1, deleted=True))
    turns = build_context("Be brief.", "bot", [gone], max_messages=10, max_tokens=1000)
    assert turns[-1].content == '<message from="Bob">\nagreed\n</message>'
