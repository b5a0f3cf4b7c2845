"""The frame around the conversation: app bar, light/dark switch, presence placement."""

from __future__ import annotations

import flet as ft

from chat.ui.memory import BrowserMemory
from chat.ui.presence_panel import PresencePanel

WIDE_LAYOUT_MIN_WIDTH = 760
"""Below this width (phones) the presence list moves into a sheet behind a button."""

SEED_COLOR = "#3949AB"


class RoomChrome:
    """App bar and responsive layout; remembers the chosen theme in the browser."""

    def __init__(self, page: ft.Page, room: str, presence: PresencePanel, memory: BrowserMemory):
        self.page = page
        self.presence = presence
        self._memory = memory
        self._names: tuple[str, ...] = ()
        self.user_label = ft.Text("", size=13)
        self.online_button = ft.TextButton(
            "0 online", icon=ft.Icons.PEOPLE_OUTLINE, on_click=self._show_people_sheet
        )
        self.theme_button = ft.IconButton(
            icon=ft.Icons.DARK_MODE_OUTLINED, tooltip="Switch light/dark", on_click=self._toggle_theme
        )
        page.theme = ft.Theme(color_scheme_seed=SEED_COLOR)
        page.dark_theme = ft.Theme(color_scheme_seed=SEED_COLOR)
        page.appbar = ft.AppBar(
            title=ft.Row(
                [ft.Text("Confab", weight=ft.FontWeight.BOLD), ft.Text(f"# {room}", size=14)],
                spacing=10,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            actions=[self.user_label, self.online_button, self.theme_button],
            actions_padding=ft.Padding.only(right=8),
        )
        page.on_resize = self._on_resize

    def layout(self, conversation: ft.Control, composer: ft.Control) -> ft.Control:
        """The page body: conversation and composer, with the presence panel when wide."""
        self.side = ft.Container(
            self.presence,
            border=ft.Border.only(left=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        )
        body = ft.Row(
            [ft.Column([conversation, composer], expand=True, spacing=0), self.side],
            expand=True,
            spacing=0,
            vertical_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self._apply_width(self.page.width or 1280)
        return body

    def set_user(self, name: str) -> None:
        """Show who this tab is."""
        self.user_label.value = f"You: {name}"
        self.page.appbar.update()

    def show_online(self, names: tuple[str, ...]) -> None:
        """Update the online count on the button."""
        self._names = names
        self.online_button.content = f"{len(names)} online"  # Flet 1.0: `text` is no property
        self.online_button.update()
        self.presence.update()

    async def restore_theme(self) -> None:
        """Use the theme this browser chose before; otherwise follow the system."""
        saved = await self._memory.get("theme")
        if saved in ("light", "dark"):
            self.page.theme_mode = ft.ThemeMode(saved)
            self._sync_theme_icon()
            self.page.update()

    async def _toggle_theme(self, e: ft.Event) -> None:
        dark = self._is_dark()
        self.page.theme_mode = ft.ThemeMode.LIGHT if dark else ft.ThemeMode.DARK
        self._sync_theme_icon()
        self.page.update()
        await self._memory.set("theme", self.page.theme_mode.value)

    def _is_dark(self) -> bool:
        mode = self.page.theme_mode
        if mode in (None, ft.ThemeMode.SYSTEM):
            return self.page.platform_brightness == ft.Brightness.DARK
        return mode == ft.ThemeMode.DARK

    def _sync_theme_icon(self) -> None:
        self.theme_button.icon = (
            ft.Icons.LIGHT_MODE_OUTLINED if self._is_dark() else ft.Icons.DARK_MODE_OUTLINED
        )

    async def _on_resize(self, e: ft.PageResizeEvent) -> None:
        self._apply_width(e.width)
        self.page.update()

    def _apply_width(self, width: float) -> None:
        wide = width >= WIDE_LAYOUT_MIN_WIDTH
        self.side.visible = wide
        self.online_button.visible = not wide
        # A long name would push the title and the theme switch off a phone's app bar.
        self.user_label.visible = wide

    async def _show_people_sheet(self, e: ft.Event) -> None:
        sheet_panel = PresencePanel(self.presence.bot_name)
        sheet_panel.width = None
        sheet_panel.show(self._names)
        self.page.show_dialog(ft.BottomSheet(ft.Container(sheet_panel, height=360), show_drag_handle=True))
