"""Small statistics helpers for the benchmark's reports."""

from __future__ import annotations

import math
from typing import Iterable, Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (nearest rank) of `values`, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary_ms(seconds: Iterable[float]) -> dict[str, float | None]:
    """p50/p95/p99/max of latencies given in seconds, reported in milliseconds."""
    values = sorted(seconds)
    def ms(x: float | None) -> float | None:
        return None if x is None else round(x * 1000, 1)
    return {
        "p50_ms": ms(percentile(values, 50)),
        "p95_ms": ms(percentile(values, 95)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(values[-1] if values else None),
    }


def out_of_order(order: Sequence[tuple[int, int]], reference_rank: dict[tuple[int, int], int]) -> int:
    """Arrivals that came after a message the room's order puts later (or a later one from the same sender)."""
    count = 0
    highest_rank = -1
    highest_index: dict[int, int] = {}
    for key in order:
        sender, index = key
        rank = reference_rank.get(key, -1)
        late_in_room = 0 <= rank < highest_rank
        late_from_sender = index < highest_index.get(sender, -1)
        if late_in_room or late_from_sender:
            count += 1
        highest_rank = max(highest_rank, rank)
        highest_index[sender] = max(highest_index.get(sender, -1), index)
    return count


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
