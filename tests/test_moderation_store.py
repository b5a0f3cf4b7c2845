"""ModerationStore contract: the same tests on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chat.audit import AuditEntry, ModAction, PostingBlock
from chat.domain import Draft, Room, RoomKind
from chat.message_meta import MessageMeta
from chat.person import Person
from tests.test_store import store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def block(store, room: str, person_id: str | None, now: datetime) -> PostingBlock:
    """What the store says keeps `person_id` from posting in `room` at `now`."""
    return (await store.moderation_state(now)).block(room, person_id, now)


def person(name: str) -> Person:
    return Person(secrets.token_hex(8), name, name.casefold(), NOW)


async def test_a_deleted_message_stays_as_a_tombstone_in_history(store):
    kept = await store.add_message(Draft("general", "Alice", "hello", author_id="p-alice"))
    gone = await store.add_message(Draft("general", "Bob", "something rude", author_id="p-bob"))
    tombstone = await store.delete_message(gone.id, "p-mod")
    assert tombstone is not None
    assert (tombstone.id, tombstone.seq, tombstone.author) == (gone.id, gone.seq, "Bob")
    assert tombstone.text == "" and tombstone.deleted_by == "p-mod" and tombstone.is_deleted
    history = await store.history("general", None, 10)
    assert [(m.id, m.text, m.deleted_by) for m in history] == [
        (kept.id, "hello", None),
        (gone.id, "", "p-mod"),
    ]
    assert (await store.history_after("general", 0, 10))[1].deleted_by == "p-mod"
    assert await store.delete_message("no-such-message", "p-mod") is None


async def test_a_mute_holds_until_it_ends_or_is_lifted(store):
    await store.set_mute("general", "p-bob", NOW + timedelta(minutes=10), "p-mod")
    found = await block(store, "general", "p-bob", NOW)
    assert found.muted_until == NOW + timedelta(minutes=10)
    assert await block(store, "other", "p-bob", NOW) == PostingBlock()
    assert await block(store, "general", "p-alice", NOW) == PostingBlock()
    assert await block(store, "general", "p-bob", NOW + timedelta(minutes=11)) == (PostingBlock())
    await store.set_mute("general", "p-bob", NOW + timedelta(hours=1), "p-mod")  # a longer one
    assert (await block(store, "general", "p-bob", NOW)).muted_until == NOW + timedelta(hours=1)
    assert await store.clear_mute("general", "p-bob") is True
    assert await store.clear_mute("general", "p-bob") is False
    assert await block(store, "general", "p-bob", NOW) == PostingBlock()


async def test_a_locked_room_blocks_everyone_until_unlocked(store):
    assert await store.is_locked("general") is False
    assert await store.set_locked("general", True, "p-mod") is True
    assert await store.set_locked("general", True, "p-mod") is False
    assert await store.is_locked("general") is True
    assert (await block(store, "general", None, NOW)).locked
    assert (await block(store, "general", "p-bob", NOW)).locked
    assert not (await block(store, "other", "p-bob", NOW)).locked
    assert await store.set_locked("general", False, "p-mod") is True
    assert await store.set_locked("general", False, "p-mod") is False
    assert await block(store, "general", "p-bob", NOW) == PostingBlock()


async def test_a_banned_person_is_blocked_in_every_room(store):
    bob = person("Bob")
    await store.add_person(bob)
    assert await block(store, "general", bob.id, NOW) == PostingBlock()
    await store.update_person(replace(bob, banned=True))
    assert (await block(store, "general", bob.id, NOW)).banned
    assert (await block(store, "elsewhere", bob.id, NOW)).banned


async def test_removing_a_member_takes_the_private_room_from_their_list(store):
    await store.create_room(Room("secret", created_by="Alice", kind=RoomKind.PRIVATE), ("alice",))
    await store.add_member("secret", "bob", "Alice")
    assert "secret" in [r.name for r in await store.list_rooms("bob")]
    assert await store.remove_member("secret", "bob") is True
    assert await store.remove_member("secret", "bob") is False
    assert await store.is_member("secret", "bob") is False
    assert "secret" not in [r.name for r in await store.list_rooms("bob")]
    assert await store.is_member("secret", "alice") is True


async def test_the_audit_keeps_every_action_newest_first(store):
    first = AuditEntry(NOW, "p-mod", "Mod", ModAction.MUTE, "p-bob", "Bob", "general", "spam")
    second = AuditEntry(
        NOW + timedelta(seconds=5), "p-admin", "Admin", ModAction.BAN, "p-bob", "Bob"
    )
    await store.add_audit(first)
    await store.add_audit(second)
    assert await store.audit_log() == [second, first]
    assert await store.audit_log(limit=1) == [second]
    assert "Mod mute Bob in general: spam" in first.line()


async def test_the_moderation_migration_follows_the_people(store):
    applied = await store.applied_migrations()
    assert applied[applied.index("0012_invites") + 1] == "0013_moderation"


async def test_a_tombstone_stays_empty_when_its_writer_saves_or_finishes(store):
    from chat.domain import MessageKind, MessageStatus

    reply = await store.add_message(
        Draft("general", "bot", "", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    )
    await store.delete_message(reply.id, "p-mod")
    assert await store.checkpoint_message(reply.id, "so far") is False
    final = await store.update_message(reply.id, "the whole answer", MessageStatus.STOPPED, MessageMeta())
    assert (final.text, final.status, final.deleted_by) == ("", MessageStatus.STOPPED, "p-mod")
