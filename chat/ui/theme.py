"""The app's light and dark themes: colours chosen for contrast, visible focus, calm tooltips.

The colour roles text is painted with are given explicitly (not left to the
seed's generated scheme), so tests/test_contrast.py can check every pair
against WCAG AA.
"""

from __future__ import annotations

import flet as ft

SEED_COLOR = "#3949AB"

LIGHT = {
    "primary": "#3949AB",
    "on_primary": "#FFFFFF",
    "primary_container": "#DEE0FF",
    "on_primary_container": "#00105C",
    "surface": "#FBF8FF",
    "on_surface": "#1B1B21",
    "on_surface_variant": "#46464F",
    "surface_container": "#EFEDF4",
    "error": "#BA1A1A",
    "outline_variant": "#C6C5D0",
}
DARK = {
    "primary": "#BAC3FF",
    "on_primary": "#08218A",
    "primary_container": "#34438F",
    "on_primary_container": "#DEE0FF",
    "surface": "#121318",
    "on_surface": "#E4E1E9",
    "on_surface_variant": "#C6C5D0",
    "surface_container": "#1F1F25",
    "error": "#FFB4AB",
    "outline_variant": "#46464F",
}

TEXT_PAIRS = (
    ("on_surface", "surface"),  # messages, names
    ("on_surface_variant", "surface"),  # times, system lines, "writing…"
    ("on_surface", "surface_container"),  # the app bar, the composer's fill
    ("on_surface_variant", "surface_container"),  # the composer's hint
    ("primary", "surface"),  # links, text buttons (Stop, Load earlier, N online)
    ("on_surface", "primary_container"),  # your own messages
    ("primary", "primary_container"),  # a link in your own message
    ("on_primary_container", "primary_container"),  # the new-messages button
    ("on_primary", "primary"),
    ("error", "surface"),  # a failed reply's reason
)
"""(text colour, background) pairs the app paints text with."""

FOCUS_WIDTH = 2


def _focus_ring(color: str) -> ft.ButtonStyle:
    # Material 3 marks keyboard focus with a faint overlay only; a ring is plain to see.
    return ft.ButtonStyle(
        side={
            ft.ControlState.FOCUSED: ft.BorderSide(FOCUS_WIDTH, color),
            ft.ControlState.DEFAULT: ft.BorderSide(0, ft.Colors.TRANSPARENT),
        }
    )


def app_theme(dark: bool) -> ft.Theme:
    """The theme for light or dark mode."""
    roles = DARK if dark else LIGHT
    ring = _focus_ring(roles["primary"])
    return ft.Theme(
        color_scheme_seed=SEED_COLOR,
        color_scheme=ft.ColorScheme(**roles),
        icon_button_theme=ft.IconButtonTheme(style=ring),
        text_button_theme=ft.TextButtonTheme(style=ring),
        filled_button_theme=ft.FilledButtonTheme(style=ring),
        # A tooltip waits a moment before showing (not on every pass of the mouse), and on a
        # touch screen it shows on a long press only and goes away on its own.
        tooltip_theme=ft.TooltipTheme(
            wait_duration=800,
            show_duration=1500,
            exit_duration=100,
            trigger_mode=ft.TooltipTriggerMode.LONG_PRESS,  # type: ignore[arg-type]  # Flet types it as str
            # A row's time would otherwise be read before its "Alice, 14:05: text"; every
            # button is named by its own label.
            exclude_from_semantics=True,
        ),
    )
