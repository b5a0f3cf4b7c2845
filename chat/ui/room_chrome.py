"""The frame around the conversation: app bar, light/dark switch, rooms and presence placement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from chat.ui.memory import BrowserMemory
from chat.ui.presence_panel import PresencePanel
from chat.ui.tab_gone import unless_tab_gone
from chat.ui.theme import SEED_COLOR, app_theme  # noqa: F401  (SEED_COLOR: the manifest matches it)

WIDE_LAYOUT_MIN_WIDTH = 760
"""Below this width (phones) the presence list moves into a sheet behind a button,
and the list of rooms into a drawer."""

THREAD_WIDTH = 360
"""A thread's panel beside the conversation, on wide screens."""
THEME_SWITCH_NAME = "Switch light/dark"
ROOMS_BUTTON_NAME = "Rooms"
UNREAD_MENTIONS_NAME = "Rooms: someone wrote to you"
"""The menu button's name while another room has an unread @mention or DM (its badge shows)."""


class RoomChrome:
    """App bar and responsive layout; remembers the chosen theme in the browser."""

    def __init__(
        self,
        page: ft.Page,
        title: str,
        presence: PresencePanel,
        memory: BrowserMemory,
        rooms: tuple[ft.Control, ft.Control],
    ):
        """`rooms`: the list of rooms twice, for the sidebar and for the drawer."""
        self.page = page
        self.presence = presence
        self._rooms_side, self._rooms_in_drawer = rooms
        self._memory = memory
        self._names: tuple[str, ...] = ()
        # A gap before the theme switch: its focus ring would touch the name's last letter.
        self.user_label = ft.Text("", size=13, margin=ft.Margin.only(right=8))
        self.online_button = ft.TextButton(
            "0 online", icon=ft.Icons.PEOPLE_OUTLINE, on_click=self._show_people_sheet
        )
        self.theme_button = ft.IconButton(
            icon=self._theme_icon(ft.Icons.DARK_MODE_OUTLINED),
            tooltip=THEME_SWITCH_NAME,
            on_click=self._toggle_theme,
        )
        if page.theme is None:  # once per tab, not again at each room switch
            page.theme = app_theme(dark=False)
            page.dark_theme = app_theme(dark=True)
        self.rooms_button = ft.IconButton(
            icon=ft.Icon(ft.Icons.MENU, semantics_label=ROOMS_BUTTON_NAME),
            tooltip=ROOMS_BUTTON_NAME,
            on_click=self._show_rooms,
        )
        page.drawer = ft.NavigationDrawer(
            [ft.Container(self._rooms_in_drawer, padding=12, height=600)]
        )
        # The app's name, on wide screens only: a phone's bar keeps its width for the room's name.
        self.wordmark = ft.Text("Confab", weight=ft.FontWeight.BOLD)
        page.appbar = ft.AppBar(
            leading=self.rooms_button,
            automatically_imply_leading=False,
            title=ft.Row(
                [
                    self.wordmark,
                    # A long room name ends in "…" rather than running under the buttons.
                    ft.Text(
                        title, size=14, no_wrap=True, overflow=ft.TextOverflow.ELLIPSIS, expand=True
                    ),
                ],
                spacing=10,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            actions=[self.user_label, self.online_button, self.theme_button],
            actions_padding=ft.Padding.only(right=8),
        )
        self._wide = True
        self._wide_actions: list[ft.Control] = []
        """App-bar actions shown only on wide screens (add_action)."""
        # Made here, not in layout(): a resize may arrive before the page is laid out.
        self.side = ft.Container(
            self.presence,
            border=ft.Border.only(left=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        )
        self.rooms_side = ft.Container(
            self._rooms_side,
            width=220,
            padding=12,
            border=ft.Border.only(right=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        )
        self.thread_side = ft.Container(
            width=THREAD_WIDTH,
            padding=8,
            visible=False,
            border=ft.Border.only(left=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        )
        """Where a thread shows beside the conversation on wide screens."""
        self._thread_sheet: ft.BottomSheet | None = None
        page.on_resize = self._on_resize

    def layout(self, conversation: ft.Control, composer: ft.Control) -> ft.Control:
        """The page body: conversation and composer, with the presence panel when wide."""
        body = ft.Row(
            [
                self.rooms_side,
                ft.Column([conversation, composer], expand=True, spacing=0),
                self.thread_side,
                self.side,
            ],
            expand=True,
            spacing=0,
            vertical_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self._apply_width(self.page.width or 1280)
        return body

    def add_action(self, control: ft.Control, on_phones: bool = False) -> None:
        """Put `control` in the app bar, before the light/dark switch, on wide screens only
        unless `on_phones`: a phone's bar has room for the menu, the room's name, the people,
        search and the switch."""
        appbar = self.page.appbar
        assert isinstance(appbar, ft.AppBar) and appbar.actions is not None  # made in __init__
        holder = ft.Container(control, visible=self._wide or on_phones)
        if not on_phones:
            self._wide_actions.append(holder)
        appbar.actions.insert(appbar.actions.index(self.theme_button), holder)

    def show_thread(
        self, panel: ft.Control, on_dismiss: Callable[[ft.Event], Awaitable[None]] | None = None
    ) -> None:
        """Show a thread: beside the conversation when wide, in a sheet from below on a phone
        (`on_dismiss`: told when a swipe or a tap outside closes the sheet)."""
        self.close_thread()
        if self._wide:
            self.thread_side.content = panel
            self.thread_side.visible = True
            self.page.update(self.thread_side)
            return
        height = (self.page.height or 800) * 0.75
        self._thread_sheet = ft.BottomSheet(
            ft.Container(panel, height=height, padding=8),
            show_drag_handle=True,
            on_dismiss=on_dismiss,
        )
        self.page.show_dialog(self._thread_sheet)

    def close_thread(self) -> None:
        """Take the thread away, wherever it shows."""
        if self._thread_sheet is not None:
            sheet, self._thread_sheet = self._thread_sheet, None
            if sheet.open:
                self.page.pop_dialog()
        if self.thread_side.visible:
            self.thread_side.visible = False
            self.thread_side.content = None
            with unless_tab_gone():
                self.page.update(self.thread_side)

    def show_presence(self, panel: PresencePanel) -> None:
        """Put `panel` where the people online are listed (the room's own, once joined)."""
        self.presence = panel
        self.side.content = panel

    def set_user(self, name: str) -> None:
        """Show who this tab is."""
        self.user_label.value = f"You: {name}"
        if self.page.appbar is not None:
            self.page.appbar.update()

    def show_unread_mentions(self, unread: bool) -> None:
        """Badge the drawer's menu button while another room has an unread mention for this person."""
        button = self.rooms_button
        button.badge = ft.Badge(small_size=10, bgcolor=ft.Colors.ERROR) if unread else None
        assert isinstance(button.icon, ft.Icon)
        button.icon.semantics_label = UNREAD_MENTIONS_NAME if unread else ROOMS_BUTTON_NAME
        button.tooltip = button.icon.semantics_label
        with unless_tab_gone():  # RuntimeError too before the app bar is on the page
            button.update()

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
        self.theme_button.icon = self._theme_icon(
            ft.Icons.LIGHT_MODE_OUTLINED if self._is_dark() else ft.Icons.DARK_MODE_OUTLINED
        )

    @staticmethod
    def _theme_icon(icon: ft.IconData) -> ft.Icon:
        # The icon's label names the button itself; a tooltip only names a node around it.
        return ft.Icon(icon, semantics_label=THEME_SWITCH_NAME)

    async def _on_resize(self, e: ft.PageResizeEvent) -> None:
        self._apply_width(e.width)
        self.page.update()

    def _apply_width(self, width: float) -> None:
        wide = width >= WIDE_LAYOUT_MIN_WIDTH
        self.side.visible = wide
        self.rooms_side.visible = wide
        if not wide and self.thread_side.visible:  # a phone shows a thread in a sheet instead
            self.thread_side.visible = False
            self.thread_side.content = None
        self.rooms_button.visible = not wide
        self.online_button.visible = not wide
        # A long name would push the title and the theme switch off a phone's app bar.
        self.user_label.visible = wide
        self.wordmark.visible = wide
        self._wide = wide
        for action in self._wide_actions:
            action.visible = wide

    def shows_rooms(self, rooms: ft.Control) -> bool:
        """True if `rooms` (one of the two lists) is the one this layout can show.

        The other one's changes wait: they go out with its next update (a resize
        updates the page, opening the drawer updates its list).
        """
        return (rooms is self._rooms_side) == self.rooms_side.visible

    async def _show_rooms(self, e: ft.Event) -> None:
        self._rooms_in_drawer.update()  # what changed while the sidebar was the one shown
        await self.page.show_drawer()

    async def close_rooms(self) -> None:
        """Close the drawer of rooms if it is open (a room was picked in it)."""
        if self.rooms_button.visible:
            await self.page.close_drawer()

    async def _show_people_sheet(self, e: ft.Event) -> None:
        sheet_panel = PresencePanel()
        sheet_panel.width = None
        sheet_panel.show(self._names)
        self.page.show_dialog(
            ft.BottomSheet(ft.Container(sheet_panel, height=360), show_drag_handle=True)
        )
