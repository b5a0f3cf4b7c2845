"""The list of rooms (a sidebar when wide, a drawer at phone width) and the dialog that adds one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from chat.domain import Room
from chat.reads import Unread
from chat.room_rules import MAX_TOPIC_CHARS
from chat.rules import Rejected
from chat.ui.room_item import RoomItem

OpenRoom = Callable[[str], Awaitable[None]]
CreateRoom = Callable[[str, str, bool], Awaitable[None]]
Invite = Callable[[str], Awaitable[None]]
Click = Callable[[ft.Event], Awaitable[None]]

NEW_ROOM = "New room"
INVITE = "Invite someone"
DIRECT = "Direct message"


class RoomList(ft.Column):
    """Every room, the most recently active first, the one this tab shows selected."""

    def __init__(self, on_open: OpenRoom, on_new: Click, on_invite: Click, on_direct: Click):
        self._on_open = on_open
        self._items: dict[str, RoomItem] = {}
        self.direct_button = ft.TextButton(
            DIRECT, icon=ft.Icons.CHAT_BUBBLE_OUTLINE, on_click=on_direct
        )
        self.invite_button = ft.TextButton(
            INVITE, icon=ft.Icons.PERSON_ADD_OUTLINED, on_click=on_invite, visible=False
        )
        self.items = ft.Column(spacing=0, scroll=ft.ScrollMode.AUTO, expand=True)
        heading = ft.Row(
            [
                ft.Text("Rooms", weight=ft.FontWeight.BOLD),
                ft.IconButton(
                    # The icon's label names the button itself; a tooltip only names a node around it.
                    icon=ft.Icon(ft.Icons.ADD, size=18, semantics_label=NEW_ROOM),
                    tooltip=NEW_ROOM,
                    on_click=on_new,
                ),
            ],
            alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
        )
        super().__init__(
            [heading, self.invite_button, self.direct_button, self.items], spacing=4, expand=True
        )

    def show(
        self, rooms: list[Room], current: str, unread: dict[str, Unread] | None = None
    ) -> None:
        """Show `rooms` in this order (call update() afterwards); a private room offers invitations.

        A room whose button shows the same already keeps that button: a click on it that
        crosses this update on the wire still names a button the page has.
        """
        before, unread = self._items, unread or {}
        self._items = {}
        for room in rooms:
            selected = room.name == current
            item = before.get(room.name)
            if item is None or item.room != room or item.selected != selected:
                item = RoomItem(room, selected, self._on_open)
            if not selected:
                item.show_unread(unread.get(room.name, Unread()))
            self._items[room.name] = item
        self.items.controls = list(self._items.values())
        self.invite_button.visible = any(r.name == current and r.takes_invitations for r in rooms)

    def show_unread(self, room: str, unread: Unread | None, to_top: bool) -> ft.Control | None:
        """Show one room's unread state, first in the list if `to_top`; the control to update.

        Only that room's item changes, unless it moves up: then the list (its order).
        """
        item = self._items.get(room)
        if item is None:
            return None
        if unread is not None:
            item.show_unread(unread)
        if to_top and self.items.controls and self.items.controls[0] is not item:
            self.items.controls.remove(item)
            self.items.controls.insert(0, item)
            return self.items
        return item if unread is not None else None


class NewRoomDialog(ft.AlertDialog):
    """Asks for a room's name and topic; `on_create(name, topic)` adds it or raises Rejected."""

    def __init__(self, on_create: CreateRoom):
        self._on_create = on_create
        self.name_field = ft.TextField(
            label="Room name", autofocus=True, max_length=40, on_submit=self._create
        )
        self.topic_field = ft.TextField(
            label="Topic", max_length=MAX_TOPIC_CHARS, on_submit=self._create
        )
        self.private = ft.Checkbox(label="Private: members only, by invitation")
        super().__init__(
            modal=True,
            title=ft.Text(NEW_ROOM),
            content=ft.Column(
                [
                    self.name_field,
                    self.topic_field,
                    self.private,
                ],
                tight=True,
                width=320,
            ),
            actions=[
                ft.TextButton("Cancel", on_click=self._cancel),
                ft.Button("Create", icon=ft.Icons.ADD, on_click=self._create),
            ],
            actions_alignment=ft.MainAxisAlignment.END,
        )

    async def _cancel(self, e: ft.Event) -> None:
        e.page.pop_dialog()

    async def _create(self, e: ft.Event) -> None:
        try:
            await self._on_create(
                self.name_field.value or "", self.topic_field.value or "", bool(self.private.value)
            )
        except Rejected as refusal:
            self.name_field.error = str(refusal)
            self.update()


class PersonDialog(ft.AlertDialog):
    """Asks for someone's name (to invite, to write to); `on_name(name)` acts or raises Rejected."""

    def __init__(self, title: str, action: str, icon: ft.IconData, on_name: Invite):
        self._on_invite = on_name
        self.name_field = ft.TextField(label="Their name", autofocus=True, on_submit=self._invite)
        super().__init__(
            modal=True,
            title=ft.Text(title),
            content=ft.Column([self.name_field], tight=True, width=320),
            actions=[
                ft.TextButton("Cancel", on_click=self._cancel),
                ft.Button(action, icon=icon, on_click=self._invite),
            ],
            actions_alignment=ft.MainAxisAlignment.END,
        )

    async def _cancel(self, e: ft.Event) -> None:
        e.page.pop_dialog()

    async def _invite(self, e: ft.Event) -> None:
        try:
            await self._on_invite(self.name_field.value or "")
        except Rejected as refusal:
            self.name_field.error = str(refusal)
            self.update()
            return
        e.page.pop_dialog()
