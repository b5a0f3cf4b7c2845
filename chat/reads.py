"""Unread state: how far each person has read in each room, and what waits for them elsewhere.

Which rooms count for a person (so that a message wakes only the tabs that care):
- private rooms and DMs they are a member of, always (someone wrote to them);
- public rooms they have opened before (they have a read mark there).
A public room never opened is listed but not counted: otherwise every tab of
every person would update for every message in every public room.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from chat.domain import Message, MessageKind, ReadMoved, Room, RoomKind
from chat.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)

Mentions = Callable[[str, str], bool]
"""`mentions(text, name)`: True when `text` mentions @name."""
PublishRead = Callable[[ReadMoved], Awaitable[None]]
"""Tells every process (the bus) that a read was saved."""


class ReadFollower(Protocol):
    """A tab that shows a person's unread state, told when they read elsewhere."""

    def read_elsewhere(self, room: str, seq: int) -> None:
        """The person read `room` up to `seq` (in any tab of this process, this one too)."""

    def arrived_here(self, message: Message) -> None:
        """`message` was posted in the room this tab shows."""


COUNT_CAP = 99
"""Counts above this show as "99+"; a room's first look reads at most one more message than this."""
SAVE_DELAY = 1.0
"""Seconds a read waits before it is saved: what arrives meanwhile, from any tab, goes as one write."""


