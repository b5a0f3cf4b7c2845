"""How many of one socket's event handlers Flet is running: the socket guard hands it more only below a cap.

Only a control event starts a handler. Every other frame (above all a method's
answer, which a running handler may be waiting for) passes the events held back,
so a cap that is full of handlers waiting for answers never blocks those answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

STUCK_EVENTS_WAIT = 1.0
"""Seconds to hold a socket's next event while none of its running handlers ends; then it is handed over anyway."""


class EventsInFlight:
    """The event handlers Flet is running for one socket, once Flet has shown them (chat/flet_wire.py)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] | None = None
        self.most = 0
        """The most handlers seen running at once."""

    def watch(self, tasks: set[asyncio.Task]) -> None:
        self._tasks = tasks

    def running(self) -> set[asyncio.Task]:
        """The handlers running now (none before Flet has shown its set)."""
        tasks = self._tasks or set()
        self.most = max(self.most, len(tasks))
        return tasks


class Inbox:
    """A socket's checked frames in arrival order, events held while `cap` handlers run.

    At most `size` frames wait (then `put` waits, and the kernel pushes back on the sender).
    """

    def __init__(self, events: EventsInFlight, cap: int, size: int):
        self._events = events
        self._cap = cap
        self._held: deque[Any] = deque()
        self._others: deque[Any] = deque()
        self._space = asyncio.Semaphore(size)
        self._arrived = asyncio.Event()
        self.uncapped = False
        """Set when the socket is closing: whatever is left goes to Flet at once."""

    async def put(self, frame: Any, *, is_event: bool) -> None:
        await self._space.acquire()
        (self._held if is_event else self._others).append(frame)
        self._arrived.set()

    def end(self, frame: Any) -> None:
        """Drop what waits and put the frame that ends the socket (never waits for room)."""
        self.drop()
        self._others.append(frame)
        self._arrived.set()

    def drop(self) -> None:
        for queue in (self._held, self._others):
            while queue:
                queue.popleft()
                self._space.release()

    async def get(self, patience: float = STUCK_EVENTS_WAIT) -> Any:
        """The next frame Flet may have: any non-event first, an event once fewer than `cap` run.

        An event waits at most `patience` seconds with no handler ending (one may be waiting
        for a frame the client has not sent yet).
        """
        stuck_since: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            if self._others:
                return self._take(self._others)
            running = self._events.running()
            if self._held:
                if self.uncapped or len(running) < self._cap:
                    return self._take(self._held)
                stuck_since = stuck_since if stuck_since is not None else loop.time()
                if loop.time() - stuck_since >= patience:
                    return self._take(self._held)
            self._arrived.clear()
            arrived = asyncio.ensure_future(self._arrived.wait())
            waiting_on: set[asyncio.Future] = {arrived}
            if self._held:
                waiting_on |= set(running)
            try:
                done, _ = await asyncio.wait(
                    waiting_on,
                    timeout=patience if self._held else None,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                arrived.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await arrived
            if done - {arrived}:
                stuck_since = None  # a handler ended: the patience starts again

    def _take(self, queue: deque[Any]) -> Any:
        self._space.release()
        return queue.popleft()
