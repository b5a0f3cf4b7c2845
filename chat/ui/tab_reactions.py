"""What one tab does when its person reacts: toggle through the service, or open the picker."""

from __future__ import annotations

import flet as ft

from chat.domain import Message
from chat.rules import Rejected
from chat.service import ChatService
from chat.ui.reaction_picker import ReactionPicker


class TabReactions:
    """Reactions from one tab: refusals are said in the tab, never lost in a log."""

    def __init__(self, page: ft.Page, service: ChatService, room: str, session_id: str):
        self._page = page
        self._service = service
        self._room = room
        self._session_id = session_id

    async def toggle(self, message: Message, emoji: str) -> None:
        """Add or take back this tab's person's `emoji` on `message`."""
        try:
            await self._service.react(self._room, message.id, self._session_id, emoji)
        except Rejected as refusal:  # muted, banned, the message deleted meanwhile, ...
            self._page.show_dialog(ft.SnackBar(ft.Text(str(refusal))))

    def open_picker(self, message: Message) -> None:
        """Offer every emoji for `message`; the one picked is toggled."""

        async def picked(emoji: str) -> None:
            await self.toggle(message, emoji)

        self._page.show_dialog(ReactionPicker(picked, self._page.pop_dialog))
