"""The relay: one per process, between the bus and Flet's pubsub.

It takes bus events in arrival order, puts room messages back into sequence
order (a jump in `seq` is filled from the store, so a message lost on the bus
costs latency, never the message), keeps the merged presence list and the
text of replies still being written, and fans everything out locally.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from chat import metrics
from chat.change_catch_up import ChangeCatchUp
from chat.domain import (
    EVERY_ROOM,
    BusEvent,
    CatchUpRequested,
    CatchUpShown,
    MemberRemoved,
    Message,
    MessageChanged,
    MessagePosted,
    OnlineChanged,
    PersonBanned,
    PersonMuted,
    PersonTyping,
    PresenceSnapshot,
    ReactionsChanged,
    ReadMoved,
    RegenerateRequested,
    RepliesCounted,
    RoomCreated,
    RoomEvent,
    RoomLockChanged,
    StopRequested,
)
from chat.events import EventRoutes
from chat.presence import PresenceBook
from chat.store.base import Store, StoreUnavailable
from chat.typing_indicator import EXPIRE_AFTER, TypingBook
from chat.typing_signals import TypingReceiver

log = logging.getLogger(__name__)

Fanout = Callable[[str, RoomEvent], None]
"""Where the relay hands each event: `fanout(room, event)` reaches that room's viewers only."""

CATCH_UP_BATCH = 500

_CATCH_UP = object()
"""Queued like an event: look in the store for anything the bus did not bring."""