@dataclass(frozen=True, slots=True)
class Unread:
    """What a person has not read in one room: how many messages, and whether one is for them."""

    count: int = 0
    mention: bool = False
    """An unread message mentions them by @name, or is in a DM (every DM message is for them)."""
    last_seq: int = 0
    """The newest message seen in the room, read or not."""

    @property
    def label(self) -> str:
        """The count as shown: "" for none, "99+" beyond the cap."""
        if not self.count:
            return ""
        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is reading: their person id, their name (for @mentions), and what counts."""

    person_id: str
    name: str


class UnreadBook:
    """Counts unread messages per person and room, and saves read positions, coalesced."""

    def __init__(
        self,
        store: Store,
        mentions: Mentions,
        save_delay: float = SAVE_DELAY,
        publish: PublishRead | None = None,
    ):
        """`publish`: where saved reads are announced to the other processes (None: nowhere)."""
        self._store = store
        self._publish = publish
        self._mentions = mentions
        self._save_delay = save_delay
        self._pending: dict[tuple[str, str], int] = {}
        self._saving: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()
        self._followers: dict[str, weakref.WeakSet[ReadFollower]] = {}
        self._viewers: dict[str, weakref.WeakSet[ReadFollower]] = {}
        """Per room, the tabs showing it: told of each message by posted(), one call each
        (a pubsub subscription per tab put a task per tab and message in the event loop)."""

    def view(self, room: str, tab: ReadFollower) -> None:
        """`tab` shows `room` now (held weakly); unview() the room it showed before."""
        self._viewers.setdefault(room, weakref.WeakSet()).add(tab)

    def unview(self, room: str, tab: ReadFollower) -> None:
        """`tab` no longer shows `room`."""
        if (tabs := self._viewers.get(room)) is not None:
            tabs.discard(tab)
            if not tabs:
                del self._viewers[room]

    def posted(self, message: Message) -> None:
        """A message was posted in a room (once per process): tell the tabs showing it."""
        for tab in list(self._viewers.get(message.room, ())):
            tab.arrived_here(message)

    def follow(self, person_id: str, tab: ReadFollower) -> None:
        """Tell `tab.read_elsewhere(room, seq)` whenever `person_id` reads (held weakly)."""
        self._followers.setdefault(person_id, weakref.WeakSet()).add(tab)

    def unfollow(self, person_id: str, tab: ReadFollower) -> None:
        """Stop telling `tab` (it follows someone else now, or nobody)."""
        if (tabs := self._followers.get(person_id)) is not None:
            tabs.discard(tab)
            if not tabs:
                del self._followers[person_id]

    def moved(self, read: ReadMoved) -> None:
        """A read saved by any process (this one too) came over the bus: tell the person's tabs."""
        for tab in list(self._followers.get(read.person_id, ())):
            tab.read_elsewhere(read.room, read.seq)

    @staticmethod
    def counts_room(room: Room, marks: dict[str, int]) -> bool:
        """True when `room` is counted for a person with read `marks` (see the module docstring)."""
        return room.is_private or room.name in marks

    async def marks(self, person_id: str) -> dict[str, int]:
        """Where the person stands in every room, including reads not saved yet."""
        marks = await self._store.read_marks(person_id)
        for (pid, room), seq in self._pending.items():
            if pid == person_id:
                marks[room] = max(seq, marks.get(room, 0))
        return marks

    async def position(self, person_id: str, room: str) -> int | None:
        """How far the person has read `room` (None: never opened), including reads not saved yet."""
        return (await self.marks(person_id)).get(room)

    async def unread(self, reader: Reader, rooms: list[Room]) -> dict[str, Unread]:
        """The unread state of each counted room among `rooms` (the others are left out)."""
        marks = await self.marks(reader.person_id)
        found: dict[str, Unread] = {}
        for room in rooms:
            if not self.counts_room(room, marks):
                continue
            after = marks.get(room.name, 0)
            state = Unread(last_seq=after)
            for message in await self._store.history_after(room.name, after, COUNT_CAP + 1):
                state = self.arrived(state, message, reader, room.kind is RoomKind.DM)
            found[room.name] = state
        return found

    def arrived(self, state: Unread, message: Message, reader: Reader, direct: bool) -> Unread:
        """`state` after `message` arrived in a room the reader is not looking at."""
        if message.seq <= state.last_seq:
            return state  # counted already
        later = replace(state, last_seq=message.seq)
        if message.kind is MessageKind.SYSTEM or message.author_id == reader.person_id:
            return later
        mention = direct or (bool(reader.name) and self._mentions(message.text, reader.name))
        return replace(later, count=state.count + 1, mention=state.mention or mention)

    def seen(self, person_id: str, room: str, seq: int) -> None:
        """The person has seen `room` up to `seq`: saved within SAVE_DELAY, with other reads."""
        key = (person_id, room)
        if key in self._pending and seq <= self._pending[key]:
            return
        self._pending[key] = seq
        if self._saving is None:
            self._saving = asyncio.get_running_loop().call_later(self._save_delay, self._save_soon)
        for tab in list(self._followers.get(person_id, ())):
            tab.read_elsewhere(room, seq)

    async def seen_to_end(self, person_id: str, room: str) -> None:
        """The person opened `room`: everything in it so far is read (an empty room too: it
        is counted from now on)."""
        newest = await self._store.history(room, None, 1)
        self.seen(person_id, room, newest[-1].seq if newest else 0)

    def _save_soon(self) -> None:
        self._saving = None
        task = asyncio.create_task(self.save())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def save(self) -> None:
        """Write every read waiting to be saved, in one write; if the store refused, they wait."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            await self._store.mark_reads([(pid, room, seq) for (pid, room), seq in pending.items()])
        except StoreUnavailable as exc:
            log.warning("%d read positions were not saved (will retry): %s", len(pending), exc)
            for (person_id, room), seq in pending.items():
                self.seen(person_id, room, seq)
            return
        if self._publish is not None:
            # After the commit, so a tab told on another process reads the same from the store.
            for (person_id, room), seq in pending.items():
                await self._publish(ReadMoved(person_id, room, seq))

    async def close(self) -> None:
        """Save what waits, now (the process is stopping)."""
        if self._saving is not None:
            self._saving.cancel()
            self._saving = None
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pending:
            await self.save()
            if self._saving is not None:  # the store refused: nothing more to do
                self._saving.cancel()
                self._saving = None
