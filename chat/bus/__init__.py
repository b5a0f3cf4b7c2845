"""Buses between server processes, chosen by BUS_URL."""

from __future__ import annotations

from chat.bus.base import Bus, BusUnavailable, Deliver

__all__ = ["Bus", "BusUnavailable", "Deliver", "open_bus"]


def open_bus(url: str, channel: str = "confab:events") -> Bus:
    """A bus for `url` (memory:// or redis://...); the Redis driver loads lazily."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "memory":
        from chat.bus.memory import MemoryBus

        return MemoryBus()
    if scheme in ("redis", "rediss"):
        from chat.bus.redis import RedisBus

        return RedisBus(url, channel=channel)
    raise ValueError(f"BUS_URL scheme {scheme!r} is not supported (use memory:// or redis://)")
