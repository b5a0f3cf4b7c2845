"""The relay: one per process, between the bus and Flet's pubsub.

It takes bus events in arrival order, puts room messages back into sequence
order (a jump in `seq` is filled from the store, so a message lost on the bus
costs latency, never the message), keeps the merged presence list and the
text of replies still being written, and fans everything out locally.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from chat.domain import (
    BusEvent,
    Message,
    MessageChanged,
    MessagePosted,
    OnlineChanged,
    PresenceSnapshot,
    RoomEvent,
    StopRequested,
)
from chat.presence import PresenceBook
from chat.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)

Fanout = Callable[[RoomEvent], None]

CATCH_UP_BATCH = 500

_CATCH_UP = object()
"""Queued like an event: look in the store for anything the bus did not bring."""


class RoomRelay:
    """Orders, completes and fans out the events of the rooms this process serves."""

    def __init__(self, store: Store, presence: PresenceBook, rooms: tuple[str, ...]):
        self._store = store
        self._presence = presence
        self._rooms = rooms
        self._fanout: Fanout = lambda event: None
        self._queue: asyncio.Queue[BusEvent] = asyncio.Queue()
        self._last_seq: dict[str, int] = {}
        self._live: dict[str, Message] = {}
        self._task: asyncio.Task | None = None
        self._handlers: dict[type, Callable[[BusEvent], Awaitable[None]]] = {
            MessagePosted: self._on_posted,
            MessageChanged: self._on_changed,
            PresenceSnapshot: self._on_presence,
            StopRequested: self._on_stop,
        }

    async def start(self, fanout: Fanout) -> None:
        """Learn where each room stands, then relay events to `fanout`."""
        self._fanout = fanout
        for room in self._rooms:
            newest = await self._store.history(room, None, 1)
            self._last_seq[room] = newest[-1].seq if newest else 0
        for message in await self._store.unfinished_messages():
            self._live[message.id] = message
        self._task = asyncio.create_task(self._run(), name="room-relay")

    async def close(self) -> None:
        """Stop relaying."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def deliver(self, event: BusEvent) -> None:
        """Take an event from the bus; it is handled in arrival order."""
        self._queue.put_nowait(event)

    def live_replies(self) -> dict[str, Message]:
        """Replies still being written, by id, with the text so far."""
        return self._live

    async def catch_up(self) -> None:
        """Relay anything the store has that the bus did not bring (a lost event)."""
        self._queue.put_nowait(_CATCH_UP)

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                if event is _CATCH_UP:
                    for room in self._rooms:
                        await self._fill_gap(room, up_to=None)
                else:
                    await self._handlers[type(event)](event)
            except StoreUnavailable as exc:
                # Sending the event now would skip the gap for good; it is committed, so the
                # next catch-up brings it with the missing ones, in order, once the store answers.
                log.warning("could not fill a sequence gap from the store (will retry): %s", exc)
            except Exception:
                log.exception("relay failed on %r", event)

    async def _on_posted(self, event: BusEvent) -> None:
        message = event.message
        last = self._last_seq.get(message.room, 0)
        if message.seq <= last:
            return  # already relayed (a backfill got there first, or an echo)
        if message.seq > last + 1:
            await self._fill_gap(message.room, up_to=message.seq - 1)
        self._emit_posted(message)

    async def _fill_gap(self, room: str, up_to: int | None) -> None:
        while True:
            last = self._last_seq.get(room, 0)
            if up_to is not None and last >= up_to:
                return
            missing = await self._store.history_after(room, last, CATCH_UP_BATCH)
            for message in missing:
                if up_to is None or message.seq <= up_to:
                    self._emit_posted(message)
            if len(missing) < CATCH_UP_BATCH:
                return

    def _emit_posted(self, message: Message) -> None:
        if message.seq <= self._last_seq.get(message.room, 0):
            return
        self._last_seq[message.room] = message.seq
        if not message.status.is_final:
            self._live[message.id] = message
        self._fanout(MessagePosted(self._live.get(message.id, message)))

    async def _on_changed(self, event: BusEvent) -> None:
        message = event.message
        if message.status.is_final:
            self._live.pop(message.id, None)
        else:
            self._live[message.id] = message
        self._fanout(event)

    async def _on_presence(self, event: BusEvent) -> None:
        if self._presence.apply(event):
            self._fanout(OnlineChanged(self._presence.names()))

    async def _on_stop(self, event: BusEvent) -> None:
        self._fanout(event)

    def announce_presence(self) -> None:
        """Tell local sessions the merged list (after a local join or leave, or expiry)."""
        self._fanout(OnlineChanged(self._presence.names()))

