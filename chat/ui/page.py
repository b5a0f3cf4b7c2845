"""ChatPage: one browser tab's view of the room, wired to the service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta, timezone
from typing import Iterator
from urllib.parse import parse_qs, urlparse

import flet as ft

from chat.domain import (
    Message,
    MessageChanged,
    MessageKind,
    MessagePosted,
    OnlineChanged,
    RoomEvent,
    StopRequested,
)
from chat.feed import RoomFeed
from chat.rules import Rejected
from chat.service import ChatService
from chat.ui.composer import Composer
from chat.ui.join_dialog import JoinDialog
from chat.ui.look import is_safe_link
from chat.ui.memory import BrowserMemory
from chat.ui.message_list import MessageList
from chat.ui.message_row import ChatMessage
from chat.ui.room_chrome import RoomChrome
from chat.ui.shared_view import SharedConversation, shared_view

log = logging.getLogger(__name__)

USER_KEY = "user"
LEAVE_GRACE_SECONDS = 3.0
"""A dropped connection that comes back this fast does not leave and rejoin."""
FLUSH_INTERVAL = 0.025
"""At most one update per tab per this many seconds: under load, what arrives meanwhile goes as one."""
OWN_VIEW_START_ROWS = 50
"""Rows a tab's own conversation starts with (the newest); it costs a row each, and the
moment is when its person sends a first message. Older ones page in on demand."""


class ChatPage:
    """Builds the page, renders room events, and hands what the person does to the service.

    Every handler is async: Flet runs sync handlers on a thread pool, where
    concurrent updates race inside its diff and get lost.

    A tab starts by showing the conversation shared by every tab in its time
    zone (rendered once for all, see shared_view). It gets a conversation of
    its own when its person writes (own messages are styled in this tab
    only) or pages back through history.
    """

    def __init__(self, page: ft.Page, service: ChatService):
        self.page = page
        self.service = service
        self.settings = service.settings
        self.session_id = page.session.id
        self.feed = RoomFeed()
        self.name: str | None = None
        self._tz = _client_timezone(page)
        self._online: tuple[str, ...] | None = None
        self._flush_handle: asyncio.Handle | None = None
        self._last_flush = 0.0
        self._leave_task: asyncio.Task | None = None
        self._handlers = {
            MessagePosted: self._on_message,
            MessageChanged: self._on_message,
            OnlineChanged: self._on_online,
            StopRequested: lambda event: None,
        }
        self._url_launcher = ft.UrlLauncher()
        self.memory = BrowserMemory()

        self.shared_view = shared_view(page, service)
        self.shared: SharedConversation | None = None
        """The conversation this tab shows with others, until it needs its own."""
        self.private: MessageList | None = None
        """This tab's own conversation, once it has one."""
        self.conversation = ft.Column(expand=True, spacing=0)
        self.presence = self.shared_view.presence
        self.composer = Composer(self._send, on_draft=self.memory.save_draft_soon)
        self.chrome = RoomChrome(page, self.settings.room, self.presence, self.memory)
        self.join_dialog = JoinDialog(
            self._join, self._joined_dialog_closed, self.settings.max_name_chars, self.settings.bot_name
        )

    async def start(self) -> None:
        """Lay out the page, subscribe, show the backlog and ask for a name."""
        page = self.page
        page.title = "Confab"
        page.padding = 0
        page.on_disconnect = self._on_disconnect
        page.on_connect = self._on_connect
        page.on_close = self._on_close
        page.pubsub.subscribe(self._on_event)  # before reading the backlog: nothing slips between
        self.shared = await self.shared_view.conversation(self._tz)
        self.conversation.controls = [self.shared.list.root]
        layout = self.chrome.layout(self.conversation, ft.Container(self.composer, padding=ft.Padding.all(8)))
        # The page that goes out holds the shared views: from then on their changes come here too.
        self.shared.show_in(self, lambda: page.add(layout))
        self.shared_view.everyone.add(page)
        self._append_events(self.feed.backlog_read(self.shared.messages()))
        page.show_dialog(self.join_dialog)
        await self.chrome.restore_theme()
        self._on_online(OnlineChanged(self.service.online()))
        self._flush()
        await self._rejoin_remembered()

    async def _rejoin_remembered(self) -> None:
        # A browser that was here before (the server restarted, or the tab was
        # reloaded) comes back under its name with its unsent text.
        name = await self.memory.get("name")
        if name is not None:
            try:
                await self._join(name)
            except Rejected:
                self.join_dialog.name_field.value = name
                self.join_dialog.update()
        draft = await self.memory.get("draft")
        if draft is not None:
            self.composer.restore(draft)

    # ---- what the person does

    async def _join(self, raw_name: str) -> None:
        self.name = await self.service.join(self.session_id, raw_name)
        self.page.session.store.set(USER_KEY, self.name)
        await self.memory.set("name", self.name)
        self.page.pop_dialog()
        self.chrome.set_user(self.name)
        # Own messages written before (a rejoin) look like own.
        if self.shared is not None:
            if any(self._is_own(m) for m in self.shared.messages()):
                self._go_private()
        elif self.private is not None:
            for row in list(self.private.rows.values()):
                if self._is_own(row.message) and not row.own:
                    self.private.replace(row, self._row(row.message, row.grouped))
        self._flush()
        self.composer.enable()

    async def _joined_dialog_closed(self, e: ft.Event) -> None:
        if self.name is not None:
            self.composer.focus()  # the cursor waits where the person will write

    async def _send(self, text: str, client_id: str) -> None:
        if self.name is None:
            raise Rejected("Join the room first.")
        self._go_private()  # this tab styles its own messages as its own
        await self.service.post_message(self.session_id, self.name, text, client_id)
        await self.memory.forget_draft()

    async def _stop_reply(self, message: Message, page: ft.Page | None = None) -> None:
        await self.service.request_stop(message.id, self.name or "someone")

    async def _open_link(self, url: str, page: ft.Page | None = None) -> None:
        if is_safe_link(url):
            await self._url_launcher.launch_url(url)

    async def _show_image(self, src: str, page: ft.Page | None = None) -> None:
        self.page.show_dialog(
            ft.AlertDialog(
                content=ft.Image(src=src, fit=ft.BoxFit.CONTAIN),
                actions=[ft.TextButton("Close", on_click=self._close_dialog)],
            )
        )

    async def _close_dialog(self, e: ft.Event) -> None:
        self.page.pop_dialog()

    async def _load_earlier(self, e: ft.Event) -> None:
        conversation = self._go_private()
        older = await self.service.history(before_seq=conversation.oldest_seq)
        conversation.extra_rows += len(older)
        conversation.prepend(older)
        self._flush()

    # ---- connection life

    async def _on_disconnect(self, e: ft.Event) -> None:
        self.service.disconnect(self.session_id)
        if self.name is not None and self._leave_task is None:
            self._leave_task = asyncio.create_task(self._leave_after_grace())

    async def _leave_after_grace(self) -> None:
        await asyncio.sleep(LEAVE_GRACE_SECONDS)
        await self.service.leave(self.session_id)
        self._leave_task = None

    async def _on_connect(self, e: ft.Event) -> None:
        self.service.connect(self.session_id, self.page.client_ip or "", returning=True)
        if self._leave_task is not None:
            self._leave_task.cancel()
            self._leave_task = None
        elif self.name is not None:
            try:
                self.name = await self.service.join(self.session_id, self.name)
            except Rejected:
                self.name = None
                self.page.show_dialog(self.join_dialog)
        missed = self.feed.caught_up(await self.service.history_after(self.feed.last_seq))
        self._append_events([MessagePosted(m) for m in missed])
        self._on_online(OnlineChanged(self.service.online()))
        self._flush()

    async def _on_close(self, e: ft.Event) -> None:
        self.service.disconnect(self.session_id)
        if self.shared is not None:
            self.shared.stop_showing_in(self)
        self.shared_view.everyone.remove(self.page)
        if self._leave_task is not None:
            self._leave_task.cancel()
        await self.service.leave(self.session_id)

    # ---- rendering

    async def _on_event(self, event: RoomEvent) -> None:
        self._append_events(self.feed.take(event))
        self._schedule_flush()

    def _append_events(self, events: list[RoomEvent]) -> None:
        for event in events:
            self._handlers[type(event)](event)

    def _on_message(self, event: MessagePosted | MessageChanged) -> None:
        if self.private is None:
            if not (isinstance(event, MessagePosted) and self._is_own(event.message)):
                return  # the shared conversation renders it, once for every tab showing it
            self._go_private()  # posted under this tab's name elsewhere: styled as own here
        self.private.apply(event)

    def _on_online(self, event: OnlineChanged) -> None:
        self._online = event.names

    def _is_own(self, message: Message) -> bool:
        return message.kind is MessageKind.CHAT and message.author == self.name

    def _row(self, message: Message, grouped: bool) -> ChatMessage:
        is_bot = message.kind is MessageKind.BOT
        return ChatMessage(
            message,
            own=self._is_own(message),
            grouped=grouped,
            tz=self._tz,
            display_name=self.settings.bot_display_name if is_bot else None,
            on_stop=self._stop_reply if is_bot else None,
            on_link=self._open_link,
            on_image=self._show_image,
        )

    def _go_private(self) -> MessageList:
        """Give this tab a conversation of its own, starting from what it shows now."""
        if self.private is None:
            shared, self.shared = self.shared, None
            self.private = MessageList(self._row, self.settings.render_limit, self._load_earlier)
            if shared is not None:
                shared.stop_showing_in(self)
                self.private.prepend(shared.messages()[-OWN_VIEW_START_ROWS:])
                self.feed.resume_after(shared.last_seq)
            self.conversation.controls = [self.private.root]
            with _unless_tab_gone():
                self.conversation.update()
                self.private.list_sent(freeze=True)
        return self.private

    def _schedule_flush(self) -> None:
        # A tab that has been quiet updates at once; a busy one waits out FLUSH_INTERVAL,
        # so what arrives meanwhile goes out as one patch and one frame.
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            wait = self._last_flush + FLUSH_INTERVAL - loop.time()
            if wait > 0:
                self._flush_handle = loop.call_later(wait, self._flush)
            else:
                self._flush_handle = loop.call_soon(self._flush)

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._last_flush = asyncio.get_running_loop().time()
        with _unless_tab_gone():
            conversation = self.private
            if conversation is not None:
                if conversation.list_changed:
                    conversation.trim()
                    self.page.update(conversation.view, conversation.load_earlier)
                    conversation.list_sent(freeze=True)
                for control in conversation.take_changed():
                    control.update()
            if self._online is not None:
                self.chrome.show_online(self._online)  # the shared panel itself is sent once for all
                self._online = None


@contextlib.contextmanager
def _unless_tab_gone() -> Iterator[None]:
    """Skip an update whose tab went away under it.

    Flet raises RuntimeError for a destroyed session, and AttributeError
    while a closing socket's send queue is being torn down.
    """
    try:
        yield
    except (RuntimeError, AttributeError) as exc:
        log.debug("skipped an update for a closed session: %r", exc)


def _client_timezone(page: ft.Page) -> timezone:
    """The browser's zone, from the `tz` offset (minutes east of UTC) our index.html adds."""
    # page.query is only parsed on a route change, so read the route the tab registered with.
    try:
        minutes = int(parse_qs(urlparse(page.route or "").query)["tz"][0])
        return timezone(timedelta(minutes=minutes))
    except (KeyError, ValueError, OverflowError):  # absent, not a number, or beyond ±24 h
        return timezone.utc
