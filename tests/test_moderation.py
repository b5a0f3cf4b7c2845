"""Moderation through the service, on a real SQLite file and the in-process bus: both sides of each action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chat.audit import ModAction
from chat.bus.memory import MemoryBus
from chat.config import Settings
from chat.domain import (
    EVERY_ROOM,
    MemberRemoved,
    MessageChanged,
    PersonBanned,
    PersonMuted,
    RoomLockChanged,
)
from chat.moderation import Moderation, parse_duration
from chat.people import PeopleService
from chat.person import Role
from chat.rules import Rejected
from chat.service import ChatService
from chat.store.sqlite import SQLiteStore
from tests.test_service import eventually

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def place(tmp_path):
    settings = Settings(data_dir=tmp_path, rate_per_second=1000, rate_burst=1000, flap_window=0)
    store = SQLiteStore(settings.database_url)
    await store.open()
    service = ChatService(settings, store, MemoryBus())
    events: list[tuple[str, object]] = []
    await service.start(lambda room, event: events.append((room, event)))
    people = PeopleService(settings, store)
    admin = await people.create_person("Ada", Role.ADMIN)
    owner = await people.create_person("Olga", Role.MEMBER)
    bob = await people.create_person("Bob", Role.MEMBER)
    for session, person in (("s-ada", admin), ("s-olga", owner), ("s-bob", bob)):
        await service.join("general", session, person.name, person.id)
    await service.directory.create_room("den", "", owner, private=True)
    await service.directory.invite("den", owner, "Bob")
    yield service, events, people, admin, owner, bob
    await service.close()
    await store.close()


def seen(events, cls):
    return [(room, e) for room, e in events if isinstance(e, cls)]


async def test_a_moderator_deletes_a_message_and_every_tab_and_history_shows_a_tombstone(place):
    service, events, _, admin, owner, bob = place
    rude = await service.post_message("den", "s-bob", "Bob", "something rude")
    tombstone = await service.moderation.delete_message("den", rude.id, owner.id)  # the owner
    assert tombstone.is_deleted and tombstone.text == "" and tombstone.deleted_by == owner.id
    await eventually(lambda: seen(events, MessageChanged))
    room, changed = seen(events, MessageChanged)[0]
    assert room == "den" and changed.message.deleted_by == owner.id and changed.message.text == ""
    history = await service.history("den")
    assert [m.deleted_by for m in history if m.id == rude.id] == [owner.id]
    other = await service.post_message("general", "s-bob", "Bob", "hello")
    await service.moderation.delete_message("general", other.id, admin.id)  # an admin, anywhere
    entries = await service.moderation.audit(admin.id)
    assert [(e.action, e.actor, e.target, e.room) for e in entries] == [
        (ModAction.DELETE, "Ada", "Bob", "general"),
        (ModAction.DELETE, "Olga", "Bob", "den"),
    ]


async def test_nobody_else_may_moderate(place):
    service, _, _, _, owner, bob = place
    mine = await service.post_message("general", "s-olga", "Olga", "mine")
    with pytest.raises(Rejected, match="owner or an admin"):
        await service.moderation.delete_message("general", mine.id, bob.id)
    with pytest.raises(Rejected, match="owner or an admin"):  # Olga owns den, not general
        await service.moderation.set_locked("general", True, owner.id)
    with pytest.raises(Rejected, match="Only an admin"):
        await service.moderation.ban("Bob", owner.id)
    with pytest.raises(Rejected, match="Only an admin"):
        await service.moderation.audit(owner.id)
    assert not (await service.history("general"))[-1].is_deleted


async def test_a_muted_person_is_told_until_when_and_can_post_again_once_unmuted(place):
    service, events, _, _, owner, bob = place
    until = await service.moderation.mute("den", "Bob", "10m", owner.id, reason="calm down")
    with pytest.raises(Rejected, match=f"until {until:%Y-%m-%d %H:%M} UTC"):
        await service.post_message("den", "s-bob", "Bob", "but")
    await service.post_message("general", "s-bob", "Bob", "elsewhere I may")  # one room only
    await service.post_message("den", "s-olga", "Olga", "others may")
    await eventually(lambda: seen(events, PersonMuted))
    assert seen(events, PersonMuted)[0] == ("den", PersonMuted("den", bob.id, until))
    await service.moderation.unmute("den", "Bob", owner.id)
    assert await service.post_message("den", "s-bob", "Bob", "thanks") is not None
    with pytest.raises(Rejected, match="not muted"):
        await service.moderation.unmute("den", "Bob", owner.id)


async def test_a_mute_ends_by_itself(place):
    service, _, _, _, owner, bob = place
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    moderation = Moderation(
        service.settings, service.store, service.bus.publish, service.post_system, lambda: now[0]
    )
    await moderation.mute("den", "Bob", "2h", owner.id)
    with pytest.raises(Rejected, match="until 2026-12-01 14:00 UTC"):
        await moderation.check_may_post("den", bob.id)
    now[0] += timedelta(hours=2, seconds=1)
    await moderation.check_may_post("den", bob.id)  # no refusal


@pytest.mark.parametrize("text", ["", "soon", "0", "-5m", "400d", "5 weeks"])
async def test_a_mute_needs_a_sensible_duration(text):
    with pytest.raises(Rejected):
        parse_duration(text)


async def test_durations_read_as_people_write_them():
    assert parse_duration("30") == timedelta(minutes=30)
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration(" 1D ") == timedelta(days=1)


async def test_a_removed_member_loses_the_private_room(place):
    service, events, _, _, owner, bob = place
    assert await service.directory.may_see("den", bob.id)
    await service.moderation.remove("den", "Bob", owner.id, reason="off topic")
    assert not await service.directory.may_see("den", bob.id)
    assert "den" not in [r.name for r in await service.directory.rooms(bob.id)]
    await eventually(lambda: seen(events, MemberRemoved))
    assert seen(events, MemberRemoved) == [(EVERY_ROOM, MemberRemoved("den", bob.id))]
    texts = [m.text for m in await service.history("den")]
    assert "Bob was removed from the room by Olga" in texts
    with pytest.raises(Rejected, match="not a member"):
        await service.moderation.remove("den", "Bob", owner.id)
    with pytest.raises(Rejected, match="Only private rooms"):
        await service.moderation.remove(
            "general", "Bob", (await service.store.person_by_name_key("ada")).id
        )


async def test_a_locked_room_refuses_every_post_until_unlocked(place):
    service, events, _, admin, _, _ = place
    await service.moderation.set_locked("general", True, admin.id, reason="cool off")
    assert await service.moderation.is_locked("general")
    for session, name in (("s-bob", "Bob"), ("s-ada", "Ada")):
        with pytest.raises(Rejected, match="locked by a moderator"):
            await service.post_message("general", session, name, "hello?")
    assert (await service.history("general"))[-1].text == "Ada locked the room"
    await eventually(lambda: seen(events, RoomLockChanged))
    with pytest.raises(Rejected, match="locked already"):
        await service.moderation.set_locked("general", True, admin.id)
    await service.moderation.set_locked("general", False, admin.id)
    assert await service.post_message("general", "s-bob", "Bob", "back") is not None
    assert [e for _, e in seen(events, RoomLockChanged)] == [
        RoomLockChanged("general", True),
        RoomLockChanged("general", False),
    ]


async def test_a_ban_revokes_devices_cuts_live_sessions_and_refuses_posts(place):
    service, events, people, admin, _, _ = place
    entry = await people.claim("Mallory")
    await service.join("general", "s-mal", "Mallory", entry.person.id)
    await service.moderation.ban("Mallory", admin.id, reason="spam")
    assert await people.resume(entry.device_token) is None
    with pytest.raises(Rejected, match="banned"):
        await service.post_message("general", "s-mal", "Mallory", "still here?")
    await eventually(lambda: seen(events, PersonBanned))
    assert seen(events, PersonBanned) == [(EVERY_ROOM, PersonBanned(entry.person.id))]
    with pytest.raises(Rejected, match="yourself"):
        await service.moderation.ban("Ada", admin.id)
    assert [(e.action, e.target, e.reason) for e in await service.moderation.audit(admin.id)] == [
        (ModAction.BAN, "Mallory", "spam")
    ]


async def test_a_process_that_missed_the_bus_event_learns_it_at_its_next_read(place):
    service, _, _, admin, _, bob = place
    deaf = ChatService(service.settings, service.store, MemoryBus())  # hears no other process
    await deaf.moderation.check_may_post("general", bob.id)  # reads the state once
    await service.moderation.set_locked("general", True, admin.id)
    await service.moderation.ban("Bob", admin.id)
    await deaf.moderation.check_may_post("general", admin.id)  # not read yet: the bus would say
    await deaf.moderation.rules.refresh()  # what its ticker does every few seconds
    with pytest.raises(Rejected, match="locked"):
        await deaf.moderation.check_may_post("general", admin.id)
    with pytest.raises(Rejected, match="banned"):
        await deaf.moderation.check_may_post("general", bob.id)


async def test_a_post_costs_no_query_for_moderation(place):
    service, _, _, _, _, _ = place

    async def no_reads(now):
        raise AssertionError("read the moderation state for a post")

    service.store.moderation_state = no_reads  # the state was read when the service started
    assert await service.post_message("general", "s-bob", "Bob", "quick") is not None
