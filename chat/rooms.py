"""The room directory: creating rooms, who may see them, and invitations to private ones.

Membership, a room's owner and a DM's two ends are person ids (chat/person.py),
never names: a rename keeps a person's rooms, and whoever owns a freed name
next inherits none of them. The bot, which is not a person, is BOT_MEMBER.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

from chat.domain import BusEvent, Room, RoomCreated, RoomKind
from chat.names import name_key
from chat.person import Person
from chat.room_rules import clean_room_name, clean_topic
from chat.rules import Rejected
from chat.store.base import RoomTaken, Store, StoreUnavailable

log = logging.getLogger(__name__)

Publish = Callable[[BusEvent], Awaitable[None]]
Announce = Callable[[str, str], Awaitable[None]]

BOT_MEMBER = "bot"
"""The default bot's member id in rooms. A bot's member id is its handle (person ids are
32 hex digits, so it is no one's); rows from before 0015 name the bot this way."""


class NotAMember(Rejected):
    """A private room or DM asked for by someone who is not one of its members."""

    def __init__(self) -> None:
        super().__init__("This room is private: only its members can open it.")


class RoomDirectory:
    """Adds rooms and members; says which rooms a person may see."""

    def __init__(
        self,
        store: Store,
        publish: Publish,
        announce: Announce,
        bot_handles: tuple[str, ...] = (BOT_MEMBER,),
        default_room: str = "general",
    ):
        self._store = store
        self._publish = publish
        self._announce = announce
        self._bots = {name_key(handle): handle for handle in bot_handles}
        """Each bot's name key -> its member id (its handle)."""
        # A room's kind never changes, so a public one is asked about once; the default room
        # is public from the first migration on, and stays usable while the database is down.
        self._public: set[str] = {default_room}

    async def create_room(
        self, raw_name: str, raw_topic: str, creator: Person | None, private: bool = False
    ) -> Room:
        """Add a room and tell every tab; Rejected if the name is unusable or taken.

        A private room's first member is `creator`, who can invite others.
        """
        if private and creator is None:
            raise Rejected("Join first: a private room needs a member to start it.")
        kind = RoomKind.PRIVATE if private else RoomKind.PUBLIC
        room = Room(
            clean_room_name(raw_name),
            clean_topic(raw_topic),
            creator.name if creator is not None else "someone",
            kind=kind,
            owner_id=creator.id if creator is not None else None,
        )
        members = (creator.id,) if private and creator is not None else ()
        try:
            created = await self._store.create_room(room, members)
        except RoomTaken as taken:
            raise Rejected(str(taken)) from None
        except StoreUnavailable as exc:
            log.warning("a room was not created: %s", exc)
            raise Rejected(
                "The room was not created: the database is not answering. Try again in a moment."
            ) from exc
        await self._publish(RoomCreated(created))
        return created

    async def rooms(self, person_id: str | None) -> list[Room]:
        """The rooms person `person_id` may see (public ones for None), the most recently active first."""
        return await self._store.list_rooms(person_id or "")

    async def may_see(self, room: str, person_id: str | None) -> bool:
        """True if `room` exists and `person_id` may read it (any public room; a private one's members)."""
        if room in self._public:
            return True
        found = await self._store.get_room(room)
        if found is None:
            return False
        if not found.is_private:
            self._public.add(room)
            return True
        return person_id is not None and await self._store.is_member(room, person_id)

    async def check(self, room: str, person_id: str | None) -> None:
        """NotAMember unless `person_id` may read `room` (a room without a row is public).

        Rejected too when the database cannot tell: nothing private is shown on a guess.
        """
        if room in self._public:
            return
        try:
            found = await self._store.get_room(room)
            if found is None:
                return
            if not found.is_private:
                self._public.add(room)
                return
            if person_id is not None and await self._store.is_member(room, person_id):
                return
        except StoreUnavailable as exc:
            log.warning("could not tell who may read %s: %s", room, exc)
            raise Rejected(
                "The database is not answering, so this room cannot be shown now. "
                "Try again in a moment."
            ) from exc
        raise NotAMember()

    async def invite(self, room: str, by: Person, raw_name: str) -> None:
        """Make the owner of `raw_name` a member of private `room`; Rejected unless `by` is a member."""
        invitee = (raw_name or "").strip().lstrip("@")
        if not invitee:
            raise Rejected("Whom should I invite? Write their name.")
        found = await self._store.get_room(room)
        if found is None or not found.takes_invitations:
            raise Rejected("Only private rooms take invitations; anyone can open this one.")
        if not await self._store.is_member(room, by.id):
            raise Rejected("Only members of this room can invite people to it.")
        member = await self._member_named(invitee)
        if await self._store.add_member(room, member, by.id):
            await self._announce(room, f"{by.name} invited {invitee}")

    async def direct(self, me: Person, raw_other: str) -> Room:
        """The DM room between `me` and `raw_other` (made on first use); Rejected for nobody or oneself."""
        other = (raw_other or "").strip().lstrip("@")
        if not other:
            raise Rejected("Whom do you want to write to? Write their name.")
        other_id = await self._member_named(other)
        ends = sorted({me.id, other_id})
        if len(ends) < 2:
            raise Rejected("A direct message needs someone else: write another person's name.")
        name = "dm-" + hashlib.sha256("\n".join(ends).encode()).hexdigest()[:16]
        found = await self._store.get_room(name) or await self._earlier_direct(me.id, other_id)
        if found is not None:
            return found
        room = Room(name, f"{me.name} and {other}", me.name, kind=RoomKind.DM, owner_id=me.id)
        try:
            created = await self._store.create_room(room, tuple(ends))
        except RoomTaken:  # the other one opened it at the same moment
            existing = await self._store.get_room(name)
            assert existing is not None  # rooms are never deleted
            return existing
        await self._publish(RoomCreated(created))
        return created

    async def _earlier_direct(self, me: str, other: str) -> Room | None:
        """A DM of the two made before membership was by person id (its name hashed name keys)."""
        for room in await self._store.list_rooms(me):
            if room.kind is RoomKind.DM and await self._store.is_member(room.name, other):
                return room
        return None

    async def _member_named(self, name: str) -> str:
        """The member id of whoever owns `name` (the bot too); Rejected if nobody does."""
        key = name_key(name)
        if key in self._bots:
            return self._bots[key]
        person = await self._store.person_by_name_key(key)
        if person is None:
            raise Rejected(f"Nobody is called “{name}” here. Check the name.")
        return person.id

    async def is_direct_with(self, room: str, member: str) -> bool:
        """True if `room` is a DM that `member` (a person id, or a bot's handle) is in."""
        found = await self._store.get_room(room)
        return (
            found is not None
            and found.kind is RoomKind.DM
            and await self._store.is_member(room, member)
        )
