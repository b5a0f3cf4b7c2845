"""Replies left "writing…" by a process that died: ended, by whichever process is alive."""

from __future__ import annotations

import asyncio
import logging

from chat.service import ChatService
from chat.store.base import StoreUnavailable

log = logging.getLogger(__name__)


async def settle_orphans_forever(service: ChatService, ttl: float) -> None:
    """Every presence period, end the replies of processes no longer reporting in."""
    while True:
        # Wait for every live process to report in once, so only dead ones' replies are ended.
        await asyncio.sleep(1.5 * ttl)
        try:
            await service.settle_orphans()
        except StoreUnavailable as exc:
            log.warning("could not check for replies left behind: %s", exc)
        await asyncio.sleep(0.5 * ttl)
