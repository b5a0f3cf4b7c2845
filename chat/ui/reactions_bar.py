"""The reactions under a message: a chip per emoji (count, who, yours tinted) and the add button.

A chip toggles the viewer's own reaction; hovering it (or a long press on a
phone) says who reacted. The add button, on every row that may get
reactions, opens the picker: a button, so mouse, touch and Tab all reach it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from chat.domain import Message, MessageKind, Reaction
from chat.reaction_rules import who_reacted

ADD_REACTION = "Add reaction"
"""The add button's tooltip, and how its name for screen readers starts."""
EXCERPT_CHARS = 40
CHIP_SHAPE = ft.RoundedRectangleBorder(radius=12)

OnReact = Callable[[Message, "str | None", ft.Page], Awaitable[Any]]
"""What a row asks when its person reacts: the emoji to toggle, or None for the picker."""


def may_get_reactions(message: Message) -> bool:
    """True for a message the row offers reactions on (not a system line, not a tombstone)."""
    return message.kind is not MessageKind.SYSTEM and not message.is_deleted


def chip_label(reaction: Reaction) -> str:
    """What a chip shows: the emoji and how many reacted with it."""
    return f"{reaction.emoji} {reaction.count}"


class ReactionsBar:
    """Builds one row's reaction controls; taps go to `on_react` with the tab they came from."""

    def __init__(
        self, message: Message, viewer_id: str | None, on_react: OnReact, author: str = ""
    ):
        self.message = message
        self._author = author or message.author
        self._viewer_id = viewer_id
        self._on_react = on_react

    def chips(self) -> ft.Control | None:
        """A wrapping row of chips, or None for a message without reactions."""
        items = self.message.reactions.items
        if not items or not may_get_reactions(self.message):
            return None
        return ft.Row(
            [self._chip(reaction) for reaction in items], wrap=True, spacing=4, run_spacing=4
        )

    def add_button(self) -> ft.Control:
        """The small button that opens the picker."""
        return ft.IconButton(
            icon=ft.Icon(
                ft.Icons.ADD_REACTION_OUTLINED, size=16, semantics_label=self.add_button_name()
            ),
            tooltip=ADD_REACTION,
            icon_color=ft.Colors.ON_SURFACE_VARIANT,
            visual_density=ft.VisualDensity.COMPACT,
            on_click=self._tap_add,
        )

    def add_button_name(self) -> str:
        """ "Add reaction to Ann: lunch at noon?": every row's button says which message it is for."""
        first_line = self.message.text.strip().split("\n", 1)[0]
        if not first_line:
            return f"{ADD_REACTION} to {self._author}"
        if len(first_line) > EXCERPT_CHARS:
            first_line = first_line[: EXCERPT_CHARS - 1].rstrip() + "…"
        return f"{ADD_REACTION} to {self._author}: {first_line}"

    def _chip(self, reaction: Reaction) -> ft.Control:
        mine = self._viewer_id is not None and self._viewer_id in reaction.person_ids
        who = who_reacted(_others_first(reaction, self._viewer_id), reaction.emoji)
        return ft.TextButton(
            content=ft.Text(chip_label(reaction), size=13),
            tooltip=who,
            data=reaction.emoji,
            style=ft.ButtonStyle(
                padding=ft.Padding.symmetric(horizontal=8, vertical=0),
                shape=CHIP_SHAPE,
                visual_density=ft.VisualDensity.COMPACT,
                bgcolor=ft.Colors.SECONDARY_CONTAINER if mine else None,
                color=ft.Colors.ON_SECONDARY_CONTAINER if mine else ft.Colors.ON_SURFACE,
                side=ft.BorderSide(1, ft.Colors.PRIMARY if mine else ft.Colors.OUTLINE_VARIANT),
            ),
            on_click=self._tap_chip,
            # A tooltip needs a long press the page may not get (a screen reader's touch):
            # the long press itself says who, in the tab it came from.
            on_long_press=self._press_chip,
        )

    async def _tap_chip(self, e: ft.Event) -> None:
        await self._on_react(self.message, e.control.data, e.page)

    async def _press_chip(self, e: ft.Event) -> None:
        e.page.show_dialog(ft.SnackBar(ft.Text(e.control.tooltip)))

    async def _tap_add(self, e: ft.Event) -> None:
        await self._on_react(self.message, None, e.page)


def _others_first(reaction: Reaction, viewer_id: str | None) -> tuple[str, ...]:
    """The names of who reacted, the viewer's own left to the end (said as "you")."""
    others = tuple(
        name
        for pid, name in zip(reaction.person_ids, reaction.names, strict=True)
        if pid != viewer_id
    )
    return others + (("you",) if viewer_id in reaction.person_ids else ())
