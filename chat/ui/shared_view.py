"""What every tab in a process shows alike, rendered once for all of them.

The people online look the same in every tab, and so does the
conversation for everyone in the same time zone who has not written in it
(own messages are styled per tab) and has not paged back through history.
Those tabs show one SharedConversation and one SharedPresence; each room
event is rendered into them once and the patch is sent to every tab (see
broadcast.Audience). A tab whose view differs renders its own MessageList.
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import tzinfo
from typing import TYPE_CHECKING, Callable

import flet as ft

from chat.domain import Message, MessageKind, OnlineChanged, RoomEvent
from chat.feed import RoomFeed
from chat.service import ChatService
from chat.ui.broadcast import Audience
from chat.ui.message_list import MessageList
from chat.ui.message_row import ChatMessage
from chat.ui.presence_panel import PresencePanel

if TYPE_CHECKING:
    from chat.ui.page import ChatPage


class SharedPresence(PresencePanel):
    """The people-online panel, one for all tabs; only its Audience sends it."""

    def __init__(self, bot_name: str):
        super().__init__(bot_name)
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
    """The conversation as tabs in one time zone see it before they write or page back."""

    def __init__(self, service: ChatService, tz: tzinfo):
        self.service = service
        self.tz = tz
        self.viewers = Audience()
        self.feed = RoomFeed()
        self._pages: dict[str, ChatPage] = {}
        self.list = MessageList(
            self._row, service.settings.render_limit, self._load_earlier, shared=True
        )
        self._loaded = asyncio.Event()

    async def load(self) -> None:
        """Read the backlog once (events meanwhile wait in the feed)."""
        backlog = await self.service.history()
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

    def show_in(self, chat_page: ChatPage, send_page: Callable[[], None]) -> None:
        """`send_page()` sends `chat_page`'s page, holding list.root; then it gets every change."""
        with self.list.unfrozen():
            send_page()
        self._pages[chat_page.session_id] = chat_page
        self.viewers.add(chat_page.page)

    def stop_showing_in(self, chat_page: ChatPage) -> None:
        self._pages.pop(chat_page.session_id, None)
        self.viewers.remove(chat_page.page)

    def messages(self) -> list[Message]:
        return self.list.messages()

    @property
    def last_seq(self) -> int:
        return self.feed.last_seq

    # ---- rows and their events, routed to the tab that raised them

    def _row(self, message: Message, grouped: bool) -> ChatMessage:
        is_bot = message.kind is MessageKind.BOT
        return ChatMessage(
            message,
            own=False,
            grouped=grouped,
            tz=self.tz,
            display_name=self.service.settings.bot_display_name if is_bot else None,
            on_stop=self._stop_reply if is_bot else None,
            on_link=self._open_link,
            on_image=self._show_image,
            shared=True,
        )

    def _tab(self, page: ft.Page) -> ChatPage | None:
        return self._pages.get(page.session.id)

    async def _stop_reply(self, message: Message, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab._stop_reply(message, page)

    async def _open_link(self, url: str, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab._open_link(url, page)

    async def _show_image(self, src: str, page: ft.Page) -> None:
        if (tab := self._tab(page)) is not None:
            await tab._show_image(src, page)

    async def _load_earlier(self, e: ft.Event) -> None:
        if (tab := self._tab(e.page)) is not None:
            await tab._load_earlier(e)


class SharedView:
    """Per process: the shared presence panel and a SharedConversation per time zone."""

    def __init__(self, service: ChatService, hub, subscriber_id: str):
        self.service = service
        self.presence = SharedPresence(service.settings.bot_name)
        self.presence.show(service.online())
        self.everyone = Audience()
        self._conversations: dict[object, SharedConversation] = {}
        # Subscribed before any conversation reads its backlog: nothing slips between.
        hub.subscribe(subscriber_id, self._on_event)

    async def conversation(self, tz: tzinfo) -> SharedConversation:
        """The shared conversation for `tz`, loaded."""
        key = tz.utcoffset(None)
        conversation = self._conversations.get(key)
        if conversation is None:
            conversation = self._conversations[key] = SharedConversation(self.service, tz)
            await conversation.load()
        await conversation.ready()
        return conversation

    async def _on_event(self, event: RoomEvent) -> None:
        if isinstance(event, OnlineChanged):
            self.presence.show(event.names)
            self.everyone.send(self.presence)
            return
        for conversation in self._conversations.values():
            conversation.take(event)


_views: weakref.WeakKeyDictionary[ChatService, SharedView] = weakref.WeakKeyDictionary()


def shared_view(page: ft.Page, service: ChatService) -> SharedView:
    """This process's SharedView for `service`, made on first use (on Flet's pubsub hub)."""
    view = _views.get(service)
    if view is None:
        hub = page.session.connection.pubsubhub
        view = _views[service] = SharedView(service, hub, f"shared-view-{service.node}")
    return view
