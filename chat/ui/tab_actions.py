"""TabActions: what a row shown in many tabs asks of the one tab whose person used it."""

from __future__ import annotations

from typing import Protocol

import flet as ft

from chat.attachments import Attachment
from chat.domain import Message


class TabActions(Protocol):
    """One tab's answers to what its person did on a row it may share with other tabs."""

    session_id: str

    async def open_link(self, url: str, page: ft.Page | None = None) -> None:
        """Open `url` in this tab's browser (when it is safe to)."""

    async def copy_text(self, text: str, page: ft.Page | None = None) -> None:
        """Put `text` on this tab's clipboard."""

    async def show_image(self, src: str, page: ft.Page | None = None) -> None:
        """Show the picture at `src` large, in this tab."""

    async def open_file(self, attachment: Attachment, page: ft.Page | None = None) -> None:
        """Show a picture larger (with Download), or download another file, in this tab."""

    async def load_earlier(self, e: ft.Event) -> None:
        """Page back through the room's history, in this tab only."""

    async def react(self, message: Message, emoji: str | None, page: ft.Page | None = None) -> None:
        """Toggle this tab's person's `emoji` on `message`, or open the picker for None."""

    async def reply_to(self, message: Message, page: ft.Page | None = None) -> None:
        """Start a reply to `message` in this tab's composer."""

    async def open_thread(self, message: Message, page: ft.Page | None = None) -> None:
        """Show `message` and its replies in this tab's thread panel."""

    async def show_original(self, reply: Message, page: ft.Page | None = None) -> None:
        """Show the message `reply` answers in context, in this tab."""
