"""Edit and Delete on a person's own messages, the "edited" mark, and a moderator's earlier versions.

The row (message_row) only places what this module builds; the dialogs hand
what the person did to the service's edits (chat.edits), which decides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Any

import flet as ft

from chat.domain import Message, MessageKind
from chat.edits import Edits
from chat.message_versions import MessageVersion
from chat.rules import Rejected
from chat.ui.row_text import EDITED_MARK, full_time

ACTIONS = "Message actions"
"""The name of the button that opens Edit and Delete on an own message."""
EDIT, DELETE = "Edit", "Delete"
VERSIONS = "edited · earlier versions"
"""A moderator's "edited" mark: a button that lists what the message said before."""

Tap = Callable[[ft.Event], Awaitable[Any]]
Show = Callable[[ft.DialogControl], None]


REGENERATE = "Regenerate"
REGENERATED_MARK = "regenerated"
"""Said under a bot reply written again (its earlier text is a version, as an edit's is)."""


def edited_mark(message: Message, on_versions: Tap | None) -> ft.Control:
    """ "(edited)" under an edited message; a button to its earlier versions for a moderator."""
    if on_versions is None:
        word = REGENERATED_MARK if message.kind is MessageKind.BOT else EDITED_MARK
        return ft.Text(f"({word})", size=11, italic=True, color=ft.Colors.ON_SURFACE_VARIANT)
    return ft.TextButton(
        VERSIONS,
        icon=ft.Icon(ft.Icons.HISTORY, size=14),
        tooltip="See what this message said before (moderator)",
        on_click=on_versions,
    )


def own_menu(on_edit: Tap, on_delete: Tap) -> ft.Control:
    """The small menu beside a person's own message, after Reply and React: Edit, Delete."""
    return ft.PopupMenuButton(
        icon=ft.Icon(ft.Icons.MORE_HORIZ, size=16, semantics_label=ACTIONS),
        tooltip=ACTIONS,
        icon_color=ft.Colors.ON_SURFACE_VARIANT,
        style=ft.ButtonStyle(visual_density=ft.VisualDensity.COMPACT),  # as Reply and React
        items=[
            ft.PopupMenuItem(EDIT, icon=ft.Icons.EDIT_OUTLINED, on_click=on_edit),
            ft.PopupMenuItem(DELETE, icon=ft.Icons.DELETE_OUTLINE, on_click=on_delete),
        ],
    )


def regenerate_button(on_regenerate: Tap) -> ft.Control:
    """Under a finished or failed bot reply, for who asked: have it written again, in place."""
    return ft.TextButton(
        REGENERATE,
        icon=ft.Icon(ft.Icons.REFRESH, size=16),
        tooltip="Write this reply again (the earlier one is kept for moderators)",
        on_click=on_regenerate,
    )


class EditDialog(ft.AlertDialog):
    """The message's text in a field: Enter saves, Shift+Enter adds a line, Escape cancels.

    Not modal, so Escape (or a tap beside it) closes it and nothing changes.
    A refused edit is said under the field, and the text stays as typed.
    """

    def __init__(
        self,
        message: Message,
        save: Callable[[str], Awaitable[Message]],
        max_chars: int | None = None,
    ):
        self._save_text = save
        self.field = ft.TextField(
            value=message.text,
            label="Edit your message",
            multiline=True,
            shift_enter=True,
            min_lines=1,
            max_lines=8,
            max_length=max_chars,  # a long paste is cut in the browser, not sent whole
            counter="",  # no "12/4000" below the limit
            autofocus=True,
            on_submit=self._save,
        )
        super().__init__(
            title=ft.Text("Edit message"),
            content=self.field,
            actions=[
                ft.TextButton("Cancel", on_click=self._cancel),
                ft.Button("Save", on_click=self._save),
            ],
            actions_alignment=ft.MainAxisAlignment.END,
        )

    async def _cancel(self, e: ft.Event) -> None:
        e.page.pop_dialog()

    async def _save(self, e: ft.Event) -> None:
        try:
            await self._save_text(self.field.value or "")
        except Rejected as refusal:
            self.field.error = str(refusal)
            self.update()
            return
        e.page.pop_dialog()


