"""What happens to an address whose sockets misbehave: a log line, and a pause before it may reconnect."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("chat.sockets")

LOG_WINDOW = 60.0
"""Seconds during which one address gets at most one log line."""
LOG_LINES_PER_WINDOW = 20
"""Lines about bad sockets per window, all addresses together (many addresses are many lines)."""


class OffenceLog:
    """One warning per offending address per window; the rest are counted into the next line."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._last_line: dict[str, float] = {}
        self._unlogged: Counter[str] = Counter()
        self._window_start = clock()
        self._lines_in_window = 0
        self._dropped_in_window = 0

    def report(self, address: str, what: str) -> None:
        """Note that `address` did `what`; log it unless this address (or everyone) was logged lately."""
        now = self._clock()
        if now - self._window_start >= LOG_WINDOW:
            if self._dropped_in_window:
                log.warning(
                    "%d more bad sockets were not logged in the last %.0f s (too many addresses)",
                    self._dropped_in_window,
                    now - self._window_start,
                )
            self._window_start, self._lines_in_window, self._dropped_in_window = now, 0, 0
            self._forget_before(now - LOG_WINDOW)
        last = self._last_line.get(address)
        if last is not None and now - last < LOG_WINDOW:
            self._unlogged[address] += 1
            return
        if self._lines_in_window >= LOG_LINES_PER_WINDOW:
            self._dropped_in_window += 1
            return
        more = self._unlogged.pop(address, 0)
        since = f" (and {more} more since the last line about it)" if more else ""
        log.warning(
            "closed a WebSocket from %s: %s%s", address or "an unknown address", what, since
        )
        self._last_line[address] = now
        self._lines_in_window += 1

    def _forget_before(self, cutoff: float) -> None:
        for address in [
            a for a, t in self._last_line.items() if t < cutoff and not self._unlogged[a]
        ]:
            del self._last_line[address]
            self._unlogged.pop(address, None)


@dataclass
class _Strikes:
    count: int
    until: float
    last: float


class CoolDowns:
    """After an address floods, its new sockets wait: `base` seconds, doubling per repeat, at most 16x.

    Without a pause, Flet's web client reconnects half a second after being
    closed and floods again, round after round. Strikes are forgotten after
    `forget_after` seconds without one.
    """

    MAX_DOUBLINGS = 4

    def __init__(
        self, base: float, forget_after: float = 600.0, clock: Callable[[], float] = time.monotonic
    ):
        self.base = base
        self.forget_after = forget_after
        self._clock = clock
        self._strikes: dict[str, _Strikes] = {}

    def punish(self, address: str) -> float:
        """Record a flood from `address`; the seconds it must now wait."""
        now = self._clock()
        self._expire(now)
        strikes = self._strikes.get(address)
        count = 1 if strikes is None else strikes.count + 1
        pause = self.base * 2 ** min(count - 1, self.MAX_DOUBLINGS)
        self._strikes[address] = _Strikes(count, now + pause, now)
        return pause

    def strikes(self, address: str) -> int:
        """How many floods from `address` are remembered (0: none lately)."""
        strikes = self._strikes.get(address)
        return strikes.count if strikes is not None else 0

    def remaining(self, address: str) -> float:
        """Seconds `address` must still wait before its sockets are served (0.0: none)."""
        strikes = self._strikes.get(address)
        return max(0.0, strikes.until - self._clock()) if strikes is not None else 0.0

    def _expire(self, now: float) -> None:
        for address in [a for a, s in self._strikes.items() if now - s.last > self.forget_after]:
            del self._strikes[address]
