"""The modal dialog that asks for a name before someone can write."""

from __future__ import annotations

from typing import Awaitable, Callable

import flet as ft

from chat.rules import Rejected


class JoinDialog(ft.AlertDialog):
    """Asks for a name; `on_join(name)` joins or raises Rejected, shown in the dialog.

    `on_closed` runs once the dialog has gone from the screen: only then does
    focus given to the page stay (the closing dialog hands focus back to what
    had it before it opened).
    """

    def __init__(
        self,
        on_join: Callable[[str], Awaitable[None]],
        on_closed: Callable[[ft.Event], Awaitable[None]],
        max_chars: int,
        bot_handle: str,
    ):
        self._on_join = on_join
        self.name_field = ft.TextField(
            label="Your name",
            autofocus=True,
            max_length=max_chars,
            on_submit=self._join,
        )
        self.join_button = ft.Button("Join", icon=ft.Icons.LOGIN, on_click=self._join)
        super().__init__(
            modal=True,
            open=True,
            title=ft.Text("Welcome to Confab"),
            content=ft.Column(
                [
                    ft.Text("Pick a name to join the conversation."),
                    ft.Text(
                        f"Write @{bot_handle} to ask the AI participant; @{bot_handle} /help says more.",
                        size=12,
                        color=ft.Colors.ON_SURFACE_VARIANT,
                    ),
                    self.name_field,
                ],
                tight=True,
                width=320,
            ),
            actions=[self.join_button],
            actions_alignment=ft.MainAxisAlignment.END,
            on_dismiss=on_closed,
        )

    async def _join(self, e: ft.Event) -> None:
        self.join_button.disabled = True
        self.join_button.update()
        try:
            await self._on_join(self.name_field.value or "")
        except Rejected as refusal:
            self.name_field.error = str(refusal)
            self.join_button.disabled = False
            self.update()
            await self.name_field.focus()
