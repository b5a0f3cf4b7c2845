"""Edits and deletions of one's own messages, through the service, on a real SQLite file and the in-process bus."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from chat.backup import export_jsonl
from chat.bot.context import build_context
from chat.bus.memory import MemoryBus
from chat.config import Settings, SettingsError
from chat.domain import MessageChanged, utc_now
from chat.edits import Edits, describe_span
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
    alice = await people.create_person("Alice", Role.MEMBER)
    bob = await people.create_person("Bob", Role.MEMBER)
    for session, person in (("s-ada", admin), ("s-alice", alice), ("s-bob", bob)):
        await service.join("general", session, person.name, person.id)
    yield service, events, admin, alice, bob
    await service.close()
    await store.close()


def changes(events):
    return [e.message for _, e in events if isinstance(e, MessageChanged)]


async def test_an_edit_shows_live_and_in_history_with_the_old_text_kept(place):
    service, events, admin, alice, _ = place
    message = await service.post_message("general", "s-alice", "Alice", "see you at 5")
    edited = await service.edits.edit("general", message.id, alice.id, "  see you at 6  ")
    assert (edited.id, edited.seq, edited.text) == (message.id, message.seq, "see you at 6")
    assert edited.is_edited and edited.author_id == alice.id
    await eventually(lambda: changes(events))
    assert changes(events)[-1] == edited  # what every tab applies
    history = await service.history("general")
    assert [m.text for m in history if m.id == message.id] == ["see you at 6"]
    versions = await service.edits.versions("general", message.id, admin.id)
    assert [(v.text, v.replaced_by) for v in versions] == [("see you at 5", alice.id)]


async def test_only_the_author_may_edit_or_delete(place):
    service, events, admin, alice, bob = place
    message = await service.post_message("general", "s-alice", "Alice", "mine")
    for person in (bob, admin):  # an admin deletes through moderation, never edits
        with pytest.raises(Rejected, match="only edit your own"):
            await service.edits.edit("general", message.id, person.id, "not yours")
        with pytest.raises(Rejected, match="only delete your own"):
            await service.edits.delete("general", message.id, person.id)
    with pytest.raises(Rejected, match="only edit your own"):
        await service.edits.edit("general", message.id, None, "nobody")
    system = await service.post_system("general", "a line")
    with pytest.raises(Rejected, match="only edit your own"):
        await service.edits.edit("general", system.id, alice.id, "x")
    with pytest.raises(Rejected, match="not in this room"):
        await service.edits.edit("elsewhere", message.id, alice.id, "moved")
    assert (await service.history("general"))[-2].text == "mine"
    assert not changes(events)


async def test_an_edit_has_the_limits_of_a_post(place):
    service, events, _, alice, _ = place
    message = await service.post_message("general", "s-alice", "Alice", "short")
    too_long = "x" * (service.settings.max_message_chars + 1)
    with pytest.raises(Rejected, match="the limit is"):
        await service.edits.edit("general", message.id, alice.id, too_long)
    with pytest.raises(Rejected, match="cannot be empty"):
        await service.edits.edit("general", message.id, alice.id, "   ")
    same = await service.edits.edit("general", message.id, alice.id, "short")
    assert same == message and not changes(events)  # nothing to change: nothing sent


async def test_a_muted_person_cannot_edit(place):
    service, _, admin, alice, _ = place
    message = await service.post_message("general", "s-alice", "Alice", "before")
    await service.moderation.mute("general", "Alice", "10m", admin.id)
    with pytest.raises(Rejected, match="muted"):
        await service.edits.edit("general", message.id, alice.id, "after")


async def test_delete_own_makes_a_tombstone_that_says_its_author_deleted_it(place):
    service, events, admin, alice, _ = place
    message = await service.post_message("general", "s-alice", "Alice", "oops")
    tombstone = await service.edits.delete("general", message.id, alice.id)
    assert tombstone.is_deleted and tombstone.deleted_by_author and tombstone.text == ""
    await eventually(lambda: changes(events))
    assert changes(events)[-1].deleted_by == alice.id
    assert [
        m.deleted_by_author for m in await service.history("general") if m.id == message.id
    ] == [True]
    with pytest.raises(Rejected, match="was deleted"):
        await service.edits.edit("general", message.id, alice.id, "back")
    by_mod = await service.post_message("general", "s-alice", "Alice", "rude")
    removed = await service.moderation.delete_message("general", by_mod.id, admin.id)
    assert removed.is_deleted and not removed.deleted_by_author


async def test_earlier_versions_are_for_moderators_only(place):
    service, _, admin, alice, bob = place
    message = await service.post_message("general", "s-alice", "Alice", "one")
    await service.edits.edit("general", message.id, alice.id, "two")
    for person in (alice, bob):
        with pytest.raises(Rejected, match="owner or an admin"):
            await service.edits.versions("general", message.id, person.id)
    assert [v.text for v in await service.edits.versions("general", message.id, admin.id)] == [
        "one"
    ]


async def test_outside_the_edit_window_an_edit_is_refused_with_words(place, tmp_path):
    service, _, _, alice, _ = place
    message = await service.post_message("general", "s-alice", "Alice", "soon")
    settings = Settings(data_dir=tmp_path, edit_window=900, rate_per_second=1000, rate_burst=1000)
    later = [utc_now()]
    service.edits = Edits(
        settings,
        service.store,
        service._publish,
        service.moderation,
        service.directory.check,
        clock=lambda: later[0],
    )
    assert (await service.edits.edit("general", message.id, alice.id, "in time")).text == "in time"
    later[0] = message.created_at + timedelta(minutes=16)
    with pytest.raises(Rejected, match="can be edited for 15 minutes after sending"):
        await service.edits.edit("general", message.id, alice.id, "too late")
    # Deleting has no window.
    assert (await service.edits.delete("general", message.id, alice.id)).is_deleted


async def test_the_edit_window_is_a_setting_defaulting_to_no_limit(tmp_path):
    assert Settings(data_dir=tmp_path).edit_window == 0
    env = {"CHAT_EDIT_WINDOW": "600", "CHAT_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(env, env_file=None).edit_window == 600
    with pytest.raises(SettingsError, match="CHAT_EDIT_WINDOW"):
        Settings.from_env({**env, "CHAT_EDIT_WINDOW": "-1"}, env_file=None)
    assert describe_span(900) == "15 minutes" and describe_span(3600) == "1 hour"
    assert describe_span(90) == "90 seconds"


async def test_the_bots_context_uses_the_current_text(place):
    service, _, _, alice, _ = place
    message = await service.post_message("general", "s-alice", "Alice", "@bot what is 2+2?")
    await service.edits.edit("general", message.id, alice.id, "@bot what is 3+3?")
    gone = await service.post_message("general", "s-alice", "Alice", "my password is hunter2")
    await service.edits.delete("general", gone.id, alice.id)
    turns = build_context(
        "be brief", "bot", await service.history("general"), max_messages=30, max_tokens=3000
    )
    said = "\n".join(turn.content for turn in turns)
    assert "3+3" in said and "2+2" not in said and "hunter2" not in said


async def test_an_export_carries_an_edited_message_and_when_it_was_edited(place):
    service, _, _, alice, _ = place
    message = await service.post_message("general", "s-alice", "Alice", "typo")
    edited = await service.edits.edit("general", message.id, alice.id, "fixed")
    out = io.StringIO()
    await export_jsonl(service.settings.database_url, out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    (record,) = [r for r in records if r.get("id") == message.id]
    assert record["text"] == "fixed"
    assert record["edited_at"] == edited.edited_at.isoformat()
