"""A small dialog to set the password that signs a person in from another browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from chat.rules import Rejected


class PasswordDialog(ft.AlertDialog):
    """Asks for a new password; `on_set(password)` saves it or raises Rejected, shown here."""

    def __init__(self, name: str, on_set: Callable[[str], Awaitable[None]]):
        self._on_set = on_set
        self.password_field = ft.TextField(
            label="New password",
            password=True,
            can_reveal_password=True,
            autofocus=True,
            on_submit=self._save,
        )
        self.save_button = ft.Button("Set password", icon=ft.Icons.KEY, on_click=self._save)
        super().__init__(
            modal=True,
            title=ft.Text("Set a password"),
            content=ft.Column(
                [
                    ft.Text(f"With it you can sign in as {name} from another browser."),
                    self.password_field,
                ],
                tight=True,
                width=320,
            ),
            actions=[ft.TextButton("Cancel", on_click=self._cancel), self.save_button],
            actions_alignment=ft.MainAxisAlignment.END,
        )

    async def _save(self, e: ft.Event) -> None:
        self.save_button.disabled = True
        self.save_button.update()
        try:
            await self._on_set(self.password_field.value or "")
        except Rejected as refusal:
            self.password_field.error = str(refusal)
            self.save_button.disabled = False
            self.update()
            await self.password_field.focus()

    async def _cancel(self, e: ft.Event) -> None:
        self.page.pop_dialog()
