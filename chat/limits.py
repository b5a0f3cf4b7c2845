"""Token buckets: how often one person or session may do something."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Allows `burst` actions at once and `rate` per second after that."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        initial: float | None = None,
    ):
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst if initial is None else min(initial, burst))
        self._stamp = clock()

    def take(self, cost: float = 1.0) -> float:
        """Spend `cost` tokens: 0.0 when allowed, else the seconds until they are there."""
        self._refill()
        if self._tokens >= cost:
            self._tokens -= cost
            return 0.0
        return (cost - self._tokens) / self.rate if self.rate > 0 else float("inf")

    def wait_for(self, cost: float = 1.0) -> float:
        """Seconds until `cost` tokens are there (0.0: now), spending nothing."""
        self._refill()
        if self._tokens >= cost:
            return 0.0
        return (cost - self._tokens) / self.rate if self.rate > 0 else float("inf")

    @property
    def tokens(self) -> float:
        """Tokens there are now."""
        self._refill()
        return self._tokens

    @property
    def is_full(self) -> bool:
        """True when the bucket is as good as new (forgetting it loses nothing)."""
        return self.tokens >= self.burst

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now


class BucketsByKey:
    """One TokenBucket per key (a person, an address), made on first use.

    A bucket that has filled up again is as good as a new one, so such buckets
    are dropped now and then: memory follows the keys active lately, and a key
    that comes back (a rejoin) finds its bucket as it left it.
    """

    PRUNE_EVERY = 1024
    """Takes between two sweeps for full buckets."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[str, TokenBucket] = {}
        self._takes = 0

    def take(self, key: str) -> float:
        """Spend one of `key`'s tokens; see TokenBucket.take."""
        return self.bucket(key).take()

    def bucket(self, key: str) -> TokenBucket:
        """`key`'s bucket, made full on first use."""
        self._takes += 1
        if self._takes % self.PRUNE_EVERY == 0:
            self.prune()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self._clock)
        return bucket

    def prune(self) -> None:
        """Drop buckets that are full again."""
        for key in [k for k, b in self._buckets.items() if b.is_full]:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)

    def forget(self, key: str) -> None:
        """Drop `key`'s bucket (its session ended)."""
        self._buckets.pop(key, None)


def take_from_all(*buckets: TokenBucket) -> float:
    """Spend one token from every bucket, or from none: 0.0 when allowed, else the longest wait."""
    wait = max((bucket.wait_for() for bucket in buckets), default=0.0)
    if wait > 0:
        return wait
    for bucket in buckets:
        bucket.take()
    return 0.0
