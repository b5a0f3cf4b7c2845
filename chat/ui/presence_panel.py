"""Who is online: names and a count, updated live."""

from __future__ import annotations

import flet as ft

from chat.ui.look import avatar_color, initials, ink_on, is_bot


class PresencePanel(ft.Container):
    """A list of the people online, with a heading that counts them."""

    def __init__(self) -> None:
        super().__init__(width=220, padding=12)
        self.heading = ft.Text("Online", weight=ft.FontWeight.BOLD)
        self.names = ft.Column(spacing=6, scroll=ft.ScrollMode.AUTO, expand=True)
        self.content = ft.Column([self.heading, self.names], spacing=10, expand=True)

    def is_isolated(self) -> bool:
        return True

    def show(self, names: tuple[str, ...]) -> None:
        """Replace the list (call update() afterwards)."""
        self.heading.value = f"Online · {len(names)}"
        self.names.controls = [self._entry(name) for name in names]

    def _entry(self, name: str) -> ft.Control:
        colour = avatar_color(name)
        ink = ink_on(colour)
        avatar = ft.CircleAvatar(
            content=ft.Icon(ft.Icons.SMART_TOY_OUTLINED, size=14, color=ink)
            if is_bot(name)
            else ft.Text(initials(name), size=11, color=ink),
            bgcolor=colour,
            radius=12,
        )
        # Plain text: a selectable Text is exposed to screen readers as an empty, disabled text box.
        return ft.Row([avatar, ft.Text(name)], spacing=8)
