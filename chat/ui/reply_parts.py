"""A row's parts for replies: the quote of what it answers, its Reply button, "N replies"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from chat.domain import Message, MessageKind

REPLY = "Reply"
"""The Reply button's tooltip, and how its name for screen readers starts."""
QUOTE_PREFIX = "Replying to"
EXCERPT_CHARS = 40

OnMessage = Callable[[Message, ft.Page], Awaitable[Any]]
"""What a row asks for one of its messages, with the tab the tap came from."""


def may_get_replies(message: Message) -> bool:
    """True for a message the row offers Reply on (not a system line, not a tombstone)."""
    return message.kind is not MessageKind.SYSTEM and not message.is_deleted


def replies_label(count: int) -> str:
    """ "1 reply", "3 replies"."""
    return f"{count} repl{'y' if count == 1 else 'ies'}"


def quote_text(message: Message) -> str | None:
    """What a reply's quote line says ("Ann: lunch at noon?"), None for a message that is no reply."""
    if message.reply_to is None:
        return None
    quote = message.quote
    if quote is None:
        return "the original message is not available"
    return f"{quote.author}: {quote.one_line()}"


def quote_line(
    message: Message, on_tap: Callable[[ft.Event], Awaitable[None]]
) -> ft.Control | None:
    """A reply's one-line quote of its original; a tap jumps there. None for a message that is no reply."""
    text = quote_text(message)
    if text is None:
        return None
    return ft.TextButton(
        icon=ft.Icon(ft.Icons.FORMAT_QUOTE, size=14),
        content=ft.Text(
            text,
            size=12,
            italic=True,
            no_wrap=True,
            overflow=ft.TextOverflow.ELLIPSIS,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
        tooltip="Show the original message",
        style=ft.ButtonStyle(
            padding=ft.Padding.symmetric(horizontal=6, vertical=0),
            visual_density=ft.VisualDensity.COMPACT,
        ),
        on_click=on_tap,
    )


def reply_button(
    message: Message, author: str, on_tap: Callable[[ft.Event], Awaitable[None]]
) -> ft.Control:
    """The small button that starts a reply to `message` (named for which one, like "Add reaction")."""
    first_line = message.text.strip().split("\n", 1)[0]
    if len(first_line) > EXCERPT_CHARS:
        first_line = first_line[: EXCERPT_CHARS - 1].rstrip() + "…"
    name = f"{REPLY} to {author}: {first_line}" if first_line else f"{REPLY} to {author}"
    return ft.IconButton(
        icon=ft.Icon(ft.Icons.REPLY, size=16, semantics_label=name),
        tooltip=REPLY,
        icon_color=ft.Colors.ON_SURFACE_VARIANT,
        visual_density=ft.VisualDensity.COMPACT,
        on_click=on_tap,
    )


def replies_button(count: int, on_tap: Callable[[ft.Event], Awaitable[None]]) -> ft.Control:
    """ "3 replies" under a message: a tap opens its thread."""
    return ft.TextButton(
        replies_label(count),
        icon=ft.Icon(ft.Icons.FORUM_OUTLINED, size=14),
        style=ft.ButtonStyle(
            padding=ft.Padding.symmetric(horizontal=6, vertical=0),
            visual_density=ft.VisualDensity.COMPACT,
        ),
        on_click=on_tap,
    )