class DeleteDialog(ft.AlertDialog):
    """Asks before a person deletes their own message (it cannot be undone)."""

    def __init__(self, delete: Callable[[], Awaitable[Message]], show: Show):
        self._delete = delete
        self._show = show
        super().__init__(
            title=ft.Text("Delete this message?"),
            content=ft.Text("Everyone will see “message deleted” in its place."),
            actions=[
                ft.TextButton("Cancel", on_click=self._cancel),
                ft.Button("Delete", on_click=self._confirm, autofocus=True),
            ],
            actions_alignment=ft.MainAxisAlignment.END,
        )

    async def _cancel(self, e: ft.Event) -> None:
        e.page.pop_dialog()

    async def _confirm(self, e: ft.Event) -> None:
        e.page.pop_dialog()
        try:
            await self._delete()
        except Rejected as refusal:
            self._show(ft.SnackBar(ft.Text(str(refusal))))


def versions_dialog(message: Message, versions: list[MessageVersion], tz: tzinfo) -> ft.AlertDialog:
    """What a message said before each edit, oldest first, with when each was written."""
    lines: list[ft.Control] = [
        ft.Column(
            [
                ft.Text(full_time(v.written_at, tz), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                ft.Text(v.text, selectable=True),
            ],
            spacing=2,
            tight=True,
        )
        for v in versions
    ]
    if message.edited_at is not None:
        lines.append(
            ft.Column(
                [
                    ft.Text(
                        f"{full_time(message.edited_at, tz)} (now)",
                        size=12,
                        color=ft.Colors.ON_SURFACE_VARIANT,
                    ),
                    ft.Text(message.text or "(deleted)", selectable=True),
                ],
                spacing=2,
                tight=True,
            )
        )

    async def close(e: ft.Event) -> None:
        e.page.pop_dialog()

    return ft.AlertDialog(
        title=ft.Text("Earlier versions"),
        # A scrolling column fills the screen's height in a dialog: only a long list scrolls.
        content=ft.Column(
            lines or [ft.Text("Never edited.")],
            tight=True,
            scroll=ft.ScrollMode.AUTO if len(lines) > 4 else None,
        ),
        actions=[ft.TextButton("Close", on_click=close)],
    )


class MessageEditing:
    """One tab's answers to Edit, Delete and earlier versions on a row: dialogs, then the service."""

    def __init__(
        self,
        edits: Edits,
        room: str,
        person_id: Callable[[], str | None],
        show: Show,
        tz: tzinfo,
    ):
        self._edits = edits
        self.room = room
        self._person_id = person_id
        self._show = show
        self._tz = tz

    def offers(self, message: Message) -> bool:
        """True when this tab's person may be offered Edit and Delete on `message`."""
        return self._edits.is_own(message, self._person_id())

    async def edit(self, message: Message, page: ft.Page | None = None) -> None:
        async def save(text: str) -> Message:
            return await self._edits.edit(self.room, message.id, self._person_id(), text)

        self._show(EditDialog(message, save, self._edits.max_chars))

    async def delete(self, message: Message, page: ft.Page | None = None) -> None:
        async def delete() -> Message:
            return await self._edits.delete(self.room, message.id, self._person_id())

        self._show(DeleteDialog(delete, self._show))

    def offers_regenerate(self, message: Message) -> bool:
        """True when this tab's person asked for bot reply `message` (the row shows Regenerate once it ends)."""
        return self._edits.asked_for(message, self._person_id())

    async def regenerate(self, message: Message, page: ft.Page | None = None) -> None:
        try:
            await self._edits.regenerate(self.room, message.id, self._person_id())
        except Rejected as refusal:
            self._show(ft.SnackBar(ft.Text(str(refusal))))

    async def versions(self, message: Message, page: ft.Page | None = None) -> None:
        try:
            found = await self._edits.versions(self.room, message.id, self._person_id())
        except Rejected as refusal:
            self._show(ft.SnackBar(ft.Text(str(refusal))))
            return
        self._show(versions_dialog(message, found, self._tz))
