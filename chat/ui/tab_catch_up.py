"""One tab's "catch me up": asking a bot what its person missed here, and showing the answer.

The answer is this person's alone: it comes on their own pubsub topic (never the room's),
so only their tabs in this room show it, in a CatchUpPanel above the composer. Its
citations jump to the messages they cite.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from chat.domain import CatchUpShown, Citation, Message, RoomEvent
from chat.flet_internals import person_topic
from chat.service import ChatService
from chat.ui.catch_up_panel import CatchUpPanel, catch_up_handle
from chat.ui.tab_gone import unless_tab_gone

ShowMessage = Callable[[Message], Awaitable[bool]]
"""Shows a message of the room in context in this tab; False if it cannot be."""


class TabCatchUp:
    """The catch-up of one tab: its panel, where its person had read to, their own topic."""

    def __init__(
        self,
        page: ft.Page,
        service: ChatService,
        room: str,
        session_id: str,
        handles: list[str],
        show_message: ShowMessage,
    ):
        self._page, self._service, self._room, self._session_id = page, service, room, session_id
        self._handles = handles
        self._show_message = show_message
        self.panel = CatchUpPanel(self._cite)
        self.read_to: int | None = None
        """Where this person had read the room up to when the tab entered it (None: never)."""
        self._person_id: str | None = None
        self._topic: str | None = None

    def listen(self, person_id: str, handler: Callable[[str, RoomEvent], Awaitable[None]]) -> None:
        """Hear what is shown to `person_id` alone (once; a rename keeps the person)."""
        self._person_id = person_id
        if self._topic is None:
            self._topic = person_topic(person_id)
            self._page.pubsub.subscribe_topic(self._topic, handler)

    def stop(self) -> None:
        if self._topic is not None:
            self._page.pubsub.unsubscribe_topic(self._topic)
            self._topic = None

    async def asked_in(self, text: str) -> bool:
        """Ask, if `text` is "@bot /catchup" (then it is not posted); True if it was."""
        handle = catch_up_handle(text, self._handles)
        if handle is not None:
            await self.ask(handle)
        return handle is not None

    async def ask(self, handle: str | None = None) -> None:
        """Ask a bot (the first, by default) what this person missed here since they last read."""
        handle = handle or self._handles[0]
        after = self.read_to if self.read_to is not None else 0
        request = await self._service.request_catch_up(self._room, self._session_id, handle, after)
        if self.panel.request_id != request.request_id:  # unless its answer came already
            self.panel.waiting(request.request_id, handle)
            self._send()

    def shown(self, event: CatchUpShown) -> None:
        if event.room != self._room or event.person_id != self._person_id:
            return  # the person's catch-up of another room, shown in that room's tabs
        self.panel.show(event)
        self._send()

    async def _cite(self, citation: Citation) -> None:
        found = await self._service.history_after(
            self._room, citation.seq - 1, 1, session_id=self._session_id
        )
        message = next((m for m in found if m.id == citation.message_id), None)
        if message is None or not await self._show_message(message):
            self.panel.note(f"Message [{citation.number}] cannot be shown any more.")
            self._send()

    def _send(self) -> None:
        with unless_tab_gone():
            self.panel.update()
