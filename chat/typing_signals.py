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
    """Turns a person's keystrokes, sends and pauses into signals on the bus (throttled).

    Signals leave in the order they were made, from one task of their own: a
    keystroke or a send never waits for the bus (a Redis that hangs would stall typing).
    """

    def __init__(self, publish: Publish, throttle: TypingThrottle | None = None):
        self._publish = publish
        self.throttle = throttle or TypingThrottle()
        self._outbox: asyncio.Queue[PersonTyping] = asyncio.Queue()
        self._sending: asyncio.Task | None = None
        self._idle_watch: asyncio.Task | None = None

    def keystroke(self, room: str, person_id: str, name: str) -> None:
        """A key pressed in `room`'s composer by `person_id`: maybe a signal, and a watch for the pause."""
        signal = self.throttle.keystroke(room, person_id, name)
        if self._idle_watch is None or self._idle_watch.done():
            self._idle_watch = asyncio.create_task(self._watch_idle(), name="typing-idle")
        if signal is not None:
            self._send(signal)

    def stopped(self, room: str, person_id: str) -> None:
        """The person sent, or left `room`: say they stopped, if "typing" stands."""
        signal = self.throttle.stopped(room, person_id)
        if signal is not None:
            self._send(signal)

    async def drained(self) -> None:
        """Return once every signal made so far has been handed to the bus."""
        await self._outbox.join()

    async def close(self) -> None:
        """Stop watching for pauses and sending."""
        for task in (self._idle_watch, self._sending):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def _send(self, signal: PersonTyping) -> None:
        self._outbox.put_nowait(signal)
        if self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._send_in_order(), name="typing-signals")

    async def _send_in_order(self) -> None:
        while True:
            signal = await self._outbox.get()
            try:
                await self._publish(signal)  # a bus that is down is logged there: the line lapses
            except Exception:
                log.exception("could not send %r", signal)
            finally:
                self._outbox.task_done()

    async def _watch_idle(self) -> None:
        # Runs while anyone is typing here; ends (and restarts on a keystroke) when nobody is.
        while (wait := self.throttle.next_idle_in()) is not None:
            await asyncio.sleep(wait)
            for stop in self.throttle.idle_stops():
                self._send(stop)


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
