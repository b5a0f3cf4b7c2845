"""How often one person may ask a bot, per room, and the one notice each wait gets."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from chat.limits import BucketsByKey


class AskingRate:
    """`per_minute` questions per person and room; 0 means the bot takes none."""

    def __init__(self, handle: str, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.handle = handle
        self.per_minute = per_minute
        self._buckets = BucketsByKey(rate=per_minute / 60, burst=per_minute)
        self._told_until: dict[str, float] = {}
        self._clock = clock

    def take(self, key: str, author: str) -> str | None:
        """None if `key` may ask now; else the notice to post ("" when told already this wait)."""
        wait = self._buckets.take(key)
        if wait <= 0:
            return None
        now = self._clock()
        if self._told_until.get(key, 0.0) > now:
            return ""
        self._told_until = {k: t for k, t in self._told_until.items() if t > now}
        self._told_until[key] = now + wait
        return self._notice(author, wait)

    def _notice(self, author: str, wait: float) -> str:
        if self.per_minute <= 0 or math.isinf(wait):
            return f"{author}, @{self.handle} is not taking questions here."
        times = "once" if self.per_minute == 1 else f"{self.per_minute} times"
        return (
            f"{author}, you can ask @{self.handle} {times} a minute; "
            f"try again in {math.ceil(wait)} s."
        )
