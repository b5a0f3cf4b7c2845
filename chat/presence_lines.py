"""Join and leave lines: at most one per person per flap window, and a bounded number per address.

A person whose connection flaps (joins and leaves again and again) would
otherwise fill the room with "joined"/"left" lines. Each person gets at most
one line per window; what changes meanwhile is summed up in the next line,
at the end of the window, and only if it still differs from what the room
was last told. So the lines always end up telling the truth, late at worst.
The presence list itself is never delayed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from chat.limits import BucketsByKey

log = logging.getLogger(__name__)

Post = Callable[[str], Awaitable[None]]


@dataclass
class _Person:
    address: str
    present: Counter[str] = field(default_factory=Counter)
    """Names this person is in the room under now (sessions per name)."""
    announced: set[str] = field(default_factory=set)
    """Names the room was last told this person is present under."""
    last_line: float = float("-inf")
    timer: asyncio.TimerHandle | None = None


class PresenceLines:
    """Decides when to post "X joined" / "X left"; `window` 0 posts every change at once."""

    def __init__(
        self,
        window: float,
        lines_per_address: int,
        post: Post,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.window = window
        self._post = post
        self._clock = clock
        rate = lines_per_address / window if window > 0 else float("inf")
        self._per_address = BucketsByKey(rate, lines_per_address, clock)
        self._people: dict[str, _Person] = {}
        self._tasks: set[asyncio.Task] = set()
        self._swept = 64
        """People kept after the last sweep (sweeps run as that number doubles)."""

    async def joined(self, person: str, address: str, name: str, announced: bool = False) -> None:
        """`person` (from `address`) is in the room as `name`; `announced`: the room was told already."""
        if len(self._people) > 2 * self._swept:
            self._sweep()
        entry = self._people.setdefault(person, _Person(address))
        entry.address = address or entry.address
        entry.present[name] += 1
        if announced:
            entry.announced.add(name)
        await self._settle(person)

    def knows(self, person: str) -> bool:
        """True while `person`'s lines are remembered (they were here within a window)."""
        return person in self._people

    async def left(self, person: str, name: str) -> None:
        """`person` is no longer in the room as `name`."""
        entry = self._people.get(person)
        if entry is None:
            return
        entry.present[name] -= 1
        if entry.present[name] <= 0:
            del entry.present[name]
        await self._settle(person)

    async def same_person(self, old: str, new: str) -> None:
        """`old` turned out to be `new` (a tab identified its browser after joining): one person from now on."""
        entry = self._people.pop(old, None)
        if entry is None or old == new:
            if entry is not None:
                self._people[old] = entry
            return
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        into = self._people.get(new)
        if into is None:
            self._people[new] = entry
        else:
            into.present.update(entry.present)
            into.announced |= entry.announced
            into.last_line = max(into.last_line, entry.last_line)
        await self._settle(new)

    def close(self) -> None:
        """Drop pending lines (the process is stopping)."""
        for entry in self._people.values():
            if entry.timer is not None:
                entry.timer.cancel()
        for task in self._tasks:
            task.cancel()

    def pending(self) -> int:
        """People with a line still to post."""
        return sum(1 for entry in self._people.values() if entry.timer is not None)

    async def _settle(self, person: str) -> None:
        entry = self._people[person]
        arrived = sorted(set(entry.present) - entry.announced)
        gone = sorted(entry.announced - set(entry.present))
        now = self._clock()
        if not arrived and not gone:
            if entry.timer is not None:
                entry.timer.cancel()
                entry.timer = None
            if not entry.present and not entry.announced and now - entry.last_line >= self.window:
                del self._people[person]
            return
        if self.window > 0:
            wait = max(
                entry.last_line + self.window - now,
                self._per_address.bucket(entry.address).wait_for(),
            )
            if wait > 0:
                if entry.timer is None:
                    entry.timer = asyncio.get_running_loop().call_later(
                        wait, self._settle_later, person
                    )
                return
            self._per_address.bucket(entry.address).take()
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        entry.last_line = now
        entry.announced = set(entry.present)
        await self._post(
            ", ".join([f"{name} left" for name in gone] + [f"{name} joined" for name in arrived])
        )

    def _sweep(self) -> None:
        # People who left, were told about, and whose window has passed need no memory.
        now = self._clock()
        for person in [
            key
            for key, entry in self._people.items()
            if not entry.present
            and not entry.announced
            and entry.timer is None
            and now - entry.last_line >= self.window
        ]:
            del self._people[person]
        self._swept = max(64, len(self._people))

    def _settle_later(self, person: str) -> None:
        entry = self._people.get(person)
        if entry is None:
            return
        entry.timer = None
        task = asyncio.get_running_loop().create_task(self._settle(person))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
