"""ReplySlots: how many replies the bot writes at once, and the line of mentions waiting."""

from __future__ import annotations

import asyncio
from collections import deque


class ReplySlots:
    """At most `size` replies at once; the others wait in line, first come, first served."""

    def __init__(self, size: int):
        self._free = max(1, size)
        self._line: deque[asyncio.Future[None]] = deque()

    def claim(self) -> Place:
        """A free slot at once, or the last place in line (decided now, without waiting)."""
        if self._free > 0 and not self._line:
            self._free -= 1
            return Place(self, None, number=0)
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        return Place(self, turn, number=len(self._line))

    @property
    def waiting(self) -> int:
        """Mentions in line."""
        return len(self._line)

    def _hand_on(self) -> None:
        """A slot came free: give it to the first in line, or keep it."""
        while self._line:
            turn = self._line.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

    def _leave(self, turn: asyncio.Future[None]) -> None:
        try:
            self._line.remove(turn)
        except ValueError:
            pass  # already handed a slot


class Place:
    """One mention's claim: a slot, or a place in line that becomes one."""

    def __init__(self, slots: ReplySlots, turn: asyncio.Future[None] | None, number: int):
        self.number = number
        """0 when a slot was free at once, else the place in line when the mention came."""
        self._slots = slots
        self._turn = turn
        self._released = False

    async def wait(self) -> None:
        """Return once this place holds a slot."""
        if self._turn is not None:
            await asyncio.shield(self._turn)

    def release(self) -> None:
        """Give the slot back, or leave the line; safe to call more than once."""
        if self._released:
            return
        self._released = True
        turn = self._turn
        if turn is None or (turn.done() and not turn.cancelled()):
            self._slots._hand_on()  # held a slot (or had just been handed one): pass it on
        else:
            turn.cancel()
            self._slots._leave(turn)
