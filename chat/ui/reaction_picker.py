"""The reaction picker: a dialog with the default set first, then a grid of more emoji."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from chat.reaction_rules import DEFAULT_REACTIONS, PICKER_EMOJI, emoji_name

PICKER_TITLE = "React with"
EMOJI_SIZE = 22
BUTTON_SIZE = 44
PER_LINE = 7
"""Emoji buttons on a line: the dialog fits a phone 360 px wide."""


class ReactionPicker(ft.AlertDialog):
    """Every emoji a button (Tab reaches each, Enter picks); picking closes the dialog."""

    def __init__(self, on_pick: Callable[[str], Awaitable[Any]], on_close: Callable[[], Any]):
        self._on_pick = on_pick
        self._on_close = on_close
        more = [e for e in PICKER_EMOJI if e not in DEFAULT_REACTIONS]
        super().__init__(
            title=ft.Text(PICKER_TITLE),
            content=ft.Column(
                [
                    ft.Row([self._button(e) for e in DEFAULT_REACTIONS], wrap=True, spacing=2),
                    ft.Divider(height=8),
                    ft.Row([self._button(e) for e in more], wrap=True, spacing=2, run_spacing=2),
                ],
                tight=True,
                width=PER_LINE * BUTTON_SIZE + (PER_LINE - 1) * 2,
            ),
            actions=[ft.TextButton("Cancel", on_click=self._cancel)],
        )

    def _button(self, emoji: str) -> ft.Control:
        return ft.TextButton(
            content=ft.Text(emoji, size=EMOJI_SIZE, semantics_label=emoji_name(emoji)),
            tooltip=emoji_name(emoji),
            data=emoji,
            style=ft.ButtonStyle(
                padding=ft.Padding.all(4), shape=ft.RoundedRectangleBorder(radius=8)
            ),
            on_click=self._pick,
        )

    async def _pick(self, e: ft.Event) -> None:
        self._on_close()
        await self._on_pick(e.control.data)

    async def _cancel(self, e: ft.Event) -> None:
        self._on_close()
