"""LiveRooms: keeps a tab's list of rooms live: unread counts, mention badges, activity order.

The tab listens on `activity_topic(room)` for each room its person counts
(chat/reads.py says which) and for the room it shows. A message there changes
one item of the list (or, when that room moves first, the list's order), and
nothing else: a tab hears of other rooms only through this.
"""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from chat.domain import Message, MessagePosted, Room, RoomKind
from chat.flet_internals import activity_topic
from chat.reads import Reader, Unread, UnreadBook
from chat.ui.room_list import RoomList
from chat.ui.tab_gone import unless_tab_gone

ShowMentions = Callable[[bool], None]
"""Told whether any room other than the one shown has an unread mention (the menu button's badge)."""
IsSeen = Callable[[], bool]
"""True while the tab is on screen (a hidden tab reads nothing)."""


class LiveRooms:
    """One tab's unread state per room, shown in its lists of rooms and kept up as messages arrive."""

    def __init__(self, page: ft.Page, book: UnreadBook, is_seen: IsSeen):
        """`is_seen()`: whether the tab is on screen, reading the room it shows."""
        self.page = page
        self.book = book
        self._is_seen = is_seen
        self.lists: tuple[RoomList, ...] = ()
        self.show_mentions: ShowMentions = lambda unread: None
        self.on_screen: Callable[[RoomList], bool] = lambda rooms: True
        """Whether a list is on screen in this layout (sidebar or drawer): the other is sent later."""
        self.reader: Reader | None = None
        self.current = ""
        self._rooms: dict[str, Room] = {}
        self._unread: dict[str, Unread] = {}
        self._topics: set[str] = set()
        self._mentions_shown = False

    async def read(
        self, rooms: list[Room], current: str, reader: Reader | None
    ) -> dict[str, Unread]:
        """What is unread in `rooms` for `reader` (nothing before they join); `current` is read now.

        A refresh of the same tab's list (a room was created somewhere) keeps the live
        state of the rooms it counts already, and reads only the others.
        """
        if reader is None:
            return {}
        same = reader == self.reader and current == self.current
        if not same:
            await self.book.seen_to_end(reader.person_id, current)
        known = self._unread if same else {}
        others = [room for room in rooms if room.name not in known]
        counted = await self.book.unread(reader, others)
        names = {room.name for room in rooms}
        counted.update({name: state for name, state in known.items() if name in names})
        counted[current] = Unread()  # listened to, to mark what arrives as read
        return counted

    def show(
        self,
        lists: tuple[RoomList, ...],
        rooms: list[Room],
        current: str,
        reader: Reader | None,
        unread: dict[str, Unread],
    ) -> None:
        """Show `rooms` with `unread` (from read()) in `lists`, and follow them from now on.

        Call update() on the lists afterwards.
        """
        if self.reader is not None and self.reader != reader:
            self.book.unfollow(self.reader.person_id, self)
        if reader is not None:
            self.book.follow(reader.person_id, self)
        if self.current:
            self.book.unview(self.current, self)
        if reader is not None:
            self.book.view(current, self)
        self.lists, self.reader, self.current = lists, reader, current
        self._rooms = {room.name: room for room in rooms}
        self._listen(set(unread))
        self._unread = {name: state for name, state in unread.items() if name != current}
        for room_list in lists:
            room_list.show(rooms, current, self._unread)
        self._mentions_shown = self._any_mention()
        self.show_mentions(self._mentions_shown)

    def read_elsewhere(self, room: str, seq: int) -> None:
        """The person read `room` up to `seq` in another tab: what it counted there is read."""
        state = self._unread.get(room)
        if state is None or not state.count or seq < state.last_seq:
            return  # nothing shown, or more arrived since (the other tab is behind)
        self._unread[room] = Unread(last_seq=state.last_seq)
        self._show_change(room, self._unread[room], to_top=False)

    def _listen(self, rooms: set[str]) -> None:
        # The room shown comes through the book (arrived_here), not a subscription per tab.
        wanted = {activity_topic(room) for room in rooms if room != self.current}
        for topic in self._topics - wanted:
            self.page.pubsub.unsubscribe_topic(topic)
        for topic in wanted - self._topics:
            self.page.pubsub.subscribe_topic(topic, self._on_activity)
        self._topics = wanted

    async def _on_activity(self, topic: str, event: object) -> None:
        reader = self.reader
        if not isinstance(event, MessagePosted) or reader is None:
            return
        message = event.message
        room = self._rooms.get(message.room)
        if room is None:
            return  # not listed in this tab (yet): a list refresh brings it
        if message.room == self.current:
            return  # arrived_here has it
        before = self._unread.get(message.room, Unread())
        unread = self.book.arrived(before, message, reader, room.kind is RoomKind.DM)
        self._unread[message.room] = unread
        self._show_change(message.room, unread, to_top=True)

    def arrived_here(self, message: Message) -> None:
        """A message in the room this tab shows: read at once if the tab is on screen."""
        reader = self.reader
        if reader is None or message.room != self.current or message.room not in self._rooms:
            return
        if self._is_seen():
            self.book.seen(reader.person_id, message.room, message.seq)
        self._show_change(message.room, None, to_top=True)

    def _show_change(self, room: str, unread: Unread | None, to_top: bool) -> None:
        changed = [
            control
            for room_list in self.lists
            if (control := room_list.show_unread(room, unread, to_top)) is not None
            and self.on_screen(room_list)
        ]
        mentions = self._any_mention()
        with unless_tab_gone():
            if changed:
                self.page.update(*changed)
            if mentions != self._mentions_shown:
                self._mentions_shown = mentions
                self.show_mentions(mentions)

    def _any_mention(self) -> bool:
        return any(state.count and state.mention for state in self._unread.values())
