"""The server processes running now: a failed test asks each what its tasks wait on (chat/task_dump.py)."""

from __future__ import annotations

import os
import signal
import time

RUNNING: set[int] = set()
"""Process ids of servers started by tests/browser_support.py and tests/app_process.py, until they stop."""

DUMP_WAIT = 1.0
"""Seconds a server gets to write its dump to its log."""


def dump_tasks() -> bool:
    """Signal every running server to log its tasks; True once they had time to (False: none runs)."""
    signalled = False
    for pid in list(RUNNING):
        try:
            os.kill(pid, signal.SIGUSR1)
            signalled = True
        except ProcessLookupError:
            RUNNING.discard(pid)
    if signalled:
        time.sleep(DUMP_WAIT)
    return signalled
