"""Fixtures every test module may use."""

from pathlib import Path

import pytest

from chat import task_dump
from tests import live_servers

pytest_plugins = [
    "tests.fake_openai",  # fake_openai: a real OpenAI-compatible server on loopback
    "tests.servers",  # pg_database, shared_servers, exclusive_servers: PostgreSQL and Redis
]


def pytest_unconfigure(config):
    # Flet logs each session it frees from weakref finalizers, the last ones at interpreter
    # exit, after pytest has closed the streams its log handlers wrote to: without this,
    # every run ended in pages of "--- Logging error ---" that hid the summary.
    import logging

    logging.raiseExceptions = False


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Chromium tests on one worker, the rest beside them; a crashed worker hangs nothing."""
    from tests.scheduling import make_scheduler

    return make_scheduler(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test shows the end of each server log it wrote beside the traceback.

    Chromium tests log to artifacts/server-<test>.log; server processes a test starts
    itself (tests/app_process.py) log to server-<port>.log in its tmp_path. CI shows only
    this output: the files stay on the machine that ran them. When the test itself failed,
    the servers still running are first asked to log what their tasks wait on
    (chat/task_dump.py): a hang then names the line it hangs on.
    """
    report = yield
    if report.failed:
        if call.when == "call":
            live_servers.dump_tasks()  # a hang shows where each server waits
        for log in _server_logs(item):
            report.sections.append((f"end of {log.name}", _tail(log.read_text(errors="replace"))))
    return report


def _tail(log: str) -> str:
    """The log's last lines before the servers' task dump, and the dump itself."""
    lines = log.splitlines()
    end = max((i for i, line in enumerate(lines) if task_dump.HEADING in line), default=len(lines))
    return "\n".join(lines[max(0, end - SERVER_LOG_LINES) : end] + lines[end:][:DUMP_LINES])


def _server_logs(item) -> list[Path]:
    from tests.browser_support import artifacts_dir

    logs = [artifacts_dir() / f"server-{item.name}.log"]
    tmp_path = getattr(item, "funcargs", {}).get("tmp_path")
    if tmp_path is not None:
        logs += sorted(Path(tmp_path).glob("server-*.log"))
    return [log for log in logs if log.exists()]


SERVER_LOG_LINES = 40
DUMP_LINES = 300


@pytest.fixture(autouse=True)
def logging_as_it_was():
    """Undo what a test's in-process `confab ...` (chat.cli.main) did to logging.

    main() points the root logger at the sys.stderr of that moment, which under pytest is
    a capture closed when the test ends: every later line logged in that worker, such as
    Flet's "FletApp was garbage collected" from a finalizer, then printed a "Logging
    error" traceback into the run's output.
    """
    import logging

    from chat.logs import UVICORN_LOGGERS

    loggers = [logging.getLogger(), *map(logging.getLogger, UVICORN_LOGGERS)]
    saved = [(lg.handlers[:], lg.filters[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, (handlers, filters, level, propagate) in zip(loggers, saved):
        lg.handlers[:], lg.filters[:], lg.propagate = handlers, filters, propagate
        lg.setLevel(level)
