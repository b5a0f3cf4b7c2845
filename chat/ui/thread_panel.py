"""ThreadPanel: a message and its replies, oldest first, with a composer that posts replies.

A long thread opens on its newest replies (a page, as the room's history does); "Load
earlier replies" above them pages in the ones before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from chat.domain import Message
from chat.ui.composer import Composer, Send
from chat.ui.message_row import ChatMessage
from chat.ui.reply_parts import replies_label

THREAD_FIELD_HINT = "Reply in thread..."
CLOSE_THREAD = "Close thread"
EARLIER_REPLIES = "Load earlier replies"

MakeRow = Callable[[Message], ChatMessage]
"""Builds a row of the panel for a message (the tab's look: own messages, its time zone)."""


class ThreadPanel(ft.Column):
    """The thread of one message: what the tab shows beside (or, on a phone, under) the room."""

    def __init__(
        self,
        original: Message,
        replies: list[Message],
        make_row: MakeRow,
        send: Send,
        on_close: Callable[[ft.Event], Awaitable[None]],
        on_load_earlier: Callable[[ft.Event], Awaitable[None]],
        max_chars: int | None = None,
    ):
        """`replies`: the newest page of them; `original.reply_count` says how many there are."""
        super().__init__(expand=True, spacing=4)
        self.original = original
        self._make_row = make_row
        self.rows: dict[str, ChatMessage] = {}
        self.heading = ft.Text(weight=ft.FontWeight.BOLD, expand=True)
        self.list = ft.ListView(expand=True, spacing=0, auto_scroll=True, padding=4)
        self.composer = Composer(send, max_chars=max_chars)
        self.composer.field.hint_text = THREAD_FIELD_HINT
        self.composer.field.disabled = self.composer.send_button.disabled = False
        close = ft.IconButton(
            icon=ft.Icon(ft.Icons.CLOSE, semantics_label=CLOSE_THREAD),
            tooltip=CLOSE_THREAD,
            on_click=on_close,
        )
        self.controls = [
            ft.Row([self.heading, close], vertical_alignment=ft.CrossAxisAlignment.CENTER),
            self.list,
            self.composer,
        ]
        self.load_earlier = ft.TextButton(
            EARLIER_REPLIES, icon=ft.Icons.HISTORY, on_click=on_load_earlier
        )
        self.list.controls.append(self._row(original))
        self.list.controls.append(ft.Divider(height=1))
        self.list.controls.append(self.load_earlier)
        self.oldest_seq: int | None = None
        """The seq of the oldest reply shown (None: none is)."""
        self._count = max(original.reply_count, len(replies))
        self.prepend(replies)
        self._show_count()

    @property
    def message_id(self) -> str:
        """The id of the message whose thread this is."""
        return self.original.id

    def posted(self, message: Message) -> bool:
        """Add a new reply to the thread (or a newer version of a row); True if it shows here."""
        if message.id in self.rows:
            return self.changed(message)
        if message.reply_to != self.message_id:
            return False
        self.list.controls.append(self._row(message))
        self._count += 1
        self._show_count()
        return True

    def prepend(self, older: list[Message]) -> None:
        """Put `older` replies (oldest first, all before those shown) above the ones shown."""
        fresh = [m for m in older if m.id not in self.rows]
        at = self.list.controls.index(self.load_earlier) + 1
        self.list.controls[at:at] = [self._row(m) for m in fresh]
        if fresh:
            self.oldest_seq = min(self.oldest_seq or fresh[0].seq, fresh[0].seq)
        # More before them while fewer rows show than were counted (a page that came back
        # empty ends it: counts only grow, and a reply counted twice must not keep it up).
        self.load_earlier.visible = bool(fresh) and len(self.rows) - 1 < self._count

    def changed(self, message: Message) -> bool:
        """Show a newer version of a row (an edit, a growing bot answer); True if it is here."""
        row = self.rows.get(message.id)
        if row is None:
            return False
        row.show(message)
        return True

    def _row(self, message: Message) -> ChatMessage:
        row = self.rows[message.id] = self._make_row(message)
        return row

    def _show_count(self) -> None:
        self.heading.value = f"Thread · {replies_label(self._count)}"
