"""What every tab showing one room in a process shows alike, rendered once for all of them.

The people in a room look the same in every tab showing it, and so does
its conversation for everyone in the same time zone who has not written
in it (own messages are styled per tab) and has not paged back through
history. Those tabs show one SharedConversation and one SharedPresence of
that room; each of the room's events is rendered into them once and the
patch is sent to each of its viewers (see broadcast.Audience), and to no
tab showing another room. A tab whose view differs renders its own MessageList.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from datetime import tzinfo

import flet as ft

from chat.attachments import Attachment
from chat.domain import (
    Message,
    MessageChanged,
    MessagePosted,
    OnlineChanged,
    ReactionsChanged,
    RepliesCounted,
    RoomEvent,
)
from chat.events import EventRoutes
from chat.feed import RoomFeed
from chat.flet_internals import PubSubHub, pubsub_hub, room_topic
from chat.service import ChatService
from chat.ui.broadcast import Audience
from chat.ui.message_list import MessageList
from chat.ui.message_row import ChatMessage
from chat.ui.presence_panel import PresencePanel
from chat.ui.tab_actions import TabActions


class SharedPresence(PresencePanel):
    """The people-online panel, one for all tabs; only its Audience sends it."""

    def __init__(self) -> None:
        super().__init__()
        self._entries: dict[str, ft.Control] = {}

    def show(self, names: tuple[str, ...]) -> None:
        """Replace the list, keeping the entries of people still here (a join adds one entry)."""
        self.heading.value = f"Online · {len(names)}"
        entries = {name: self._entries.get(name) or self._entry(name) for name in names}
        self._entries = entries
        self.names.controls = list(entries.values())

    def update(self) -> None:
        """Sent by SharedView through its Audience, never by one tab."""

    def __repr__(self) -> str:
        # Short, like the shared list's: it is formatted into every joining tab's page.
        return f"SharedPresence({len(getattr(self, '_entries', ()))} online)"


class SharedConversation:
    """A room's conversation as tabs in one time zone see it before they write or page back."""

    def __init__(self, service: ChatService, room: str, tz: tzinfo):
        self.service = service
        self.room = room
        self.tz = tz
        self.viewers = Audience()
        self.feed = RoomFeed()
        self._tabs: dict[str, TabActions] = {}
        self.list = MessageList(
            self._row, service.settings.render_limit, self._load_earlier, shared=True, tz=tz
        )
        self._loaded = asyncio.Event()

    async def load(self) -> None:
        """Read the backlog once (events meanwhile wait in the feed)."""
        backlog = await self.service.history(self.room)
        self.list.prepend(backlog)
        for event in self.feed.backlog_read(backlog):
            self.list.apply(event)
        self.list.trim()
        self.list.list_sent(freeze=False)  # nobody shows it yet
        self.list.take_changed()
        self._loaded.set()

    async def ready(self) -> None:
        await self._loaded.wait()

    def take(self, event: RoomEvent) -> None:
        """Render a room event once and send it to every viewer at once.

        Rendering and sending happen together, so no tab ever serializes the
        list (joining, reconnecting) while it holds changes the others lack.
        """
        for fresh in self.feed.take(event):
            self.list.apply(fresh)
        if not self._loaded.is_set():
            return
        if self.list.list_changed:
            self.list.trim()
            self.viewers.send(self.list.root)
            self.list.list_sent(freeze=True)
        for control in self.list.take_changed():
            self.viewers.send(control)

    def show_in(self, tab: TabActions, page: ft.Page, send_page: Callable[[], None]) -> None:
        """`send_page()` sends `page`, holding list.root; then it gets every change."""
        with self.list.unfrozen():
            send_page()
        self._tabs[tab.session_id] = tab
        self.viewers.add(page)

    def stop_showing_in(self, tab: TabActions, page: ft.Page) -> None:
        self._tabs.pop(tab.session_id, None)
        self.viewers.remove(page)

    def messages(self) -> list[Message]:
        return self.list.messages()

    @property
    def last_seq(self) -> int:
        return self.feed.last_seq

    # ---- rows and their events, routed to the tab that raised them

    def _row(self, message: Message, grouped: bool, starts_day: bool) -> ChatMessage:
        return ChatMessage(
            message,
            own=False,
            grouped=grouped,
            starts_day=starts_day,
            tz=self.tz,
            display_name=message.shown_author(self.service.settings.bot_display_name),
            # No Stop here: only the person who asked may stop a reply, and a tab showing
            # the shared rows has not written in the room, so it cannot be theirs. Their
            # tab renders rows of its own (ChatPage._go_private), where Stop is offered.
            on_stop=None,
            on_link=self._open_link,
            on_image=self._show_image,
            on_file=self._open_file,
            on_copy=self._copy_text,
            shared=True,
            on_react=self._react,  # no one's reactions tinted: a reacting tab renders its own
            on_reply=self._reply_to,
            on_thread=self._open_thread,
            on_quote=self._show_original,
        )

    def _tab(self, page: ft.Page) -> TabActions | None:
        return self._tabs.get(page.session.id)

    async def _open_link(self, url: str, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab.open_link(url, page)

    async def _copy_text(self, text: str, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab.copy_text(text, page)

    async def _show_image(self, src: str, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab.show_image(src, page)

    async def _open_file(self, attachment: Attachment, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab.open_file(attachment, page)

    async def _react(self, message: Message, emoji: str | None, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab.react(message, emoji, page)

    async def _reply_to(self, message: Message, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab.reply_to(message, page)

    async def _open_thread(self, message: Message, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab.open_thread(message, page)

    async def _show_original(self, reply: Message, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab.show_original(reply, page)

    async def _load_earlier(self, e: ft.Event) -> None:
        if (tab := self._tab(e.page)) is not None:
            await tab.load_earlier(e)


class SharedRoom:
    """One room's shared presence panel and a SharedConversation per time zone, fed by its topic."""

    def __init__(self, service: ChatService, room: str, hub: PubSubHub, subscriber_id: str):
        self.service = service
        self.room = room
        self.presence = SharedPresence()
        self.presence.show(service.online(room))
        self.everyone = Audience()
        self._conversations: dict[object, SharedConversation] = {}
        self._routes = EventRoutes[None](
            {
                OnlineChanged: self._on_online,
                MessagePosted: self._on_message,
                MessageChanged: self._on_message,
                ReactionsChanged: self._on_message,
                RepliesCounted: self._on_message,
            }
        )
        # Subscribed before any conversation reads its backlog: nothing slips between.
        hub.subscribe_topic(subscriber_id, room_topic(room), self._on_event)

    async def conversation(self, tz: tzinfo) -> SharedConversation:
        """The room's shared conversation for `tz`, loaded."""
        key = tz.utcoffset(None)
        conversation = self._conversations.get(key)
        if conversation is None:
            conversation = SharedConversation(self.service, self.room, tz)
            self._conversations[key] = conversation
            await conversation.load()
        await conversation.ready()
        return conversation

    async def _on_event(self, topic: str, event: RoomEvent) -> None:
        self._routes(event)

    def _on_online(self, event: OnlineChanged) -> None:
        self.presence.show(event.names)
        self.everyone.send(self.presence)

    def _on_message(
        self, event: MessagePosted | MessageChanged | ReactionsChanged | RepliesCounted
    ) -> None:
        for conversation in self._conversations.values():
            conversation.take(event)


class SharedView:
    """Per process: a SharedRoom for each room some tab has shown."""

    def __init__(self, service: ChatService, hub: PubSubHub):
        self.service = service
        self._hub = hub
        self._rooms: dict[str, SharedRoom] = {}

    def room(self, room: str) -> SharedRoom:
        """The shared rendering of `room`, subscribed to its events from now on."""
        shared = self._rooms.get(room)
        if shared is None:
            subscriber = f"shared-view-{self.service.node}"
            shared = self._rooms[room] = SharedRoom(self.service, room, self._hub, subscriber)
        return shared


_views: weakref.WeakKeyDictionary[ChatService, SharedView] = weakref.WeakKeyDictionary()


def shared_view(page: ft.Page, service: ChatService) -> SharedView:
    """This process's SharedView for `service`, made on first use (on Flet's pubsub hub)."""
    view = _views.get(service)
    if view is None:
        view = _views[service] = SharedView(service, pubsub_hub(page))
    return view
