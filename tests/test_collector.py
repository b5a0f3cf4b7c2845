"""chat/collector.py: survivors of a full pass are frozen, and their garbage is reclaimed later.

Each case runs in its own interpreter: freezing changes the collector for the whole process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRELUDE = """
import gc, time, weakref
from chat import collector

class Node:
    pass

def cycle():
    node = Node()
    node.me = node  # only the collector frees it
    return node
"""


def run(body: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + body],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


def test_a_survivor_of_a_full_pass_is_frozen_and_its_garbage_waits_for_reclaim():
    out = run("""
collector.keep_pauses_short(reclaim_interval=3600)
survivor = cycle()
gone = weakref.ref(survivor)
before = gc.get_freeze_count()
gc.collect()  # a full pass: the survivor is long-lived now
print(gc.get_freeze_count() > before)
del survivor
gc.collect()  # full passes no longer walk it
print(gone() is not None)
print(collector.reclaim() > 0, gone() is None, gc.get_freeze_count() > 0)
""")
    assert out == ["True", "True", "True", "True", "True"]


def test_young_garbage_is_still_freed_by_the_next_pass():
    out = run("""
collector.keep_pauses_short(reclaim_interval=3600)
young = cycle()
gone = weakref.ref(young)
del young
gc.collect()
print(gone() is None)
""")
    assert out == ["True"]


def test_the_reclaim_thread_frees_frozen_garbage_on_its_own():
    out = run("""
collector.keep_pauses_short(reclaim_interval=0.2)
survivor = cycle()
gone = weakref.ref(survivor)
gc.collect()
del survivor
deadline = time.monotonic() + 10
while gone() is not None and time.monotonic() < deadline:
    time.sleep(0.05)
print(gone() is None)
""")
    assert out == ["True"]
