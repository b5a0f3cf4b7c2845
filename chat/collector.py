"""Short pauses from CPython's cyclic garbage collector in a server holding many tabs.

Measured with `python -m bench.rooms` (scenario 4: 500 tabs in 10 rooms, each
talker writing a line every 2 s): the collector's full passes (generation 2) ran
every 10-20 s and took 1.2-1.5 s each, as they walk every tab's controls. Every
room stood still meanwhile: the p99 was 1.4 s, against 0.2 s for one room of 50.

So a server process freezes (`gc.freeze`) what survives each full pass. Those
objects are long-lived (tabs' controls, rooms' rows), and the next full passes
walk only what is newer. A closed tab's controls hold reference cycles that only
the collector frees: once frozen, they wait for `reclaim`, a pass over everything
every RECLAIM_INTERVAL seconds, as long as one of the old passes but rarer by a
hundred times.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger(__name__)

RECLAIM_INTERVAL = 600.0
"""Seconds between two passes over everything, frozen objects included."""


def keep_pauses_short(reclaim_interval: float = RECLAIM_INTERVAL) -> None:
    """Freeze what exists now and whatever survives a full pass; reclaim every `reclaim_interval` s."""
    gc.freeze()  # what start-up built lives as long as the process
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)
    threading.Thread(
        target=_reclaim_forever, args=(reclaim_interval,), name="confab-gc-reclaim", daemon=True
    ).start()


def reclaim() -> int:
    """One pass over every object, frozen ones included; frees their garbage cycles.

    Returns how many unreachable objects it found; the survivors are frozen again.
    """
    started = time.perf_counter()
    gc.unfreeze()
    found = gc.collect()  # _freeze_survivors freezes what is left, if installed
    log.info(
        "Collector: %d unreachable objects freed in %.0f ms; %d objects frozen",
        found,
        1000 * (time.perf_counter() - started),
        gc.get_freeze_count(),
    )
    return found


def _freeze_survivors(phase: str, info: dict) -> None:
    # Right after a full pass every younger generation is empty too: exactly its
    # survivors are frozen.
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


def _reclaim_forever(interval: float) -> None:
    while True:
        time.sleep(interval)
        reclaim()
