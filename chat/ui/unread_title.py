"""UnreadTitle: while a tab is hidden, its title counts the messages it has not shown, "(3) Confab"."""

from __future__ import annotations

import flet as ft

HIDDEN = (ft.AppLifecycleState.HIDE, ft.AppLifecycleState.PAUSE)
SEEN = (ft.AppLifecycleState.SHOW, ft.AppLifecycleState.RESUME)


class UnreadTitle:
    """The browser tab's title, counting what arrives while the tab is not on screen.

    Flet 1.0.5 has no browser notifications; the client reports the page
    going hidden (HIDE, then PAUSE) and coming back (SHOW, RESUME) through
    `on_app_lifecycle_state_change`. A window that only lost focus
    (INACTIVE) is still seen.
    """

    def __init__(self, base: str = "Confab"):
        self.base = base
        self.hidden = False
        self.unread = 0

    def title(self) -> str:
        return f"({self.unread}) {self.base}" if self.unread else self.base

    def message_arrived(self) -> bool:
        """Count a message; True when the title changed."""
        if not self.hidden:
            return False
        self.unread += 1
        return True

    def lifecycle(self, state: ft.AppLifecycleState) -> bool:
        """Follow the tab being hidden or seen; True when the title changed."""
        if state in HIDDEN:
            self.hidden = True
        elif state in SEEN:
            self.hidden = False
            if self.unread:
                self.unread = 0
                return True
        return False
