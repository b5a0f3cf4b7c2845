"""The modal dialog that asks for a name before someone can write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from chat.people import NameOwned
from chat.rules import Rejected


class JoinDialog(ft.AlertDialog):
    """Asks for a name; `on_join(name)` joins or raises Rejected, shown in the dialog.

    A name that belongs to someone with a password brings up a password field:
    `on_sign_in(name, password)` then signs in as that person.

    `on_closed` runs once the dialog has gone from the screen: only then does
    focus given to the page stay (the closing dialog hands focus back to what
    had it before it opened).
    """

    def __init__(
        self,
        on_join: Callable[[str], Awaitable[None]],
        on_sign_in: Callable[[str, str], Awaitable[None]],
        on_closed: Callable[[ft.Event], Awaitable[None]],
        max_chars: int,
        bot_handle: str,
    ):
        self._on_join = on_join
        self._on_sign_in = on_sign_in
        self.name_field = ft.TextField(
            label="Your name",
            autofocus=True,
            max_length=max_chars,
            on_submit=self._join,
        )
        self.password_field = ft.TextField(
            label="Password",
            password=True,
            can_reveal_password=True,
            visible=False,
            on_submit=self._sign_in,
        )
        self.join_button = ft.Button("Join", icon=ft.Icons.LOGIN, on_click=self._join)
        self.sign_in_button = ft.Button(
            "Sign in", icon=ft.Icons.KEY, visible=False, on_click=self._sign_in
        )
        super().__init__(
            modal=True,
            open=True,
            title=ft.Text("Welcome to Confab"),
            content=ft.Column(
                [
                    ft.Text("Pick a name to join the conversation."),
                    ft.Text(
                        f"Write @{bot_handle} to ask the AI participant; @{bot_handle} /help says more. "
                        "Type /password in the room to sign in from other browsers too.",
                        size=12,
                        color=ft.Colors.ON_SURFACE_VARIANT,
                    ),
                    self.name_field,
                    self.password_field,
                ],
                tight=True,
                width=320,
            ),
            actions=[self.sign_in_button, self.join_button],
            actions_alignment=ft.MainAxisAlignment.END,
            on_dismiss=on_closed,
        )

    async def _join(self, e: ft.Event) -> None:
        await self._attempt(self._on_join(self.name_field.value or ""), self.name_field)

    async def _sign_in(self, e: ft.Event) -> None:
        attempt = self._on_sign_in(self.name_field.value or "", self.password_field.value or "")
        await self._attempt(attempt, self.password_field)

    async def _attempt(self, action: Awaitable[None], field: ft.TextField) -> None:
        buttons = (self.join_button, self.sign_in_button)
        for button in buttons:
            button.disabled = True
            button.update()
        self.name_field.error = self.password_field.error = None
        try:
            await action
        except NameOwned as owned:
            self.name_field.error = str(owned)
            self._offer_sign_in(owned.has_password)
            field = self.password_field if owned.has_password else self.name_field
            await self._refused(field, buttons)
        except Rejected as refusal:
            field.error = str(refusal)
            await self._refused(field, buttons)

    def _offer_sign_in(self, offered: bool) -> None:
        self.password_field.visible = self.sign_in_button.visible = offered
        self.password_field.value = ""

    async def _refused(self, field: ft.TextField, buttons: tuple[ft.Button, ...]) -> None:
        for button in buttons:
            button.disabled = False
        self.update()
        await field.focus()
