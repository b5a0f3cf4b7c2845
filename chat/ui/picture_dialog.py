"""One file in the one tab that opened it: a picture shown large, or a file's name and size,
with Download (opened by the browser within the click, so iOS Safari allows it) and Close."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import flet as ft

from chat.attachments import FILES_PATH, Attachment


def file_url(attachment: Attachment, key: str) -> str:
    """The path of `attachment` as the reader whose `key` it is (each read is checked)."""
    return f"{FILES_PATH}{attachment.id}?key={quote(key)}"


class FileDialog(ft.AlertDialog):
    """The whole picture, as large as the window allows; for another file, what it is."""

    def __init__(
        self, attachment: Attachment, url: str, close: Callable[[ft.Event], Awaitable[Any]]
    ):
        content: ft.Control
        if attachment.is_image:
            content = ft.Image(
                src=url,
                fit=ft.BoxFit.CONTAIN,
                semantics_label=attachment.name,
                placeholder_src=attachment.thumb_bytes or None,
            )
        else:
            content = ft.Text(f"{attachment.content_type.split(';')[0]}, {attachment.size_words}")
        super().__init__(
            title=ft.Text(attachment.name, size=16),
            content=content,
            actions=[
                ft.TextButton(
                    "Download",
                    icon=ft.Icons.DOWNLOAD,
                    action=ft.OpenUrl(url + "&download=1", target=ft.UrlTarget.BLANK),
                ),
                ft.TextButton("Close", on_click=close),
            ],
        )
