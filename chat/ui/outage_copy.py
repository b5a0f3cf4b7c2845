"""A plain-text copy of the conversation a tab shows, kept in the browser for outages.

Why: while the server cannot be reached, Flet 1.0.5's web client covers the
whole page with its boot screen (a spinner), and no setting of the client
changes that. So the page keeps this copy in the browser (SharedPreferences,
which is localStorage on the web), and index.html's "confab-outage" script
shows it, as text only, over the boot screen until the room is back.

The copy is small and written rarely: the newest COPY_LINES lines, each cut
at COPY_LINE_CHARS, written at most once every WRITE_INTERVAL seconds and
only when it changed. `write_now()` also tells that script the room is shown
again (after a restart or a reconnect), so it can take its view away.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from chat.domain import Message
from chat.ui.row_text import author_name, local_time, spoken_text
from chat.ui.theme import DARK, LIGHT

OUTAGE_KEY = "outage"
"""BrowserMemory key of the copy (index.html reads "flutter.confab.outage")."""
COPY_LINES = 50
COPY_LINE_CHARS = 1000
"""A longer message is cut here (ending in "…"): the copy is a glimpse, not an archive."""
WRITE_INTERVAL = 2.0
"""Seconds between two writes of the copy, at most one write per interval."""
COLOUR_ROLES = (
    "surface",
    "on_surface",
    "on_surface_variant",
    "surface_container",
    "primary_container",
    "outline_variant",
)
"""The theme's colours the copy is painted with, so it looks like the room in either theme."""


@dataclass(frozen=True, slots=True)
class CopyView:
    """What the copy is made from: the room's name, the tab's zone, and how to name its rows."""

    room: str
    tz: tzinfo
    bot_display_name: str
    is_own: Callable[[Message], bool]


def conversation_copy(messages: Sequence[Message], view: CopyView) -> str:
    """The copy as JSON: the room, both themes' colours, and the newest lines as plain strings."""
    lines = [
        {
            "author": author_name(m, m.shown_author(view.bot_display_name)),
            "time": local_time(m.created_at, view.tz),
            "text": _cut(spoken_text(m)),
            "kind": m.kind.value,
            "own": view.is_own(m),
        }
        for m in messages[-COPY_LINES:]
    ]
    colours = {
        mode: {role: roles[role] for role in COLOUR_ROLES}
        for mode, roles in (("light", LIGHT), ("dark", DARK))
    }
    return json.dumps({"room": view.room, "colours": colours, "lines": lines}, ensure_ascii=False)


def _cut(text: str) -> str:
    return text if len(text) <= COPY_LINE_CHARS else text[: COPY_LINE_CHARS - 1] + "\u2026"


class OutageCopy:
    """Keeps one tab's copy in its browser: rarely, and only what changed."""

    def __init__(
        self,
        write_copy: Callable[[str], Awaitable[None]],
        make_copy: Callable[[], str],
        interval: float = WRITE_INTERVAL,
    ) -> None:
        self._write_copy = write_copy
        self._make_copy = make_copy
        self._interval = interval
        self._written: str | None = None
        self._pending: asyncio.TimerHandle | None = None

    def changed(self) -> None:
        """The tab's conversation changed: write the copy within the interval."""
        if self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(
                self._interval, lambda: loop.create_task(self._write(only_if_changed=True))
            )

    async def write_now(self) -> None:
        """Write the copy at once, changed or not: the room is shown again."""
        await self._write(only_if_changed=False)

    def stop(self) -> None:
        """The tab closed: write nothing more."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    async def _write(self, only_if_changed: bool) -> None:
        self.stop()
        copy = self._make_copy()
        if only_if_changed and copy == self._written:
            return
        self._written = copy
        await self._write_copy(copy)
