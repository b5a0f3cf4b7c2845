"""The line just above the composer that says who else in the room is typing."""

from __future__ import annotations

from collections.abc import Iterable

import flet as ft

from chat.domain import Typer
from chat.typing_indicator import typing_words

LINE_HEIGHT = 18
"""The line keeps its height while empty, so the conversation does not jump when typing starts."""


class TypingLine(ft.Container):
    """ "Alice is typing…" for one tab: never its own person (compared by id)."""

    def __init__(self) -> None:
        self.words = ft.Text(
            "",
            size=12,
            italic=True,
            color=ft.Colors.ON_SURFACE_VARIANT,
            max_lines=1,
            overflow=ft.TextOverflow.ELLIPSIS,
        )
        super().__init__(self.words, height=LINE_HEIGHT, padding=ft.Padding.only(left=12))

    def show(self, typers: Iterable[Typer], viewer_id: str | None) -> bool:
        """Say who of `typers` is typing, as person `viewer_id` sees it; True if the words changed."""
        words = typing_words(typers, viewer_id)
        if words == self.words.value:
            return False  # most changes leave most tabs' words alone: they are sent nothing
        self.words.value = words
        return True
