"""`kill -USR1 <pid>` logs what each of the server's asyncio tasks is waiting on.

For a hang: a tab that waits for an answer that never comes, in production or
in a test (tests/conftest.py signals a failed test's servers). Task.get_stack()
shows only a suspended task's outermost frame, so each task's chain of awaits
is walked here instead, down to the line that waits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

HEADING = "asyncio tasks, each with what it waits on"
"""The first words of a dump (tests find the dump in a log by them)."""


def install() -> None:
    """Log the tasks on SIGUSR1 (call from within the running loop; not on Windows)."""
    if hasattr(signal, "SIGUSR1"):
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, log_tasks)


def log_tasks() -> None:
    """Log every task of the running loop, one line each, with the await chain it is in."""
    lines = sorted(f"{task.get_name()}: {waits_on(task)}" for task in asyncio.all_tasks())
    log.warning("%s (%d):\n%s", HEADING, len(lines), "\n".join(lines))


def waits_on(task: asyncio.Task) -> str:
    """'file:line function > ...' from the task's coroutine down to the innermost await."""
    steps = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame: FrameType | None = (
            getattr(awaited, "cr_frame", None)
            or getattr(awaited, "gi_frame", None)
            or getattr(awaited, "ag_frame", None)
        )
        if frame is None:
            steps.append(type(awaited).__name__)  # a future's iterator, or a C-level awaitable
            break
        steps.append(f"{_short(frame.f_code.co_filename)}:{frame.f_lineno} {frame.f_code.co_name}")
        awaited = (
            getattr(awaited, "cr_await", None)
            or getattr(awaited, "gi_yieldfrom", None)
            or getattr(awaited, "ag_await", None)
        )
    return " > ".join(steps)


def _short(filename: str) -> str:
    path = Path(filename)
    return f"{path.parent.name}/{path.name}"
