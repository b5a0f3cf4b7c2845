"""Locks, mutes and bans as each post is checked against them, without asking the store.

The state is read from the store at start and every few seconds, and kept
current between reads by the moderation events on the bus (this process's
actions are applied before they are published): a lost event costs seconds,
never the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from chat.audit import ModerationState, PostingBlock
from chat.domain import PersonBanned, PersonMuted, RoomLockChanged
from chat.events import EventRoutes
from chat.rules import Rejected
from chat.store.moderation import ModerationStore


def until_text(when: datetime) -> str:
    """A moment as people read it in a refusal: date, time and zone."""
    return f"{when:%Y-%m-%d %H:%M} UTC"


class PostingRules:
    """What may keep a person from posting in a room, held in memory."""

    def __init__(self, store: ModerationStore, clock: Callable[[], datetime]):
        self._store = store
        self._clock = clock
        self._state: ModerationState | None = None
        self._changes = 0
        self._observe = EventRoutes[None](
            {
                RoomLockChanged: self._lock_changed,
                PersonMuted: self._muted,
                PersonBanned: self._banned,
            }
        )

    async def refresh(self) -> frozenset[str]:
        """Read every lock, running mute and ban from the store; the bans no event had told of.

        Those come from outside the app (`confab admin ban`): each process cuts its
        own tabs of theirs, whatever the bus.
        """
        before, known = self._changes, self._state
        state = await self._store.moderation_state(self._clock())
        if self._changes != before:  # an event that arrived meanwhile is newer than this read
            return frozenset()
        self._state = state
        return frozenset() if known is None else frozenset(state.banned - known.banned)

    def observe(self, event: object) -> None:
        """Take a moderation event from the bus (this process's or another's) into the state."""
        self._observe(event)

    async def standing(self, room: str, person_id: str | None) -> PostingBlock:
        """What keeps `person_id` from posting in `room` now."""
        if self._state is None:
            await self.refresh()
        assert self._state is not None  # just read
        return self._state.block(room, person_id, self._clock())

    async def check(self, room: str, person_id: str | None) -> None:
        """Rejected, saying why and until when, if a lock, a mute or a ban stops a post."""
        block = await self.standing(room, person_id)
        if block.banned:
            raise Rejected("You were banned: you cannot post any more.")
        if block.locked:
            raise Rejected("This room is locked by a moderator: nobody can post in it for now.")
        if block.muted_until is not None:
            raise Rejected(
                f"A moderator muted you in this room until {until_text(block.muted_until)}: "
                "your message was not sent."
            )

    def _current(self) -> ModerationState:
        self._changes += 1
        return self._state or ModerationState()

    def _lock_changed(self, event: RoomLockChanged) -> None:
        state = self._current()
        locked = state.locked | {event.room} if event.locked else state.locked - {event.room}
        self._state = replace(state, locked=locked)

    def _muted(self, event: PersonMuted) -> None:
        state = self._current()
        mutes = dict(state.muted_until)
        if event.until is None:
            mutes.pop((event.room, event.person_id), None)
        else:
            mutes[(event.room, event.person_id)] = event.until
        self._state = replace(state, muted_until=mutes)

    def _banned(self, event: PersonBanned) -> None:
        state = self._current()
        self._state = replace(state, banned=state.banned | {event.person_id})
