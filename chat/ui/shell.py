"""TabShell: one browser tab, showing one room at a time, with the list of rooms beside it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta, timezone
from typing import cast
from urllib.parse import parse_qs, urlparse

import flet as ft

from chat.api_access import ApiAccess
from chat.domain import EVERY_ROOM, MemberRemoved, PersonBanned, Room, RoomCreated
from chat.events import EventRoutes
from chat.flet_internals import room_topic
from chat.people import PeopleService
from chat.person import Person
from chat.reads import Reader, UnreadBook
from chat.room_rules import ROOM_NAME
from chat.rules import Rejected
from chat.search_query import SearchHit, SearchOrder
from chat.service import ChatService
from chat.ui.live_rooms import LiveRooms
from chat.ui.page import ChatPage
from chat.ui.room_item import room_title
from chat.ui.room_list import NewRoomDialog, PersonDialog, RoomList
from chat.ui.search_dialog import SEARCH_BUTTON_NAME, SearchDialog


class TabShell:
    """Opens the room the tab's URL names (/r/NAME), switches rooms, and keeps the room list.

    Switching tears the room's page down (its topic, its shared rendering, its
    presence) and builds the next one; the URL follows, so a reload stays.
    """

    def __init__(
        self,
        page: ft.Page,
        service: ChatService,
        people: PeopleService,
        reads: UnreadBook,
        api: ApiAccess | None = None,
    ):
        self.page = page
        self.service = service
        self.people = people
        self.api = api
        """The person's API tokens and the room's webhooks (None: the page offers no API dialog)."""
        self.tz = client_timezone(page)
        self.invite_token = route_query(page).get("invite")
        """The invite token of an invite link (/?invite=...), which CHAT_SIGNUP=invite asks for."""
        self.directory = service.directory
        self.chat: ChatPage | None = None
        self._cut_off = False
        """Set once this tab's person is banned: it opens no more rooms."""
        self._lists: tuple[RoomList, RoomList] | None = None
        """The lists of rooms of the room shown last (being shown, maybe: its page may be loading)."""
        self._lists_room = ""
        self.live = LiveRooms(page, reads, self._is_seen)
        """Unread counts and mention badges in the lists, kept up as messages arrive."""
        self.live.show_mentions = self._show_mentions
        self.live.on_screen = lambda rooms: self.chat is None or self.chat.chrome.shows_rooms(rooms)
        self._directory = EventRoutes[Awaitable[None]](
            {
                RoomCreated: self._on_room_created,
                MemberRemoved: self._on_member_removed,
                PersonBanned: self._on_banned,
            }
        )

    async def start(self) -> None:
        """Show the room the URL names, or the default room; follow the room list from now on.

        A private room is opened only once the person has joined under a member's name.
        """
        self.page.on_route_change = self._on_route_change
        self.page.pubsub.subscribe_topic(room_topic(EVERY_ROOM), self._on_directory_event)
        wanted = room_from_route(self.page.route)
        public = wanted is not None and await self.directory.may_see(wanted, None)
        await self._show(wanted if public and wanted else self.service.settings.room, person=None)
        if wanted is not None and not public and self.chat is not None and self.chat.name:
            await self.open_room(wanted)

    @property
    def person(self) -> Person | None:
        """Who this tab joined as, once it has."""
        return self.chat.person if self.chat is not None and self.chat.name else None

    @property
    def person_id(self) -> str | None:
        """The id of who this tab joined as."""
        return self.person.id if self.person is not None else None

    async def open_room(self, name: str) -> None:
        """Show room `name` in this tab instead of the current one, and put it in the URL.

        A room the person may not see (private, not a member; or gone) is not opened.
        """
        current = self.chat
        if self._cut_off:
            return
        if current is not None:
            await current.chrome.close_rooms()
            if current.room == name:
                return
        if not await self.directory.may_see(name, self.person_id):
            return
        if current is not None:
            await current.leave_room()
        self.page.controls.clear()
        await self._show(name, person=current.person if current is not None else None)
        await self.page.push_route(f"/r/{name}")

    async def create_room(self, raw_name: str, raw_topic: str, private: bool) -> None:
        """Add a room (Rejected if it cannot be) and go to it."""
        room = await self.directory.create_room(raw_name, raw_topic, self.person, private)
        self.page.pop_dialog()
        await self.open_room(room.name)

    async def invite(self, raw_name: str) -> None:
        """Invite `raw_name` to the private room this tab shows (Rejected if it cannot)."""
        if self.chat is None or self.person is None:
            raise Rejected("Join the room first.")
        await self.directory.invite(self.chat.room, self.person, raw_name)

    async def _show(self, room: str, person: Person | None) -> None:
        # Where the person stood before the lists mark the room read (they do, for who moves).
        before = await self.live.book.position(person.id, room) if person is not None else None

        async def read_before(person_id: str) -> int | None:
            if person is not None and person.id == person_id:
                return before
            return await self.live.book.position(person_id, room)  # joined (or resumed) here

        lists = self._lists = (self._room_list(), self._room_list())
        self._lists_room = room
        rooms = await self._refresh_lists(room, lists, send=False)
        if self._lists is not lists:
            return  # another room was picked meanwhile: its own _show goes on
        title = next((room_title(r) for r in rooms if r.name == room), f"# {room}")
        chat = self.chat = ChatPage(
            self.page,
            self.service,
            self.people,
            room,
            title,
            self.tz,
            lists,
            self.invite_token,
            self.api,
            on_entered=lambda: self._refresh_lists(room, lists),  # their rooms and DMs show
            read_before=read_before,
        )
        chat.chrome.add_action(self._search_button(), on_phones=True)
        await chat.start(person)
        if self.chat is not chat:
            return  # as above: the lists on the page now are the next room's
        self._read_when_seen_again(chat)
        await self._refresh_lists(room, lists)  # joining and leaving changed the activity order

    def _search_button(self) -> ft.Control:
        return ft.IconButton(
            icon=ft.Icon(ft.Icons.SEARCH, semantics_label=SEARCH_BUTTON_NAME),
            tooltip=SEARCH_BUTTON_NAME,
            on_click=self._open_search,
        )

    async def _open_search(self, e: ft.Event) -> None:
        if self.chat is not None:
            self.page.show_dialog(SearchDialog(self.chat.room, self.search, self.show_hit, self.tz))

    async def search(self, raw: str, every_room: bool, order: SearchOrder) -> list[SearchHit]:
        """What the person may read that matches `raw`: in every room, or in the one shown."""
        room = None if every_room or self.chat is None else self.chat.room
        return await self.service.search.find(self.person_id, raw, room, order)

    async def show_hit(self, hit: SearchHit) -> None:
        """Go to the result's room and show the message there, in context."""
        self.page.pop_dialog()
        await self.open_room(hit.message.room)
        chat = self.chat
        if chat is None or chat.room != hit.message.room:
            return  # the room could not be opened (no longer readable)
        if not await chat.show_message(hit.message):
            self.page.show_dialog(
                ft.SnackBar(ft.Text("That message is too far back to show here, or is gone."))
            )

    def _room_list(self) -> RoomList:
        return RoomList(
            self.open_room, self._ask_for_room, self._ask_whom_to_invite, self._ask_whom_to_write
        )

    async def _refresh_lists(
        self, current: str, lists: tuple[RoomList, RoomList], send: bool = True
    ) -> list[Room]:
        """Fill `lists` (those of room `current`) unless the tab has gone on to another room."""
        reader = self._reader()
        rooms = await self.directory.rooms(self.person_id)
        if lists is not self._lists:
            return rooms  # the tab switched rooms meanwhile: these lists are gone
        unread = await self.live.read(rooms, current, reader)
        if lists is not self._lists:
            return rooms
        self.live.show(lists, rooms, current, reader, unread)
        if send:
            for room_list in lists:
                room_list.update()
        return rooms

    def _reader(self) -> Reader | None:
        person = self.chat.person if self.chat is not None else None
        return Reader(person.id, person.name) if person is not None else None

    def _read_when_seen_again(self, chat: ChatPage) -> None:
        # A hidden tab reads nothing; back on screen, its person has read the room it shows.
        handler = cast(  # the room's own (its title count), always an async one-argument handler
            Callable[[ft.AppLifecycleStateChangeEvent], Awaitable[None]] | None,
            self.page.on_app_lifecycle_state_change,
        )

        async def on_lifecycle(e: ft.AppLifecycleStateChangeEvent) -> None:
            was_hidden = chat.unread.hidden
            if handler is not None:
                await handler(e)
            if was_hidden and not chat.unread.hidden and chat is self.chat and chat.person:
                await self.live.book.seen_to_end(chat.person.id, chat.room)

        self.page.on_app_lifecycle_state_change = on_lifecycle

    def _is_seen(self) -> bool:
        return self.chat is not None and not self.chat.unread.hidden

    def _show_mentions(self, unread: bool) -> None:
        if self.chat is not None:
            self.chat.chrome.show_unread_mentions(unread)

    async def _ask_for_room(self, e: ft.Event) -> None:
        if self.chat is not None:
            await self.chat.chrome.close_rooms()
        self.page.show_dialog(NewRoomDialog(self.create_room))

    async def _ask_whom_to_invite(self, e: ft.Event) -> None:
        if self.chat is not None:
            await self.chat.chrome.close_rooms()
            invite = PersonDialog(
                f"Invite to # {self.chat.room}",
                "Invite",
                ft.Icons.PERSON_ADD_OUTLINED,
                self.invite,
            )
            self.page.show_dialog(invite)

    async def _ask_whom_to_write(self, e: ft.Event) -> None:
        if self.chat is not None:
            await self.chat.chrome.close_rooms()
        write = PersonDialog("Direct message", "Write", ft.Icons.CHAT_BUBBLE_OUTLINE, self.write_to)
        self.page.show_dialog(write)

    async def write_to(self, raw_name: str) -> None:
        """Open the DM with `raw_name` (the bot too), made on first use; Rejected if it cannot be."""
        if self.person is None:
            raise Rejected("Join first: a direct message is from you to someone.")
        room = await self.directory.direct(self.person, raw_name)
        await self.open_room(room.name)

    async def _on_route_change(self, e: ft.RouteChangeEvent) -> None:
        # The browser's back and forward buttons; a switch made here arrives as a no-op.
        name = room_from_route(e.route)
        if name is not None and self.chat is not None and name != self.chat.room:
            await self.open_room(name)

    async def _on_directory_event(self, topic: str, event: object) -> None:
        if (handling := self._directory(event)) is not None:
            await handling

    async def _on_room_created(self, event: RoomCreated) -> None:
        if self._lists is not None:
            await self._refresh_lists(self._lists_room, self._lists)

    async def _on_member_removed(self, event: MemberRemoved) -> None:
        chat = self.chat
        if chat is None or chat.person_id != event.person_id:
            return
        if chat.room != event.room:
            if self._lists is not None:
                await self._refresh_lists(chat.room, self._lists)  # the room leaves the list
            return
        # Pubsub handlers run outside the tab's Flet context; building a room's page needs it.
        self.page.run_task(self._leave_removed_room, event.room)

    async def _leave_removed_room(self, room: str) -> None:
        await self.open_room(self.service.settings.room)
        self.page.show_dialog(ft.SnackBar(ft.Text(f"A moderator removed you from # {room}.")))

    async def _on_banned(self, event: PersonBanned) -> None:
        if self.chat is not None and self.chat.person_id == event.person_id:
            self._cut_off = True
            self.page.run_task(
                self.chat.cut_off, "An admin banned you from Confab. This browser is signed out."
            )


def room_from_route(route: str | None) -> str | None:
    """The room a route names (`/r/NAME`, any query after it), or None."""
    path = urlparse(route or "").path
    prefix, _, name = path.partition("/r/")
    if prefix or not ROOM_NAME.fullmatch(name):
        return None
    return name


def route_query(page: ft.Page) -> dict[str, str]:
    """The query of the route the tab registered with (page.query is only parsed on a route change)."""
    return {key: values[0] for key, values in parse_qs(urlparse(page.route or "").query).items()}


def client_timezone(page: ft.Page) -> timezone:
    """The browser's zone, from the `tz` offset (minutes east of UTC) our index.html adds."""
    try:
        minutes = int(route_query(page)["tz"])
        return timezone(timedelta(minutes=minutes))
    except (KeyError, ValueError, OverflowError):  # absent, not a number, or beyond ±24 h
        return UTC
