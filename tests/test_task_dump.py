"""A hung server tells what it waits on: `kill -USR1` logs each asyncio task's chain of awaits."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
import time

from chat import task_dump
from tests import live_servers
from tests.app_process import AppProcess


async def _inner(gate: asyncio.Event) -> None:
    await gate.wait()


async def _outer(gate: asyncio.Event) -> None:
    await _inner(gate)


async def test_a_waiting_task_is_logged_down_to_the_line_that_waits(caplog):
    gate = asyncio.Event()
    waiting = asyncio.create_task(_outer(gate), name="the-waiter")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="chat.task_dump"):
        task_dump.log_tasks()
    gate.set()
    await waiting
    (record,) = caplog.records
    line = next(line for line in record.getMessage().splitlines() if line.startswith("the-waiter:"))
    chain = r"tests/test_task_dump.py:\d+ _outer > tests/test_task_dump.py:\d+ _inner > asyncio/locks.py:\d+ wait"
    assert re.fullmatch(rf"the-waiter: {chain} > FutureIter", line)  # down to the event's future
    assert task_dump.HEADING in record.getMessage()


def test_a_running_server_logs_its_tasks_when_signalled(tmp_path):
    server = AppProcess(tmp_path).start()
    try:
        assert server.process in live_servers.RUNNING
        assert live_servers.dump_tasks()
        deadline = time.monotonic() + 10
        while task_dump.HEADING not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        dump = server.log().split(task_dump.HEADING, 1)[1]
        assert "uvicorn" in dump or "server.py" in dump  # the server's own tasks are listed
    finally:
        server.terminate()
    assert server.process not in live_servers.RUNNING


def test_a_server_that_ended_is_not_signalled():
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    time.sleep(1.0)  # ended, not yet waited for: its id is still taken (a zombie), then freed
    live_servers.RUNNING.add(ended)
    try:
        assert not live_servers.dump_tasks()
    finally:
        live_servers.RUNNING.discard(ended)
    assert ended.returncode == 0  # reaped, never signalled
