"""How the suite's tests are shared between its two pytest-xdist workers.

The Chromium tests (the files named *browser*) go to one worker, one after another,
starting first: two at once would fight over two cores and time out. The other tests,
mostly waiting on sockets, PostgreSQL and Redis, run beside them, one by one on
whichever worker is free.

This is xdist's LoadScopeScheduling with one scope for all Chromium tests and one per
other test, and with two faults of xdist 3.8 mended, each of which hung a run whose
worker crashed until CI gave up (stop 18: a worker crashed at 13 %, the run stalled at
96 % for the rest of its 90 minutes):

- when a worker crashed, every scope it had ever been given went back on the queue,
  finished ones included; handed out again they sent a worker nothing to run, so it
  never reported back and was never given more (pytest-xdist issues 1323 and 1378);
- a replacement worker was given one scope; with one test to run a worker waits for a
  second or for shutdown before running it, and neither came (pytest-xdist issue 1327).

The test a worker crashed on is reported failed and not run again (a crash that
repeats would take each replacement down with it: pytest-xdist pull request 1371).

(A scheduler of our own, since xdist 3.8's `--dist loadgroup` renames node ids, which
pytest 9.2 no longer reads, and so puts no test in a group.)
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

CHROMIUM_SCOPE = "chromium"
AHEAD = 2
"""Tests a worker holds besides the one it runs: it runs a test only once it knows the next."""


class ChromiumTestsTogether(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
        return CHROMIUM_SCOPE if "browser" in module else nodeid

    def remove_node(self, node) -> str | None:
        """Forget a worker; if it crashed, put back what it had not run and name the test it died on."""
        workload = self.assigned_work.pop(node)
        pending = [test for unit in workload.values() for test, done in unit.items() if not done]
        if not pending:
            return None  # it finished its work and shut down
        crashed = pending[0]
        for scope, unit in workload.items():
            if crashed in unit:
                unit[crashed] = True  # reported failed by xdist; never run again
            if not all(unit.values()):
                self.workqueue[scope] = unit
        for other in self.assigned_work:
            self._reschedule(other)
        return crashed

    def _reschedule(self, node) -> None:
        """Keep the worker AHEAD tests ahead while there is work; say when there is no more."""
        if node.shutting_down:
            return
        while self.workqueue and self._pending_of(self.assigned_work[node]) <= AHEAD:
            self._assign_work_unit(node)
        if not self.workqueue:
            node.shutdown()


def make_scheduler(config, log) -> ChromiumTestsTogether:
    return ChromiumTestsTogether(config, log)
