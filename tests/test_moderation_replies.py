"""A moderator and a bot reply being written: they may stop it, and deleting it stops it for good."""

from __future__ import annotations

import asyncio

import pytest

from chat.domain import MessageStatus, StopRequested
from chat.message_meta import MessageMeta
from chat.people import PeopleService
from chat.person import Role
from chat.rules import Rejected
from tests.test_bot_participant import changes, open_room  # noqa: F401  (the fixture)
from tests.test_service import eventually

pytestmark = pytest.mark.asyncio


async def people_in_general(room):
    people = PeopleService(room.service.settings, room.service.store)
    ada = await people.create_person("Ada", Role.ADMIN)
    cleo = await people.create_person("Cleo", Role.MEMBER)
    for person in (ada, cleo):
        await room.service.join("general", f"session-{person.name}", person.name, person.id)
    await room.service.join("general", "session-Alice", "Alice", "person-Alice")
    return ada, cleo


async def test_a_moderator_may_stop_anyone_s_reply_and_a_member_may_not(open_room):
    room = await open_room()
    ada, cleo = await people_in_general(room)
    await room.say("Alice", "@bot hi")
    (reply,) = await room.reply_count(1)
    await room.brain.pieces.put("partial ")
    await eventually(lambda: any(m.text == "partial " for m in changes(room.events)))
    assert room.service.may_stop(reply, ada.id, moderator=True)
    with pytest.raises(Rejected, match="Only Alice"):
        await room.service.request_stop("general", reply.id, "session-Cleo")
    # A stop on the bus claiming a moderator the service did not check is still refused.
    await room.bot.on_event(StopRequested("general", reply.id, "Cleo", cleo.id))
    await asyncio.sleep(0.05)
    assert (await room.replies())[0].status is MessageStatus.STREAMING
    await room.service.request_stop("general", reply.id, "session-Ada")
    (stopped,) = await room.final(1)
    assert stopped.status is MessageStatus.STOPPED and stopped.meta.stopped_by == "Ada"


async def test_a_reply_deleted_while_it_is_written_stops_and_stays_a_tombstone(open_room):
    room = await open_room()
    ada, _ = await people_in_general(room)
    await room.say("Alice", "@bot hi")
    (reply,) = await room.reply_count(1)
    await room.brain.pieces.put("something the moderator dislikes ")
    await eventually(lambda: any(m.text for m in changes(room.events) if m.id == reply.id))
    await room.service.moderation.delete_message("general", reply.id, ada.id)
    (stopped,) = await room.final(1)
    assert stopped.status is MessageStatus.STOPPED
    assert (stopped.text, stopped.deleted_by) == ("", ada.id)
    shown = [m for m in changes(room.events) if m.id == reply.id]
    first_tombstone = next(i for i, m in enumerate(shown) if m.deleted_by)
    assert all(m.text == "" and m.deleted_by == ada.id for m in shown[first_tombstone:])


async def test_words_streamed_after_the_delete_show_nothing_anywhere(open_room):
    room = await open_room()
    ada, _ = await people_in_general(room)
    reply = await room.service.begin_reply(
        "general", "bot", claim="c-1", meta=MessageMeta(asked_by_id="person-Alice")
    )
    await room.service.moderation.delete_message("general", reply.id, ada.id)
    await room.service.stream_reply(reply, "words the writer had already")
    assert not await room.service.checkpoint_reply(reply, "words the writer had already")
    await eventually(lambda: len([m for m in changes(room.events) if m.id == reply.id]) >= 2)
    assert [(m.text, m.deleted_by) for m in changes(room.events) if m.id == reply.id] == [
        ("", ada.id),
        ("", ada.id),
    ]
    final = await room.service.finish_reply(reply, "the whole answer", MessageStatus.STOPPED)
    assert (final.text, final.deleted_by) == ("", ada.id)
