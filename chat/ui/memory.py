"""What a browser remembers between visits: its name, an unsent draft, the theme."""

from __future__ import annotations

import asyncio
import contextlib
import secrets

import flet as ft

PREFIX = "confab."
DRAFT_SAVE_DELAY = 0.8
"""Seconds of no typing before a draft is saved (one write per pause, not per key)."""


class BrowserMemory:
    """SharedPreferences under one prefix; a value that cannot be read is simply absent."""

    def __init__(self) -> None:
        self._prefs = ft.SharedPreferences()
        self._pending_draft: asyncio.TimerHandle | None = None

    async def get(self, key: str) -> str | None:
        """The remembered string for `key`, if any."""
        value = await self._prefs.get(PREFIX + key)
        return value if isinstance(value, str) and value else None

    async def set(self, key: str, value: str | None) -> None:
        """Remember `value` for `key` (None or "" forgets it)."""
        if value:
            await self._prefs.set(PREFIX + key, value)
        else:
            await self._prefs.remove(PREFIX + key)

    async def browser_id(self) -> str:
        """A random id this browser keeps, made on its first visit (one that keeps nothing gets a new one each time)."""
        known = await self.get("browser")
        if known is not None:
            return known[:64]
        made = secrets.token_urlsafe(16)
        await self.set("browser", made)
        return made

    async def set_quietly(self, key: str, value: str | None) -> None:
        """set(), for a tab that may close meanwhile."""
        await self._quietly(self.set(key, value))

    def save_draft_soon(self, text: str) -> None:
        """Remember the composer's text once typing pauses, so a restart loses nothing."""
        if self._pending_draft is not None:
            self._pending_draft.cancel()
        loop = asyncio.get_running_loop()
        self._pending_draft = loop.call_later(
            DRAFT_SAVE_DELAY, lambda: loop.create_task(self._quietly(self.set("draft", text)))
        )

    async def forget_draft(self) -> None:
        """The draft was sent: stop remembering it."""
        if self._pending_draft is not None:
            self._pending_draft.cancel()
            self._pending_draft = None
        await self.set("draft", None)

    @staticmethod
    async def _quietly(write) -> None:
        # A tab that closed mid-write has nothing left to remember.
        with contextlib.suppress(RuntimeError, TimeoutError):
            await write
