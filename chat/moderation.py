"""Moderation: room owners and admins delete messages, mute, remove and lock; admins ban.

Every action is checked here against the person's current role (read from the
store, not from what a tab remembers), recorded in the audit table, and
published through the event registry so every process applies it at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from chat.audit import AuditEntry, ModAction, PostingBlock
from chat.config import Settings
from chat.domain import (
    BusEvent,
    MemberRemoved,
    Message,
    MessageChanged,
    PersonBanned,
    PersonMuted,
    RoomLockChanged,
    StopRequested,
    utc_now,
)
from chat.names import name_key
from chat.people import PeopleService
from chat.person import Person, Role
from chat.posting_rules import PostingRules
from chat.rules import Rejected
from chat.store.base import Store, StoreUnavailable
from chat.store_words import when_store_down

log = logging.getLogger(__name__)

Publish = Callable[[BusEvent], Awaitable[None]]
Announce = Callable[[str, str], Awaitable[None]]


_store_must_answer = when_store_down(
    "The database is not answering, so that was not done. Try again in a moment."
)


MAX_MUTE = timedelta(days=365)
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([mhd]?)\s*$", re.IGNORECASE)
_UNIT = {"": 60, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`30`, `30m`, `2h` or `1d` as a time span (minutes when no unit); Rejected otherwise."""
    found = _DURATION.match(text or "")
    if found is None:
        raise Rejected(
            "For how long? Write minutes, or a number with m, h or d (e.g. 10m, 2h, 1d)."
        )
    span = timedelta(seconds=int(found[1]) * _UNIT[found[2].lower()])
    if not timedelta(0) < span <= MAX_MUTE:
        raise Rejected("A mute lasts from one minute to a year.")
    return span


