"""Uploads that never reached a message are removed once they are a grace period old.

An upload is kept before its message is posted (the file, its thumbnail, then
its record); when the post is refused or the tab goes away in between, nothing
names it, and nobody else may read it. The sweep runs at start and then every
hour on each process: it lists the blobs put before now minus the grace period,
groups them by upload, and removes those no message (a tombstone included)
names. The store is asked about each such upload only, so a sweep costs a
listing and a query per unsent upload, not a scan of every message's files.
Running on several processes at once is harmless: a removal is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chat.blobs import BlobStore
from chat.store.base import StoreUnavailable

log = logging.getLogger(__name__)

SWEEP_EVERY = 3600.0
"""Seconds between two sweeps in the running app."""


class FileIndex(Protocol):
    """What the sweep asks the message store."""

    async def file_attached(self, file_id: str) -> bool:
        """True when a message names the upload `file_id`."""
        ...


class UploadSweep:
    """Removes uploads older than `grace` that no message names."""

    def __init__(
        self,
        blobs: BlobStore,
        messages: FileIndex,
        grace: timedelta,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._blobs = blobs
        self._messages = messages
        self._grace = grace
        self._now = now

    async def sweep(self) -> int:
        """Remove the unsent uploads past the grace period; how many uploads were removed."""
        parts: dict[str, list[str]] = {}
        for blob_id in await self._blobs.ids_before(self._now() - self._grace):
            parts.setdefault(blob_id.split(".", 1)[0], []).append(blob_id)
        removed = 0
        for upload_id, blob_ids in sorted(parts.items()):
            if await self._messages.file_attached(upload_id):
                continue
            # The record last: a sweep cut short leaves it, and the next one finds the rest.
            for blob_id in sorted(blob_ids, key=lambda b: b.endswith(".json")):
                await self._blobs.delete(blob_id)
            removed += 1
        return removed

    async def sweep_forever(self, every: float = SWEEP_EVERY) -> None:
        """Sweep now and then every `every` seconds; a store that does not answer waits a round."""
        while True:
            try:
                removed = await self.sweep()
            except (StoreUnavailable, OSError) as exc:
                log.warning("the sweep of unsent uploads did not run: %s", exc)
            else:
                if removed:
                    log.info("removed %d uploads no message named", removed)
            await asyncio.sleep(every)
