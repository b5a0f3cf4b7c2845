"""The room's Moderate menu (for its owner and admins) and the dialog each of its actions asks in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from chat.audit import AuditEntry
from chat.rules import Rejected
from chat.ui.moderation_commands import AuditDialog, ModerationCommands

MODERATE = "Moderate"

Show = Callable[[ft.DialogControl], None]
Command = Callable[[list[str]], Awaitable[str | list[AuditEntry]]]


class ModerationDialog(ft.AlertDialog):
    """Asks whom (and for how long, and why); `on_words(words)` acts or raises Rejected."""

    def __init__(self, title: str, action: str, on_words: Command, show: Show, duration: bool):
        self._on_words = on_words
        self._show = show
        self.name_field = ft.TextField(label="Their name", autofocus=True, on_submit=self._act)
        self.duration_field = ft.TextField(
            label="For how long (10m, 2h, 1d)", value="10m", on_submit=self._act
        )
        self.reason_field = ft.TextField(label="Reason (kept in the audit)", on_submit=self._act)
        fields: list[ft.Control] = [self.name_field]
        if duration:
            fields.append(self.duration_field)
        fields.append(self.reason_field)
        self._duration = duration
        super().__init__(
            modal=True,
            title=ft.Text(title),
            content=ft.Column(fields, tight=True, width=320),
            actions=[
                ft.TextButton("Cancel", on_click=self._cancel),
                ft.Button(action, on_click=self._act),
            ],
            actions_alignment=ft.MainAxisAlignment.END,
        )

    async def _cancel(self, e: ft.Event) -> None:
        e.page.pop_dialog()

    async def _act(self, e: ft.Event) -> None:
        words = [self.name_field.value or ""]
        if self._duration:
            words.append(self.duration_field.value or "")
        words += (self.reason_field.value or "").split()
        try:
            done = await self._on_words(words)
        except Rejected as refusal:
            self.name_field.error = str(refusal)
            self.update()
            return
        e.page.pop_dialog()
        self._show(ft.SnackBar(ft.Text(str(done))))


DELETE_BUTTONS = "Show or hide Delete on messages"


def moderation_menu(
    commands: ModerationCommands,
    show: Show,
    admin: bool,
    toggle_delete: Callable[[], Awaitable[None]],
) -> ft.PopupMenuButton:
    """The menu of what a room's moderator may do there; each item asks, then acts."""

    async def delete_buttons(e: ft.Event) -> None:
        await toggle_delete()

    def at_once(command: str) -> Callable[[ft.Event], Awaitable[None]]:
        async def act(e: ft.Event) -> None:
            try:
                done = await commands.do(command, [])
            except Rejected as refusal:
                show(ft.SnackBar(ft.Text(str(refusal))))
                return
            show(AuditDialog(done) if isinstance(done, list) else ft.SnackBar(ft.Text(done)))

        return act

    def asking(command: str, title: str, action: str, duration: bool = False):
        async def ask(e: ft.Event) -> None:
            async def run(words: list[str]) -> str | list[AuditEntry]:
                return await commands.do(command, words)

            show(ModerationDialog(title, action, run, show, duration))

        return ask

    items = [
        ft.PopupMenuItem(DELETE_BUTTONS, on_click=delete_buttons),
        ft.PopupMenuItem("Lock the room (read-only)", on_click=at_once("/lock")),
        ft.PopupMenuItem("Unlock the room", on_click=at_once("/unlock")),
        ft.PopupMenuItem(
            "Mute someone…", on_click=asking("/mute", "Mute in this room", "Mute", True)
        ),
        ft.PopupMenuItem("Unmute someone…", on_click=asking("/unmute", "Unmute", "Unmute")),
        ft.PopupMenuItem(
            "Remove someone…", on_click=asking("/remove", "Remove from this room", "Remove")
        ),
    ]
    if admin:
        items += [
            ft.PopupMenuItem("Ban someone…", on_click=asking("/ban", "Ban from Confab", "Ban")),
            ft.PopupMenuItem("Audit", on_click=at_once("/audit")),
        ]
    # The icon's label names the button itself; a tooltip only names a node around it.
    return ft.PopupMenuButton(
        icon=ft.Icon(ft.Icons.SHIELD_OUTLINED, semantics_label=MODERATE),
        tooltip=MODERATE,
        items=items,
    )
