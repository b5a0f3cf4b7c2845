"""Changes another process made whose bus events never arrived reach this process's tabs.

Catching up by sequence number recovers lost messages; these are changes to messages
already shown: an edit, a deletion, a reply's final text, a reaction. "Another process"
writes straight to the shared store here, so nothing comes over the bus.
"""

from datetime import UTC, datetime

import pytest

from chat.domain import Draft, MessageChanged, MessageKind, MessageStatus, ReactionsChanged
from chat.message_meta import MessageMeta
from chat.person import Person
from tests.test_service import eventually, room  # noqa: F401  (the fixture)

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def changed(events):
    return [e.message for e in events if isinstance(e, MessageChanged)]


def reacted(events):
    return [e for e in events if isinstance(e, ReactionsChanged)]


async def shown(service, events, text):
    message = await service.post_message("general", "s1", "Alice", text)
    await eventually(lambda: any(getattr(e, "message", None) == message for e in events))
    return message


async def test_a_lost_edit_and_a_lost_deletion_are_relayed_at_the_next_catch_up(room):  # noqa: F811
    service, events = room
    await service.store.add_person(Person("p-zed", "Zed", "zed", NOW))
    lunch = await shown(service, events, "lunch at noon?")
    oops = await shown(service, events, "wrong room")
    await service.store.edit_message(lunch.id, "lunch at one?", "p-zed", NOW)
    await service.store.delete_message(oops.id, "p-zed")
    await service.relay.catch_up()
    await eventually(lambda: len(changed(events)) == 2)
    edited, deleted = changed(events)
    assert (edited.id, edited.text, edited.edited_at is not None) == (
        lunch.id,
        "lunch at one?",
        True,
    )
    assert deleted.id == oops.id and deleted.is_deleted

    await service.relay.catch_up()  # nothing new: nothing relayed twice
    await service.post_message("general", "s1", "Alice", "a marker")
    await eventually(
        lambda: getattr(events[-1], "message", None) and events[-1].message.text == "a marker"
    )
    assert len(changed(events)) == 2


async def test_a_lost_reaction_is_relayed_as_the_whole_summary(room):  # noqa: F811
    service, events = room
    await service.store.add_person(Person("p-zed", "Zed", "zed", NOW))
    message = await shown(service, events, "pizza tonight")
    await service.store.set_reaction(message.id, "p-zed", "🍕", True)
    await service.relay.catch_up()
    await eventually(lambda: reacted(events))
    [event] = reacted(events)
    assert event.message_id == message.id and event.reactions.by("p-zed") == {"🍕"}


async def test_a_lost_final_text_of_a_reply_is_relayed(room):  # noqa: F811
    service, events = room
    draft = Draft("general", "bot", "", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    reply = await service.store.add_message(draft)
    await service.relay.catch_up()  # the new reply, by its sequence number
    await eventually(lambda: any(getattr(e, "message", None) == reply for e in events))
    await service.store.update_message(reply.id, "the whole answer", MessageStatus.DONE, MessageMeta())
    await service.relay.catch_up()
    await eventually(lambda: changed(events))
    assert [(m.text, m.status) for m in changed(events)] == [
        ("the whole answer", MessageStatus.DONE)
    ]


async def test_a_change_that_came_over_the_bus_is_not_relayed_again(room):  # noqa: F811
    service, events = room
    await service.store.add_person(Person("p-zed", "Zed", "zed", NOW))
    message = await shown(service, events, "see you at 5")
    edited = await service.store.edit_message(message.id, "see you at 6", "p-zed", NOW)
    await service.relay.deliver(MessageChanged(edited))  # the bus brought this one
    reactions = await service.store.set_reaction(message.id, "p-zed", "👍", True)
    await service.relay.deliver(ReactionsChanged("general", message.id, reactions))
    await service.relay.catch_up()
    await service.post_message("general", "s1", "Alice", "a marker")
    await eventually(
        lambda: getattr(events[-1], "message", None) and events[-1].message.text == "a marker"
    )
    assert [m.text for m in changed(events)] == ["see you at 6"]
    assert len(reacted(events)) == 1


async def test_a_reply_written_again_is_left_to_its_writer(room):  # noqa: F811
    """Regenerated just after it ended: the stored text is older than the live one."""
    service, events = room
    draft = Draft("general", "bot", "", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    reply = await service.store.add_message(draft)
    await service.relay.catch_up()
    await eventually(lambda: any(getattr(e, "message", None) == reply for e in events))
    await service.store.update_message(reply.id, "first answer", MessageStatus.DONE, MessageMeta())
    await service.relay.catch_up()
    await eventually(lambda: changed(events))
    await service.store.update_message(reply.id, "", MessageStatus.STREAMING, MessageMeta())
    await service.relay.catch_up()
    await service.post_message("general", "s1", "Alice", "a marker")
    await eventually(
        lambda: getattr(events[-1], "message", None) and events[-1].message.text == "a marker"
    )
    assert [m.status for m in changed(events)] == [MessageStatus.DONE]
