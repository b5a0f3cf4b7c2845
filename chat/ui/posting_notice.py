"""What the composer says under its field about posting here: the room is locked, or you are muted."""

from __future__ import annotations

import asyncio
from datetime import datetime

from chat.domain import utc_now
from chat.ui.composer import Composer

LOCKED_NOTICE = "This room is locked by a moderator: it is read-only for now."


def muted_notice(until: datetime) -> str:
    """The notice for a person muted here until `until`."""
    return f"A moderator muted you here until {until:%Y-%m-%d %H:%M} UTC."


class PostingNotice:
    """Keeps the composer's notice in step with the room's lock and its person's mute.

    A mute ends by itself: the notice goes when it does, with no event to say so.
    """

    def __init__(self, composer: Composer):
        self._composer = composer
        self._locked = False
        self._muted_until: datetime | None = None
        self._mute_ends: asyncio.TimerHandle | None = None
        self._shown: str | None = None

    def show(self, locked: bool, muted_until: datetime | None) -> None:
        """Say what holds now (call with both, e.g. when a tab joins)."""
        self._locked = locked
        self.muted(muted_until)

    def lock_changed(self, locked: bool) -> None:
        """The room was locked or unlocked."""
        self._locked = locked
        self._say()

    def muted(self, until: datetime | None) -> None:
        """This tab's person was muted here until `until` (None: unmuted)."""
        if self._mute_ends is not None:
            self._mute_ends.cancel()
            self._mute_ends = None
        now = utc_now()
        self._muted_until = until if until is not None and until > now else None
        if self._muted_until is not None:
            seconds = (self._muted_until - now).total_seconds()
            self._mute_ends = asyncio.get_running_loop().call_later(seconds, self.muted, None)
        self._say()

    def close(self) -> None:
        """Forget the timer (the tab left the room)."""
        if self._mute_ends is not None:
            self._mute_ends.cancel()
            self._mute_ends = None

    def _say(self) -> None:
        if self._locked:
            notice: str | None = LOCKED_NOTICE
        elif self._muted_until is not None:
            notice = muted_notice(self._muted_until)
        else:
            notice = None
        if notice != self._shown:  # most tabs never have one: they are sent nothing
            self._shown = notice
            self._composer.show_notice(notice)
