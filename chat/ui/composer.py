"""The composer: where a person writes and sends.

Typing goes on while a sent message is still on its way, so Enter never
clears the field by writing into it: see chat/ui/draft.py for why and how.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable

import flet as ft

from chat.rules import Rejected
from chat.ui.draft import DraftTracker

Send = Callable[[str, str], Awaitable[None]]
"""Posts (text, client message id); raises Rejected with a reason to show."""

TIDY_AFTER_PAUSE = 0.35
"""Seconds without a keystroke report before sent text leaves the field (a write then rarely meets a key)."""
WRITE_SETTLED_AFTER = 1.5
"""Seconds with neither a write nor a report before the last write counts as arrived."""


NO_COUNTER = ""
"""Flutter shows "12/4000" under a field with a max_length unless told otherwise: noise below the limit."""


def limit_words(max_chars: int | None) -> str:
    """What the field says once it holds as much as a message may (short: it shares a line)."""
    return f"Cut at {max_chars:,} characters. Send longer text as a file."


@ft.control
class MessageField(ft.TextField):
    """A multi-line field whose focus can be taken from the server.

    Flet 1.0.5's `TextField.focus()` requests focus on the node a
    `shift_enter` field does not use, so it does nothing here. The client
    also takes focus whenever the field's `focus` property changes, and that
    path uses the right node: `take_focus()` drives it. (The field shadows
    the broken method on purpose; tests/test_browser.py guards the workaround.)
    """

    # Flet types `focus` as the method this deliberately shadows (see above).
    focus: str | None = None  # type: ignore[assignment]
    _requests = itertools.count(1)

    def take_focus(self) -> None:
        self.focus = str(next(self._requests))
        self.update()


class Composer(ft.Row):
    """Enter sends, Shift+Enter adds a line; a refused text stays in the field."""

    def __init__(
        self,
        send: Send,
        on_draft: Callable[[str], None] = lambda text: None,
        on_keystroke: Callable[[], Awaitable[None]] | None = None,
        max_chars: int | None = None,
    ):
        """`on_keystroke`: told of each key that leaves text in the field (someone is typing).

        `max_chars`: the longest message the room takes. The browser stops the field there, so
        a long paste is cut in the browser (and said so) instead of travelling whole in one
        WebSocket frame, which the socket guard would refuse by closing the connection.
        """
        super().__init__(vertical_alignment=ft.CrossAxisAlignment.END, spacing=6)
        self._send = send
        self._on_draft = on_draft
        self._on_keystroke = on_keystroke
        self._draft = DraftTracker()
        self._keystrokes_seen = False
        """A browser reports every keystroke; a client that only sets the value and submits does not."""
        self._tidy_handle: asyncio.TimerHandle | None = None
        self._last_write = self._last_report = 0.0
        self._sending = asyncio.Lock()
        """Messages are posted one at a time, in the order they were written."""
        self._client_id = uuid.uuid4().hex
        self._id_text: str | None = None
        self._refused_text: str | None = None
        self._refused_id = ""
        self.field = MessageField(
            hint_text="Write a message...",
            multiline=True,
            shift_enter=True,
            min_lines=1,
            max_lines=6,
            filled=True,
            expand=True,
            disabled=True,
            max_length=max_chars,
            counter=NO_COUNTER,
            on_submit=self._submitted,
            on_change=self._changed,
        )
        self._max_chars = max_chars
        self.send_button = ft.IconButton(
            # The icon's label names the button itself; a tooltip only names a node around it.
            icon=ft.Icon(ft.Icons.SEND_ROUNDED, semantics_label="Send message"),
            tooltip="Send message",
            disabled=True,
            on_click=self._clicked_send,
        )
        self.controls = [self.field, self.send_button]

    def enable(self) -> None:
        """Let the person write (after joining)."""
        self.field.disabled = self.send_button.disabled = False
        self.update()

    def show_notice(self, notice: str | None) -> None:
        """Say under the field why posting here is refused now (a lock, a mute); None: nothing."""
        self.field.helper = notice
        self._update_if_shown()

    def show_refusal(self, words: str) -> None:
        """Say under the field why what the person did was refused; gone when they send again."""
        self.field.error = words
        self.field.error_max_lines = 4  # a line cut with "…" would hide what to do
        self._update_if_shown()

    def add_tool(self, control: ft.Control) -> None:
        """Put `control` before the field (a moderator's menu), once."""
        if control not in self.controls:
            self.controls.insert(0, control)
            self._update_if_shown()

    def shut(self, reason: str) -> None:
        """Stop the person writing for good in this tab (they were banned), saying why."""
        self.field.disabled = self.send_button.disabled = True
        self.field.value = ""
        self.show_notice(reason)

    def _update_if_shown(self) -> None:
        try:
            self.update()
        except (RuntimeError, AttributeError):
            pass  # not on a page yet (it will be sent with it), or the tab has gone

    def focus(self) -> None:
        """Put the cursor in the field."""
        self.field.take_focus()

    def restore(self, draft: str) -> None:
        """Put back text that was being written before a reload or restart."""
        if not self._draft.text and not self.field.value:
            self._draft.restore(draft)
            self._tidy()

    # ---- what the browser reports

    async def _changed(self, e: ft.Event) -> None:
        # Nothing shown changes here (the field is tidied later, by _tidy). Flet's automatic
        # update after an event would diff the whole page for every keystroke: the largest
        # cost of a socket flooding keystrokes, in a profile of the server.
        ft.context.disable_auto_update()
        self._keystrokes_seen = True
        self._last_report = asyncio.get_running_loop().time()
        reported = e.data if isinstance(e.data, str) else (self.field.value or "")
        self._draft.reported(reported)
        self._say_if_at_limit(len(reported))
        self._on_draft(self._draft.unsent)
        self._tidy_soon()
        if self._on_keystroke is not None and reported.strip():
            await self._on_keystroke()

    def _say_if_at_limit(self, length: int) -> None:
        """At the limit the browser cut what was typed or pasted: say so under the field."""
        if self._mark_limit(length):
            self._update_if_shown()

    def _mark_limit(self, length: int) -> bool:
        """Show or take away the words about the limit for a field holding `length`; True if changed."""
        at_limit = self._max_chars is not None and length >= self._max_chars
        counter = limit_words(self._max_chars) if at_limit else NO_COUNTER
        if self.field.counter == counter:
            return False
        self.field.counter = counter
        return True

    async def _submitted(self, e: ft.Event) -> None:
        # Flet's multi-line field sends Enter without the text: the change reports before it have it.
        if isinstance(e.data, str) and not self._keystrokes_seen:
            await self._send_whole_value(e.data)
        else:
            await self._send_draft()

    async def _clicked_send(self, e: ft.Event) -> None:
        if not self._keystrokes_seen:
            await self._send_whole_value(self.field.value or "")
        else:
            await self._send_draft()
            self.focus()  # the click took the cursor away

    # ---- sending

    async def _send_draft(self) -> None:
        text = self._draft.take()
        self._tidy_soon()
        if (
            self.field.error
        ):  # shown until the person sends again (a fast typist may not have looked yet)
            self.field.error = None
            self.field.update()
        if not text.strip():
            return
        client_id = self._refused_id if text == self._refused_text else uuid.uuid4().hex
        try:
            await self._post(text, client_id)
        except Rejected as refusal:
            # The same text sent again is the same message: stored once even if this try was.
            self._refused_text, self._refused_id = text, client_id
            self._draft.give_back(text)
            self.field.error = str(refusal)  # not the value: the person may be typing
            self.field.update()
            self._tidy_soon()
            return
        self._on_draft(self._draft.unsent)
        if self._draft.only_sent_text_shown:
            self._tidy()  # nothing typed since, as far as we know: empty it now
            self.focus()

    async def _send_whole_value(self, text: str) -> None:
        """A client that sets the value and submits at once, without keystrokes (tests, benchmarks)."""
        if not text.strip():
            self.field.value = ""
            self.field.update()
            return
        try:
            await self._post(text, self._id_for(text))
        except Rejected as refusal:
            self.field.error = str(refusal)
            self.field.update()
            return
        if (self.field.value or "") != text:
            return  # something else was written meanwhile: keep it
        self.field.value = ""
        self.field.error = None
        self._mark_limit(0)
        self.field.update()
        self.focus()

    def _id_for(self, text: str) -> str:
        # A double submit, or a resend of a text that failed, reuses the id: stored once.
        if text != self._id_text:
            self._client_id, self._id_text = uuid.uuid4().hex, text
        return self._client_id

    async def _post(self, text: str, client_id: str) -> None:
        async with self._sending:
            await self._send(text, client_id)
        if self._client_id == client_id:
            self._client_id, self._id_text = uuid.uuid4().hex, None

    # ---- tidying the field

    def _tidy_soon(self) -> None:
        if self._tidy_handle is not None:
            self._tidy_handle.cancel()
        self._tidy_handle = asyncio.get_running_loop().call_later(TIDY_AFTER_PAUSE, self._tidy)

    def _tidy(self) -> None:
        if self._tidy_handle is not None:
            self._tidy_handle.cancel()
        self._tidy_handle = None
        if not self._draft.untidy:
            return
        loop = asyncio.get_running_loop()
        if self._draft.write_pending:
            # One write in flight at a time: reports can only be told apart from one.
            if loop.time() - max(self._last_write, self._last_report) < WRITE_SETTLED_AFTER:
                self._tidy_handle = loop.call_later(TIDY_AFTER_PAUSE, self._tidy)
                return
            self._draft.assume_landed()
        self._last_write = loop.time()
        self.field.value = self._draft.tidy()
        self._mark_limit(len(self.field.value))  # no change report comes for what we write
        try:
            self.field.update()
        except (RuntimeError, AttributeError):
            pass  # the tab has gone
