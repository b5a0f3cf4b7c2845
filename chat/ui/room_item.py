"""One room in the list of rooms: its name, its topic, and what waits unread in it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from chat.domain import Room, RoomKind
from chat.reads import Unread

MENTION_LABEL = "@"
"""The mention badge's text: someone wrote to you (an @mention, or a DM)."""


def room_title(room: Room) -> str:
    """How a room is named on screen: "# name", or "@ Ann and Bob" for a DM."""
    return f"@ {room.topic}" if room.kind is RoomKind.DM else f"# {room.name}"


class RoomItem(ft.TextButton):
    """A room's button; `show_unread` changes its badges only, so an update sends just those."""

    def __init__(self, room: Room, selected: bool, on_open: Callable[[str], Awaitable[None]]):
        self.room = room
        self.selected = selected
        self._on_open = on_open
        direct = room.kind is RoomKind.DM
        self.title = ft.Text(
            room_title(room),
            weight=ft.FontWeight.BOLD if selected else None,
            max_lines=1,
            overflow=ft.TextOverflow.ELLIPSIS,
        )
        lines: list[ft.Control] = [self.title]
        if room.topic and not direct:
            lines.append(
                ft.Text(room.topic, size=12, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)
            )
        self.count = _chip(ft.Colors.SECONDARY_CONTAINER, ft.Colors.ON_SECONDARY_CONTAINER)
        self.mention = _chip(ft.Colors.ERROR, ft.Colors.ON_ERROR)
        self.mention.content = ft.Text(
            MENTION_LABEL, size=12, weight=ft.FontWeight.BOLD, color=ft.Colors.ON_ERROR
        )
        # A button, not a ListTile: the theme gives buttons a focus ring people can see,
        # where a tile shows keyboard focus as a faint overlay only.
        super().__init__(
            content=ft.Row(
                [
                    ft.Column(
                        lines,
                        spacing=0,
                        tight=True,
                        expand=True,
                        horizontal_alignment=ft.CrossAxisAlignment.START,
                    ),
                    self.mention,
                    self.count,
                ],
                spacing=4,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            icon=ft.Icon(ft.Icons.LOCK_OUTLINE, size=16, semantics_label="private")
            if room.is_private and not direct
            else None,
            on_click=self._open,
            # Unread rooms are bold too: the one shown also has a background of its own.
            style=ft.ButtonStyle(bgcolor=ft.Colors.SECONDARY_CONTAINER) if selected else None,
        )

    def show_unread(self, unread: Unread) -> None:
        """Show `unread`'s count and mention badge (call update() afterwards)."""
        self.count.visible = bool(unread.count)
        assert isinstance(self.count.content, ft.Text)
        self.count.content.value = unread.label
        self.mention.visible = unread.count > 0 and unread.mention
        if not self.selected:
            self.title.weight = ft.FontWeight.BOLD if unread.count else None

    async def _open(self, e: ft.Event) -> None:
        await self._on_open(self.room.name)


def _chip(background: ft.Colors, foreground: ft.Colors) -> ft.Container:
    return ft.Container(
        ft.Text("", size=12, weight=ft.FontWeight.BOLD, color=foreground),
        bgcolor=background,
        border_radius=10,
        padding=ft.Padding.symmetric(horizontal=7, vertical=1),
        visible=False,
    )