class RoomRelay:
    """Orders, completes and fans out the events of every room, each to its own viewers."""

    def __init__(self, store: Store, presence: PresenceBook, typing_expiry: float = EXPIRE_AFTER):
        """`typing_expiry`: seconds a typist shows after their last signal."""
        self._store = store
        self._presence = presence
        self._fanout: Fanout = lambda room, event: None
        self._queue: asyncio.Queue[BusEvent | object] = asyncio.Queue()  # or _CATCH_UP
        self._last_seq: dict[str, int] = {}
        self._live: dict[str, Message] = {}
        self._deleted_by: dict[str, str] = {}  # reply id -> moderator, for replies deleted live
        self._changes = ChangeCatchUp(store)
        self._recount: dict[str, str] = {}  # original id -> room, of replies relayed lately
        self._task: asyncio.Task | None = None
        self.typing = TypingReceiver(
            lambda room, event: self._fanout(room, event), TypingBook(typing_expiry)
        )
        """Who is typing in each room, from the bus's signals (never stored)."""
        self._routes = EventRoutes[Awaitable[None]](
            {
                MessagePosted: self._on_posted,
                MessageChanged: self._on_changed,
                PresenceSnapshot: self._on_presence,
                StopRequested: self._on_stop,
                RegenerateRequested: self._on_stop,  # to the room's viewers: its bot writes it
                RoomCreated: self._on_room_created,
                RoomLockChanged: self._to_room,
                PersonMuted: self._to_room,
                ReactionsChanged: self._on_reactions,
                RepliesCounted: self._to_room,
                MemberRemoved: self._to_every_tab,
                PersonBanned: self._to_every_tab,
                PersonTyping: self._on_typing,
                ReadMoved: self._on_read,
                CatchUpRequested: self._personal,
                CatchUpShown: self._personal,
            }
        )

    async def start(self, fanout: Fanout) -> None:
        """Learn where each room stands, then relay events to `fanout`.

        A room that is not in the store yet has no messages: when one arrives
        for it, everything from seq 1 on is relayed.
        """
        self._fanout = fanout
        for room in await self._store.room_names():
            newest = await self._store.history(room, None, 1)
            self._last_seq[room] = newest[-1].seq if newest else 0
        for message in await self._store.unfinished_messages():
            self._live[message.id] = message
        await self._changes.start()
        self._task = asyncio.create_task(self._run(), name="room-relay")

    async def close(self) -> None:
        """Stop relaying."""
        self.typing.close()
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
        """Relay anything the store has that the bus did not bring (a lost event): new
        messages by sequence number, changes to old ones by their change stamps."""
        self._queue.put_nowait(_CATCH_UP)

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                if event is _CATCH_UP:
                    for room in {*self._last_seq, *await self._store.room_names()}:
                        await self._fill_gap(room, up_to=None)
                    await self._changes.catch_up(
                        lambda room: self._last_seq.get(room, 0),
                        self._on_changed,
                        self._on_reactions,
                    )
                    await self._recount_replies()
                elif (handling := self._routes(event)) is not None:
                    await handling
            except StoreUnavailable as exc:
                # Sending the event now would skip the gap for good; it is committed, so the
                # next catch-up brings it with the missing ones, in order, once the store answers.
                log.warning("could not fill a sequence gap from the store (will retry): %s", exc)
            except Exception:
                log.exception("relay failed on %r", event)

    async def _on_posted(self, event: MessagePosted) -> None:
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
        if message.reply_to is not None:
            self._recount[message.reply_to] = message.room
        if not message.status.is_final:
            self._live[message.id] = message
        self._fanout(message.room, MessagePosted(self._live.get(message.id, message)))
        metrics.message_delivered(message.created_at)

    async def _recount_replies(self) -> None:
        # The counts of the originals of replies relayed since the last catch-up, from the
        # store: a RepliesCounted the bus lost is said then. Rows keep the highest count they
        # saw, so one that did come over the bus changes nothing when told again.
        wanted = dict(self._recount)
        if not wanted:
            return
        counts = await self._store.reply_counts(list(wanted))  # unavailable: kept for the next
        for message_id, room in wanted.items():
            self._recount.pop(message_id, None)
            if message_id in counts:
                self._fanout(room, RepliesCounted(room, message_id, counts[message_id]))

    async def _on_changed(self, event: MessageChanged) -> None:
        message = event.message
        if message.deleted_by is not None and not message.status.is_final:
            self._deleted_by[message.id] = message.deleted_by
        elif message.id in self._deleted_by:
            # The writer's words after a moderator deleted its reply (until it stops) show nothing.
            message = replace(message, text="", deleted_by=self._deleted_by[message.id])
            event = MessageChanged(message)
            if message.status.is_final:
                del self._deleted_by[message.id]
        if message.status.is_final:
            self._live.pop(message.id, None)
        else:
            self._live[message.id] = message
        self._changes.relayed_change(event)
        self._fanout(message.room, event)

    async def _on_presence(self, event: PresenceSnapshot) -> None:
        self.announce_presence(self._presence.apply(event))

    async def _on_typing(self, event: PersonTyping) -> None:
        self.typing.take(event)

    async def _on_stop(self, event: StopRequested | RegenerateRequested) -> None:
        self._fanout(event.room, event)

    async def _to_room(self, event: RoomLockChanged | PersonMuted | RepliesCounted) -> None:
        self._fanout(event.room, event)

    async def _on_reactions(self, event: ReactionsChanged) -> None:
        self._changes.relayed_reactions(event)
        self._fanout(event.room, event)

    async def _to_every_tab(self, event: MemberRemoved | PersonBanned) -> None:
        # Whichever room its person's tabs show, they must hear it (they check the person id).
        self._fanout(EVERY_ROOM, event)

    async def _on_read(self, event: ReadMoved) -> None:
        # Not for the room's viewers: the fanout hands it to the person's tabs (chat.reads).
        self._fanout(event.room, event)

    async def _personal(self, event: CatchUpRequested | CatchUpShown) -> None:
        # Never to the room's viewers: the fanout hands a request to the bots and what is
        # shown to the asker's tabs only (chat.app).
        self._fanout(event.room, event)

    async def _on_room_created(self, event: RoomCreated) -> None:
        self._last_seq.setdefault(event.room.name, 0)  # a new room: every message in it is news
        self._fanout(EVERY_ROOM, event)  # every tab lists the rooms

    def announce_presence(self, rooms: set[str]) -> None:
        """Tell each room's local viewers its merged list (after a join, a leave, or expiry).

        A change in EVERY_ROOM (the bot) is told to every room this process knows.
        """
        if EVERY_ROOM in rooms:
            rooms = (rooms - {EVERY_ROOM}) | set(self._last_seq) | self._presence.rooms()
        for room in sorted(rooms):
            self._fanout(room, OnlineChanged(room, self._presence.names(room)))
