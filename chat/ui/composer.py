"""The composer: where a person writes and sends."""

from __future__ import annotations

import itertools
import uuid
from typing import Awaitable, Callable

import flet as ft

from chat.rules import Rejected

Send = Callable[[str, str], Awaitable[None]]
"""Posts (text, client message id); raises Rejected with a reason to show."""


@ft.control
class MessageField(ft.TextField):
    """A multi-line field whose focus can be taken from the server.

    Flet 1.0.5's `TextField.focus()` requests focus on the node a
    `shift_enter` field does not use, so it does nothing here. The client
    also takes focus whenever the field's `focus` property changes, and that
    path uses the right node: `take_focus()` drives it. (The field shadows
    the broken method on purpose; tests/test_browser.py guards the workaround.)
    """

    focus: str | None = None
    _requests = itertools.count(1)

    def take_focus(self) -> None:
        self.focus = str(next(self._requests))
        self.update()


class Composer(ft.Row):
    """Enter sends, Shift+Enter adds a line; a refused text stays in the field."""

    def __init__(self, send: Send, on_draft: Callable[[str], None] = lambda text: None):
        super().__init__(vertical_alignment=ft.CrossAxisAlignment.END, spacing=6)
        self._send = send
        self._on_draft = on_draft
        # One id per draft: a double submit or a resend after reconnect stores one message.
        self._client_id = uuid.uuid4().hex
        self._id_text: str | None = None
        """The text `_client_id` was first sent with; another text is another message."""
        self.field = MessageField(
            hint_text="Write a message...",
            multiline=True,
            shift_enter=True,
            min_lines=1,
            max_lines=6,
            filled=True,
            expand=True,
            disabled=True,
            on_submit=self._submit,
            on_change=self._changed,
        )
        self.send_button = ft.IconButton(
            icon=ft.Icons.SEND_ROUNDED,
            tooltip="Send message",
            disabled=True,
            on_click=self._submit,
        )
        self.controls = [self.field, self.send_button]

    def enable(self) -> None:
        """Let the person write (after joining)."""
        self.field.disabled = self.send_button.disabled = False
        self.update()

    def focus(self) -> None:
        """Put the cursor in the field."""
        self.field.take_focus()

    def restore(self, draft: str) -> None:
        """Put back text that was being written before a reload or restart."""
        if not self.field.value:
            self.field.value = draft
            self.field.update()

    async def _changed(self, e: ft.Event) -> None:
        self._on_draft(self.field.value or "")
        if self.field.error:
            self.field.error = None
            self.field.update()

    async def _submit(self, e: ft.Event) -> None:
        # Enter carries the text as it was when pressed; the button has only the field's value.
        text = e.data if isinstance(e.data, str) else (self.field.value or "")
        if not text.strip():
            self.field.value = ""
            self.field.update()
            return
        if text != self._id_text:
            # A new message, maybe sent while the previous one is still being saved: new id.
            self._client_id, self._id_text = uuid.uuid4().hex, text
        client_id = self._client_id
        try:
            await self._send(text, client_id)
        except Rejected as refusal:
            self.field.error = str(refusal)
            self.field.update()
            return
        if self._client_id == client_id:
            self._client_id, self._id_text = uuid.uuid4().hex, None
        if (self.field.value or "") != text:
            return  # the person already wrote (or sent) something else: keep it
        self.field.value = ""
        self.field.error = None
        self.field.update()
        self.focus()
