"""Typing signals on the event loop: sent through the bus, received into each process's tabs.

The bookkeeping (throttle, expiry, words) is chat/typing_indicator.py; this module only
adds the timers. Nothing here touches the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from chat.domain import PersonTyping, RoomEvent, Typer, TypingChanged
from chat.typing_indicator import TypingBook, TypingThrottle

log = logging.getLogger(__name__)

Publish = Callable[[PersonTyping], Awaitable[None]]


class TypingSender:
    """Turns a person's keystrokes, sends and pauses into signals on the bus (throttled)."""

    def __init__(self, publish: Publish, throttle: TypingThrottle | None = None):
        self._publish = publish
        self.throttle = throttle or TypingThrottle()
        self._idle_watch: asyncio.Task | None = None

    async def keystroke(self, room: str, person_id: str, name: str) -> None:
        """A key pressed in `room`'s composer by `person_id`: maybe a signal, and a watch for the pause."""
        signal = self.throttle.keystroke(room, person_id, name)
        if self._idle_watch is None or self._idle_watch.done():
            self._idle_watch = asyncio.create_task(self._watch_idle(), name="typing-idle")
        if signal is not None:
            await self._publish(signal)

    async def stopped(self, room: str, person_id: str) -> None:
        """The person sent, or left `room`: say they stopped, if "typing" stands."""
        signal = self.throttle.stopped(room, person_id)
        if signal is not None:
            await self._publish(signal)

    async def close(self) -> None:
        """Stop watching for pauses."""
        if self._idle_watch is not None:
            self._idle_watch.cancel()
            await asyncio.gather(self._idle_watch, return_exceptions=True)

    async def _watch_idle(self) -> None:
        # Runs while anyone is typing here; ends (and restarts on a keystroke) when nobody is.
        while (wait := self.throttle.next_idle_in()) is not None:
            await asyncio.sleep(wait)
            for stop in self.throttle.idle_stops():
                await self._publish(stop)


class TypingReceiver:
    """Keeps who is typing from the bus's signals, tells a room's tabs when that changes, and
    lets a typist lapse when their signals stop coming (a tab that crashed mid-word)."""

    def __init__(self, fanout: Callable[[str, RoomEvent], None], book: TypingBook | None = None):
        self._fanout = fanout
        self.book = book or TypingBook()
        self._expiry: asyncio.TimerHandle | None = None

    def take(self, signal: PersonTyping) -> None:
        """Apply a signal from the bus; the room hears only of a change (a refresh is silent)."""
        if self.book.apply(signal):
            self._tell(signal.room)
        self._expire_later()

    def typers(self, room: str) -> tuple[Typer, ...]:
        """Who is typing in `room` now (a tab that opens the room shows them at once)."""
        return self.book.typers(room)

    def close(self) -> None:
        """Stop the expiry timer."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    def _tell(self, room: str) -> None:
        self._fanout(room, TypingChanged(room, self.book.typers(room)))

    def _expire_later(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        wait = self.book.next_expiry_in()
        if wait is not None:
            self._expiry = asyncio.get_running_loop().call_later(wait, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        for room in sorted(self.book.expire()):
            self._tell(room)
        self._expire_later()
