"""A message's files as controls: pictures as their thumbnail, other files as a download button.

The thumbnail travels inside the message, so a row shared by many tabs needs
no link of anyone's; opening or downloading asks the tab whose person tapped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from chat.attachments import Attachment

OpenFile = Callable[[Attachment, ft.Page], Awaitable[Any]]


def attachments_view(attachments: list[Attachment], on_open: OpenFile | None) -> ft.Control:
    """The files of one message, side by side (wrapping on a narrow screen)."""
    return ft.Row([_one(attachment, on_open) for attachment in attachments], wrap=True, spacing=8)


def _one(attachment: Attachment, on_open: OpenFile | None) -> ft.Control:
    async def opened(e: ft.Event) -> None:
        if on_open is not None:
            await on_open(attachment, e.page)

    if attachment.is_image:
        return ft.Semantics(
            label=f"Picture: {attachment.name}. Open it larger",
            button=True,
            content=ft.GestureDetector(
                content=ft.Image(
                    src=attachment.thumb_bytes,
                    width=attachment.thumb_width,
                    height=attachment.thumb_height,
                    fit=ft.BoxFit.CONTAIN,
                    border_radius=6,
                ),
                on_tap=opened,
                mouse_cursor=ft.MouseCursor.CLICK,
            ),
        )
    return ft.OutlinedButton(
        f"{attachment.name} ({attachment.size_words})",
        icon=ft.Icons.DOWNLOAD,
        tooltip="Download",
        on_click=opened,
    )
