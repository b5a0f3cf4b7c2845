"""A small dialog for the HTTP API: your access tokens, and the room's incoming webhooks.

A new token or webhook URL is shown once, here, to copy; the server keeps only its hash.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import urlsplit

import flet as ft

from chat.access import AccessToken, Webhook
from chat.api_access import ApiAccess
from chat.person import Person
from chat.rules import Rejected

Copy = Callable[[str], Awaitable[None]]


WEB_SCHEMES = {"ws": "http", "wss": "https"}
"""Flet reports the page's URL as its WebSocket's; people open the page over HTTP(S)."""


def page_origin(url: str | None) -> str:
    """scheme://host:port people reach Confab at, from the page's URL ("" when unknown)."""
    parts = urlsplit(url or "")
    scheme = WEB_SCHEMES.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}" if scheme and parts.netloc else ""


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "never"


class ApiDialog(ft.AlertDialog):
    """Creates and revokes the person's tokens and the room's webhooks; errors show in place."""

    def __init__(self, access: ApiAccess, person: Person, room: str, base_url: str, copy: Copy):
        self._access, self._person, self._room, self._base_url = access, person, room, base_url
        self._copy = copy
        self.label_field = ft.TextField(
            label="Token label (what it is for)", expand=True, on_submit=self._issue
        )
        self.new_token_button = ft.Button("New token", icon=ft.Icons.KEY, on_click=self._issue)
        self.token_shown = self._once_field("Your new token: copy it now, it is shown only once")
        self.token_list = ft.Column(spacing=2, tight=True)
        self.hook_name_field = ft.TextField(
            label="Integration name", expand=True, on_submit=self._add_hook
        )
        self.new_hook_button = ft.Button(
            "New webhook", icon=ft.Icons.WEBHOOK, on_click=self._add_hook
        )
        self.hook_shown = self._once_field("The webhook's URL: copy it now, it is shown only once")
        self.hook_list = ft.Column(spacing=2, tight=True)
        super().__init__(
            modal=True,
            title=ft.Text("API tokens and webhooks"),
            content=ft.Column(
                [
                    ft.Text(
                        "An access token lets a script read and write as you through "
                        "/api/v1 (Authorization: Bearer <token>)."
                    ),
                    ft.Row([self.label_field, self.new_token_button]),
                    self.token_shown,
                    self.token_list,
                    ft.Divider(),
                    ft.Text(
                        f"Incoming webhooks of #{room}: a URL that posts here as a named integration."
                    ),
                    ft.Row([self.hook_name_field, self.new_hook_button]),
                    self.hook_shown,
                    self.hook_list,
                ],
                tight=True,
                scroll=ft.ScrollMode.AUTO,
                width=520,
                # The secrets shown once take the dialog's width: more of them is readable.
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            actions=[ft.TextButton("Close", on_click=self._close)],
            actions_alignment=ft.MainAxisAlignment.END,
        )

    def _once_field(self, label: str) -> ft.TextField:
        field = ft.TextField(label=label, read_only=True, visible=False)
        # partial, not lambda: Flet awaits a handler only when it can see it is async.
        field.suffix = ft.IconButton(
            ft.Icons.COPY, tooltip="Copy", on_click=functools.partial(self._copy_value, field)
        )
        return field

    async def _copy_value(self, field: ft.TextField, e: ft.Event) -> None:
        await self._copy(field.value or "")

    async def refresh(self) -> None:
        """Read the lists again (the dialog shows them as they are now)."""
        tokens = await self._access.tokens(self._person)
        hooks = await self._access.hooks(self._room)
        self.token_list.controls = [self._token_row(t) for t in tokens] or [
            ft.Text("No tokens yet.", italic=True)
        ]
        self.hook_list.controls = [self._hook_row(h) for h in hooks] or [
            ft.Text("No webhooks in this room.", italic=True)
        ]

    def _token_row(self, token: AccessToken) -> ft.Control:
        label = token.label or "(no label)"
        text = f"{label} · made {_when(token.created_at)} · last used {_when(token.last_used_at)}"
        if token.is_revoked:
            return ft.Text(f"{text} · revoked", color=ft.Colors.ON_SURFACE_VARIANT)
        revoke = ft.TextButton(
            "Revoke", tooltip=f"Revoke {label}", on_click=functools.partial(self._revoke, token.id)
        )
        return ft.Row([ft.Text(text, expand=True), revoke])

    def _hook_row(self, hook: Webhook) -> ft.Control:
        remove = ft.TextButton(
            "Remove",
            tooltip=f"Remove {hook.name}",
            on_click=functools.partial(self._remove_hook, hook.id),
        )
        return ft.Row(
            [ft.Text(f"{hook.name} · made {_when(hook.created_at)}", expand=True), remove]
        )

    async def _issue(self, e: ft.Event) -> None:
        await self._attempt(self.label_field, self._show_token)

    async def _show_token(self) -> None:
        secret = await self._access.issue(self._person, self.label_field.value or "")
        self.label_field.value = ""
        self.token_shown.value, self.token_shown.visible = secret, True

    async def _add_hook(self, e: ft.Event) -> None:
        await self._attempt(self.hook_name_field, self._show_hook)

    async def _show_hook(self) -> None:
        name = self.hook_name_field.value or ""
        url = await self._access.add_hook(self._room, name, self._person, self._base_url)
        self.hook_name_field.value = ""
        self.hook_shown.value, self.hook_shown.visible = url, True

    async def _revoke(self, token_id: str, e: ft.Event) -> None:
        await self._attempt(self.label_field, lambda: self._access.revoke(self._person, token_id))

    async def _remove_hook(self, hook_id: str, e: ft.Event) -> None:
        await self._attempt(
            self.hook_name_field,
            lambda: self._access.revoke_hook(self._room, hook_id, self._person),
        )

    async def _attempt(self, field: ft.TextField, work: Callable[[], Awaitable[None]]) -> None:
        field.error = None
        try:
            await work()
            await self.refresh()
        except Rejected as refusal:
            field.error = str(refusal)
        self.update()

    async def _close(self, e: ft.Event) -> None:
        self.page.pop_dialog()