class Moderation:
    """Moderators' actions on rooms, messages and people, and the checks before each post."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        publish: Publish,
        announce: Announce,
        clock: Callable[[], datetime] = utc_now,
    ):
        self._store = store
        self._publish = publish
        self._announce = announce
        self._clock = clock
        self._people = PeopleService(settings, store, clock=clock)
        self.rules = PostingRules(store, clock)
        """Locks, mutes and bans as each post is checked against them."""

    async def _tell(self, event: BusEvent) -> None:
        # Applied here first: this process enforces it even while the bus is down.
        self.rules.observe(event)
        await self._publish(event)

    # ---- who may

    async def may_moderate(self, room: str, person_id: str | None) -> bool:
        """True if `person_id` may moderate `room`: an admin, or the room's owner (who made it)."""
        person = await self._person(person_id)
        return person is not None and await self._is_moderator(room, person)

    async def is_admin(self, person_id: str | None) -> bool:
        """True if `person_id` is an admin who is not banned."""
        person = await self._person(person_id)
        return person is not None and person.role is Role.ADMIN

    async def _is_moderator(self, room: str, person: Person) -> bool:
        if person.role is Role.ADMIN:
            return True
        found = await self._store.get_room(room)
        return found is not None and found.owner_id == person.id

    async def _person(self, person_id: str | None) -> Person | None:
        person = await self._store.get_person(person_id) if person_id else None
        return None if person is None or person.banned else person

    async def _moderator(self, room: str, person_id: str | None) -> Person:
        person = await self._person(person_id)
        if person is None or not await self._is_moderator(room, person):
            raise Rejected("Only this room's owner or an admin can do that.")
        return person

    async def _admin(self, person_id: str | None) -> Person:
        person = await self._person(person_id)
        if person is None or person.role is not Role.ADMIN:
            raise Rejected("Only an admin can do that.")
        return person

    async def _target(self, raw_name: str) -> Person:
        name = (raw_name or "").strip().lstrip("@")
        if not name:
            raise Rejected("Whom? Write their name.")
        person = await self._store.person_by_name_key(name_key(name))
        if person is None:
            raise Rejected(f"Nobody owns the name “{name}”.")
        return person

    # ---- posting

    async def check_may_post(self, room: str, person_id: str | None) -> None:
        """Rejected, saying why and until when, if a lock, a mute or a ban stops this post."""
        await self.rules.check(room, person_id)

    async def is_locked(self, room: str) -> bool:
        """True while `room` is read-only."""
        return await self._store.is_locked(room)

    async def standing(self, room: str, person_id: str | None) -> PostingBlock:
        """What keeps `person_id` from posting in `room` now (a lock, a mute, a ban)."""
        return await self.rules.standing(room, person_id)

    # ---- actions

    @_store_must_answer
    async def delete_message(self, room: str, message_id: str, by_id: str | None) -> Message:
        """Make a message of `room` a tombstone in every tab and in history."""
        moderator = await self._moderator(room, by_id)
        found = await self._store.get_message(message_id)
        if found is None or found.room != room:
            raise Rejected("That message is not in this room any more.")
        if found.is_deleted:
            return found
        if not found.status.is_final:  # a reply still being written stops where it is
            await self._publish(
                StopRequested(room, message_id, moderator.name, moderator.id, by_moderator=True)
            )
        tombstone = await self._store.delete_message(message_id, moderator.id)
        assert tombstone is not None  # messages are never removed, only emptied
        await self._record(moderator, ModAction.DELETE, message_id, found.author, room)
        await self._publish(MessageChanged(tombstone))
        return tombstone

    @_store_must_answer
    async def mute(
        self, room: str, raw_name: str, raw_duration: str, by_id: str | None, reason: str = ""
    ) -> datetime:
        """Keep a person from posting in `room` for a while; when the mute ends."""
        moderator = await self._moderator(room, by_id)
        span = parse_duration(raw_duration)
        target = await self._target(raw_name)
        until = self._clock() + span
        await self._store.set_mute(room, target.id, until, moderator.id)
        await self._record(moderator, ModAction.MUTE, target.id, target.name, room, reason)
        await self._tell(PersonMuted(room, target.id, until))
        return until

    @_store_must_answer
    async def unmute(self, room: str, raw_name: str, by_id: str | None) -> Person:
        """Let a muted person post in `room` again."""
        moderator = await self._moderator(room, by_id)
        target = await self._target(raw_name)
        if not await self._store.clear_mute(room, target.id):
            raise Rejected(f"{target.name} is not muted here.")
        await self._record(moderator, ModAction.UNMUTE, target.id, target.name, room)
        await self._tell(PersonMuted(room, target.id, None))
        return target

    @_store_must_answer
    async def remove(self, room: str, raw_name: str, by_id: str | None, reason: str = "") -> Person:
        """Take a person out of private `room`: it leaves their list and their open tabs."""
        moderator = await self._moderator(room, by_id)
        found = await self._store.get_room(room)
        if found is None or not found.takes_invitations:
            raise Rejected("Only private rooms have members to remove; mute people here instead.")
        target = await self._target(raw_name)
        if not await self._store.remove_member(room, target.id):
            raise Rejected(f"{target.name} is not a member of this room.")
        await self._record(moderator, ModAction.REMOVE, target.id, target.name, room, reason)
        await self._publish(MemberRemoved(room, target.id))
        await self._announce(room, f"{target.name} was removed from the room by {moderator.name}")
        return target

    @_store_must_answer
    async def set_locked(
        self, room: str, locked: bool, by_id: str | None, reason: str = ""
    ) -> None:
        """Make `room` read-only (`locked`) or writable again."""
        moderator = await self._moderator(room, by_id)
        if not await self._store.set_locked(room, locked, moderator.id):
            raise Rejected("This room is locked already." if locked else "This room is not locked.")
        action = ModAction.LOCK if locked else ModAction.UNLOCK
        await self._record(moderator, action, room, room, room, reason)
        # The line goes in while the room is unlocked: system lines are never refused.
        await self._announce(
            room, f"{moderator.name} {'locked' if locked else 'unlocked'} the room"
        )
        await self._tell(RoomLockChanged(room, locked))

    @_store_must_answer
    async def ban(self, raw_name: str, by_id: str | None, reason: str = "") -> Person:
        """Ban a person everywhere: devices revoked, every live session of theirs cut at once."""
        admin = await self._admin(by_id)
        target = await self._target(raw_name)
        if target.id == admin.id:
            raise Rejected("You cannot ban yourself.")
        banned = await self._people.ban(target.id)
        await self._record(admin, ModAction.BAN, target.id, target.name, "", reason)
        await self._tell(PersonBanned(target.id))
        return banned

    @_store_must_answer
    async def audit(self, by_id: str | None, limit: int = 100) -> list[AuditEntry]:
        """The newest audit entries, for an admin."""
        await self._admin(by_id)
        return await self._store.audit_log(limit)

    async def _record(
        self,
        actor: Person,
        action: ModAction,
        target_id: str,
        target: str,
        room: str,
        reason: str = "",
    ) -> None:
        entry = AuditEntry(
            self._clock(), actor.id, actor.name, action, target_id, target, room, reason
        )
        try:
            await self._store.add_audit(entry)
        except StoreUnavailable as exc:
            log.error("moderation done but not recorded: %s (%s)", entry.line(), exc)
            raise Rejected(
                "That was done, but the database did not record it in the audit: tell an admin."
            ) from exc
        log.info("moderation: %s", entry.line())
