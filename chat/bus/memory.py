"""The in-process bus: one server process, no network."""

from __future__ import annotations

from chat.bus.base import Deliver
from chat.domain import BusEvent


class MemoryBus:
    """Hands each published event straight to this process's relay."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, event: BusEvent) -> None:
        if self._deliver is not None:
            await self._deliver(event)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._deliver = None
