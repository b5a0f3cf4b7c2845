"""The Bus interface: carries committed room events between server processes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from chat import metrics
from chat.domain import BusEvent

Deliver = Callable[[BusEvent], Awaitable[None]]
"""Where a bus hands every event it receives, in the order it received them."""


class BusUnavailable(RuntimeError):
    """The bus could not take the event (its server is down). Each one raised is counted on /metrics."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        metrics.BUS_ERRORS.inc()


class Bus(Protocol):
    """Publish events to every process, and deliver everyone's events to this one."""

    async def start(self, deliver: Deliver) -> None:
        """Begin delivering received events (this process's own included) to `deliver`."""

    async def publish(self, event: BusEvent) -> None:
        """Send `event` to every process; raise BusUnavailable if it cannot."""

    async def ping(self) -> None:
        """Raise BusUnavailable unless the bus answers."""

    async def close(self) -> None:
        """Stop delivering and release connections."""
