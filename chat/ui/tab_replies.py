"""What one tab does for replies: the "Replying to" bar over its composer, its thread panel,
jumps to the message a reply quotes, and catching up counts of replies after a reconnect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import flet as ft

from chat.domain import Message, MessageChanged, MessageKind, MessagePosted, RepliesCounted
from chat.rules import Rejected
from chat.service import ChatService
from chat.ui.reply_parts import QUOTE_PREFIX
from chat.ui.room_chrome import RoomChrome
from chat.ui.tab_gone import unless_tab_gone
from chat.ui.thread_panel import MakeRow, ThreadPanel

CANCEL_REPLY = "Cancel reply"
PostReply = Callable[[str, str, str], Awaitable[None]]
"""Posts (text, client message id, id of the message it replies to); Rejected with a reason."""
ShowMessage = Callable[[Message], Awaitable[bool]]
"""Shows a message of the room in context in this tab; False if it cannot be."""
CANNOT_SHOW = "That message can't be shown here."


@dataclass(frozen=True, slots=True)
class ReplyHooks:
    """What replies need of the rest of the tab."""

    make_row: MakeRow
    """Builds a row of the thread panel (the tab's look)."""
    post: PostReply
    """Posts a reply written in the thread panel."""
    show_message: ShowMessage
    """Shows a message of the room in context (a jump)."""
    shown_name: Callable[[Message], str]
    """The name a message is shown under."""
    focus_composer: Callable[[], None]
    """Puts the cursor in the room's composer."""


class ReplyBar(ft.Container):
    """ "Replying to Ann: lunch at noon?" over the composer, with a button to cancel."""

    def __init__(self, on_cancel: Callable[[ft.Event], Awaitable[None]]):
        self.label = ft.Text(
            "", size=12, italic=True, no_wrap=True, overflow=ft.TextOverflow.ELLIPSIS, expand=True
        )
        cancel = ft.IconButton(
            icon=ft.Icon(ft.Icons.CLOSE, size=16, semantics_label=CANCEL_REPLY),
            tooltip=CANCEL_REPLY,
            visual_density=ft.VisualDensity.COMPACT,
            on_click=on_cancel,
        )
        super().__init__(
            ft.Row(
                [ft.Icon(ft.Icons.REPLY, size=16), self.label, cancel],
                spacing=6,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            visible=False,
            padding=ft.Padding.only(left=8),
            border=ft.Border.only(left=ft.BorderSide(3, ft.Colors.PRIMARY)),
        )


def replying_label(message: Message, author: str) -> str:
    """What the bar says while a reply to `message` (by `author`, as shown) is being written."""
    first = " ".join(message.text.split())
    if len(first) > 80:
        first = first[:79].rstrip() + "…"
    return f"{QUOTE_PREFIX} {author}: {first}"


class TabReplies:
    """One tab's reply in the making and its open thread; refusals are said in the tab."""

    def __init__(
        self,
        page: ft.Page,
        service: ChatService,
        room: str,
        session_id: str,
        chrome: RoomChrome,
        hooks: ReplyHooks,
    ):
        self._page = page
        self._hooks = hooks
        self._service = service
        self._room = room
        self._session_id = session_id
        self._chrome = chrome
        self.target: Message | None = None
        """The message the composer's next message replies to (None: not a reply)."""
        self.bar = ReplyBar(self._cancel_clicked)
        self.thread: ThreadPanel | None = None

    @property
    def target_id(self) -> str | None:
        """The id of the message the next message replies to."""
        return self.target.id if self.target is not None else None

    def start(self, message: Message, author: str) -> None:
        """Make the composer's next message a reply to `message` (shown as by `author`)."""
        self.target = message
        self.bar.label.value = replying_label(message, author)
        self.bar.visible = True
        self._update(self.bar)

    def cancel(self) -> None:
        """The next message is no reply (any more)."""
        self.target = None
        self.bar.visible = False
        self._update(self.bar)

    async def _cancel_clicked(self, e: ft.Event) -> None:
        self.cancel()

    async def reply_to(self, message: Message) -> None:
        """Make the composer's next message a reply to `message`, with the cursor there."""
        self.start(message, self._hooks.shown_name(message))
        self._hooks.focus_composer()

    async def show_original(self, reply: Message) -> None:
        """Jump to the message `reply` quotes, in context (paging history in)."""
        try:
            assert reply.reply_to is not None  # only a reply's quote asks
            original = await self._service.find_message(
                self._room, reply.reply_to, self._session_id
            )
        except Rejected as refusal:
            self._page.show_dialog(ft.SnackBar(ft.Text(str(refusal))))
            return
        if not await self._hooks.show_message(original):
            self._page.show_dialog(ft.SnackBar(ft.Text(CANNOT_SHOW)))

    async def catch_up_counts(
        self, shown: list[Message], apply: Callable[[RepliesCounted], None]
    ) -> None:
        """`apply` the counts of replies of the messages `shown` now (after a reconnect); rows
        keep the highest count they saw, so a count they have already changes nothing."""
        for event in await self.counts_now(shown):
            apply(event)

    async def counts_now(self, shown: list[Message]) -> list[RepliesCounted]:
        """The counts of replies of the messages `shown` now, read in one query: after a
        reconnect, what a RepliesCounted lost on the bus (or missed meanwhile) did not say."""
        ids = [m.id for m in shown if m.kind is not MessageKind.SYSTEM]
        if not ids:
            return []
        counts = await self._service.reply_counts(self._room, ids, self._session_id)
        return [RepliesCounted(self._room, message_id, n) for message_id, n in counts.items()]

    async def open_thread(self, message: Message) -> None:
        """Show `message` and its replies in the thread panel, with a composer for replies."""
        try:
            original, replies = await self._service.thread(self._room, message.id, self._session_id)
        except Rejected as refusal:
            self._page.show_dialog(ft.SnackBar(ft.Text(str(refusal))))
            return

        async def send(text: str, client_id: str) -> None:
            await self._hooks.post(text, client_id, original.id)

        self.thread = ThreadPanel(
            original,
            replies,
            self._hooks.make_row,
            send,
            self._close_clicked,
            self._earlier_clicked,
            max_chars=self._service.settings.max_message_chars,
        )
        self._chrome.show_thread(self.thread, on_dismiss=self._sheet_dismissed)

    async def _earlier_clicked(self, e: ft.Event) -> None:
        thread = self.thread
        if thread is None:
            return
        try:
            _, older = await self._service.thread(
                self._room, thread.message_id, self._session_id, before_seq=thread.oldest_seq
            )
        except Rejected as refusal:
            self._page.show_dialog(ft.SnackBar(ft.Text(str(refusal))))
            return
        thread.prepend(older)
        self._update(thread)

    async def _sheet_dismissed(self, e: ft.Event) -> None:
        self.thread = None  # swiped away on a phone: nothing more to show in it

    async def _close_clicked(self, e: ft.Event) -> None:
        self.close_thread()

    def close_thread(self) -> None:
        """Take the thread panel away."""
        self.thread = None
        self._chrome.close_thread()

    def take(self, event: MessagePosted | MessageChanged) -> None:
        """Show a new reply, or a newer version of a row, in the open thread."""
        thread = self.thread
        if thread is None:
            return
        shown = (
            thread.posted(event.message)
            if isinstance(event, MessagePosted)
            else thread.changed(event.message)
        )
        if shown:
            self._update(thread)

    def _update(self, control: ft.Control) -> None:
        with unless_tab_gone():  # also a control not on the page (a sheet closed by a swipe)
            control.update()
