"""The "New messages" divider: where a person's unread messages start when they enter a room.

It is drawn above the first message they had not read when the tab entered
the room (from the read position the server keeps, so it follows them from
browser to browser), and the tab scrolls to it. Like Slack's, it stays where
it is until the tab leaves the room: what arrives while they read is not
"new" in the same sense, and a line that jumps away while being read is
worse than one that stays.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import flet as ft

from chat.domain import Message, MessageKind

NEW_MESSAGES = "New messages"
CATCH_ME_UP = "Catch me up"
CATCH_ME_UP_NAME = "Catch me up: a summary of what you missed, shown to you alone"
DIVIDER_KEY = "new-messages"
"""The divider's scroll key (one per tab: a tab shows one room)."""


def first_unread(
    messages: Iterable[Message], read_to: int | None, person_id: str
) -> Message | None:
    """The first message after `read_to` that counts as unread for `person_id` (as in chat.reads:
    not a system line, not their own); None when there is none, or they never opened the room."""
    if read_to is None:
        return None
    return next(
        (
            message
            for message in messages
            if message.seq > read_to
            and message.kind is not MessageKind.SYSTEM
            and message.author_id != person_id
        ),
        None,
    )


def unread_divider(on_catch_up: Callable[[], Awaitable[Any]] | None = None) -> ft.Control:
    """A thin line with "New messages" in its middle, in the error colour (as Slack's is red),
    and with `on_catch_up` a "Catch me up" button at its end."""

    def line() -> ft.Control:
        return ft.Container(height=1, bgcolor=ft.Colors.ERROR, expand=True)

    words = ft.Text(NEW_MESSAGES, size=12, weight=ft.FontWeight.BOLD, color=ft.Colors.ERROR)
    parts = [line(), words, line()]
    if on_catch_up is not None:

        async def clicked(e: ft.Event) -> None:
            await on_catch_up()

        parts.append(
            ft.TextButton(
                content=ft.Text(CATCH_ME_UP, size=12, semantics_label=CATCH_ME_UP_NAME),
                icon=ft.Icon(ft.Icons.AUTO_STORIES_OUTLINED, size=16),
                tooltip=CATCH_ME_UP_NAME,
                on_click=clicked,
                style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=6)),
            )
        )
    return ft.Container(
        ft.Row(
            parts,
            spacing=8,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        key=ft.ScrollKey(DIVIDER_KEY),  # type: ignore[call-arg]  # a lazy dataclass to mypy
        padding=ft.Padding.only(top=6, bottom=4),
    )
