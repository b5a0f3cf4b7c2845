"""Checkpoints: the text of a growing reply saved to the store every few seconds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from chat.store.base import StoreUnavailable

log = logging.getLogger(__name__)


class Checkpoints:
    """Saves the latest text of a reply at most, and while it changes at least, every `interval` s.

    One save at a time, always of the newest text, so an older text never
    lands after a newer one. A process killed mid-reply then loses at most
    `interval` seconds of it (plus one save's time).
    """

    def __init__(self, save: Callable[[str], Awaitable[object]], interval: float):
        self._save = save
        self._interval = interval
        self._loop = asyncio.get_running_loop()
        self._last = self._loop.time()  # the reply was stored, empty, when it began
        self._latest = ""
        self._saved = ""
        self._timer: asyncio.TimerHandle | None = None
        self._saving: asyncio.Task | None = None
        self._closed = False

    def changed(self, text: str) -> None:
        """The reply now reads `text`; it is saved when its turn comes."""
        if self._closed:
            return
        self._latest = text
        if self._timer is None and self._saving is None:
            self._arm()

    async def close(self) -> None:
        """No more checkpoints; wait for one already under way (the final save comes after)."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._saving is not None:
            await asyncio.wait([self._saving])

    def _arm(self) -> None:
        wait = max(0.0, self._last + self._interval - self._loop.time())
        self._timer = self._loop.call_later(wait, self._start)

    def _start(self) -> None:
        self._timer = None
        if self._closed or self._latest == self._saved:
            return
        self._saving = asyncio.create_task(self._run(self._latest), name="reply-checkpoint")

    async def _run(self, text: str) -> None:
        self._last = self._loop.time()
        try:
            await self._save(text)
            self._saved = text
        except StoreUnavailable as exc:
            # The reply goes on; the next checkpoint (or the final save) tries again.
            log.warning("could not checkpoint a bot reply: %s", exc)
        finally:
            self._saving = None
            if not self._closed and self._latest != self._saved:
                self._arm()
