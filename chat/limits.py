"""Token buckets: how often one person or session may do something."""

from __future__ import annotations

import time
from typing import Callable


class TokenBucket:
    """Allows `burst` actions at once and `rate` per second after that."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def take(self) -> float:
        """Spend a token: 0.0 when allowed, else the seconds until one is free."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate if self.rate > 0 else float("inf")


class BucketsByKey:
    """One TokenBucket per key (a session, a person), made on first use."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: str) -> float:
        """Spend one of `key`'s tokens; see TokenBucket.take."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self._clock)
        return bucket.take()

    def forget(self, key: str) -> None:
        """Drop `key`'s bucket (its session ended)."""
        self._buckets.pop(key, None)
