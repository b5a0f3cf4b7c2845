"""The server processes running now: a failed test asks each what its tasks wait on (chat/task_dump.py)."""

from __future__ import annotations

import signal
import subprocess
import time

RUNNING: set[subprocess.Popen] = set()
"""Servers started by tests/browser_support.py and tests/app_process.py, from when they answer until they stop.

Kept as processes, not ids: one that ended is not signalled, so a reused id cannot be
(SIGUSR1 ends a process that has no handler for it, as a server still starting has not).
"""

DUMP_WAIT = 1.0
"""Seconds a server gets to write its dump to its log."""


def dump_tasks() -> bool:
    """Signal every running server to log its tasks; True once they had time to (False: none runs)."""
    running = [server for server in RUNNING if server.poll() is None]
    for server in running:
        server.send_signal(signal.SIGUSR1)
    if running:
        time.sleep(DUMP_WAIT)
    return bool(running)
