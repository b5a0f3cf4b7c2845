"""Who is typing: when keystrokes become signals, when signals lapse, and the words shown.

Pure bookkeeping with an injected clock; chat/typing_signals.py runs it on the
event loop. A signal names a person by id: a person's own tabs never show them.

- Sending side (`TypingThrottle`): at most one "typing" signal per person and
  room every `every` seconds, a stop when they send, and a stop after `idle`
  seconds without a keystroke.
- Receiving side (`TypingBook`): a signal holds for `expire_after` seconds
  (more than `every`, so a steady typist never flickers), so a tab that
  crashed mid-word never leaves "is typing" behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chat.domain import PersonTyping, Typer

SIGNAL_EVERY = 3.0
"""Seconds between two "typing" signals of one person in one room, at most one each."""
IDLE_STOP_AFTER = 5.0
"""Seconds without a keystroke after which a person counts as having stopped."""
EXPIRE_AFTER = 6.0
"""Seconds a receiver shows a typist after their last signal, unless told they stopped."""
SEVERAL = 3
"""From this many typists on, nobody is named."""

Key = tuple[str, str]
"""(room, person id)."""


@dataclass(slots=True)
class _Typing:
    name: str
    signalled_at: float
    """When the last "typing" signal went out."""
    keyed_at: float
    """When the last keystroke came."""
    stopped: bool = False
    """A stop went out since the last "typing" signal."""


class TypingThrottle:
    """The sending side: which keystrokes, sends and pauses become signals on the bus."""

    def __init__(
        self,
        every: float = SIGNAL_EVERY,
        idle: float = IDLE_STOP_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.every = every
        self.idle = idle
        self._clock = clock
        self._typing: dict[Key, _Typing] = {}

    def keystroke(self, room: str, person_id: str, name: str) -> PersonTyping | None:
        """The "typing" signal to send for this keystroke, or None (one went out recently)."""
        now = self._clock()
        key = (room, person_id)
        state = self._typing.get(key)
        if state is None:
            self._typing[key] = _Typing(name, now, now)
            return PersonTyping(room, person_id, name, True)
        state.keyed_at = now
        if now - state.signalled_at < self.every:
            return None
        state.signalled_at, state.stopped, state.name = now, False, name
        return PersonTyping(room, person_id, name, True)

    def stopped(self, room: str, person_id: str) -> PersonTyping | None:
        """The stop to send when the person sent or left, or None (no "typing" is standing)."""
        state = self._typing.get((room, person_id))
        if state is None or state.stopped:
            return None
        state.stopped = True
        return PersonTyping(room, person_id, state.name, False)

    def idle_stops(self) -> list[PersonTyping]:
        """Stops for everyone whose last keystroke is `idle` seconds old; they are forgotten."""
        now = self._clock()
        stops = []
        for key, state in list(self._typing.items()):
            if now - state.keyed_at >= self.idle:
                del self._typing[key]
                if not state.stopped:
                    stops.append(PersonTyping(key[0], key[1], state.name, False))
        return stops

    def next_idle_in(self) -> float | None:
        """Seconds until someone falls idle, or None when nobody is typing."""
        if not self._typing:
            return None
        now = self._clock()
        return max(0.0, min(s.keyed_at for s in self._typing.values()) + self.idle - now)


class TypingBook:
    """The receiving side: who is typing in each room, as the bus last said, until it lapses."""

    def __init__(
        self, expire_after: float = EXPIRE_AFTER, clock: Callable[[], float] = time.monotonic
    ):
        self.expire_after = expire_after
        self._clock = clock
        self._rooms: dict[str, dict[str, tuple[str, float]]] = {}  # room -> person -> (name, until)

    def apply(self, signal: PersonTyping) -> bool:
        """Take a signal; True when who is typing in its room changed (a refresh changes nothing)."""
        room = self._rooms.setdefault(signal.room, {})
        before = room.get(signal.person_id)
        if signal.typing:
            room[signal.person_id] = (signal.name, self._clock() + self.expire_after)
            return before is None or before[0] != signal.name
        if before is None:
            return False
        del room[signal.person_id]
        if not room:
            del self._rooms[signal.room]
        return True

    def expire(self) -> set[str]:
        """Forget typists not heard from for `expire_after` seconds; the rooms that changed."""
        now = self._clock()
        changed = set()
        for name, room in list(self._rooms.items()):
            lapsed = [person for person, (_, until) in room.items() if until <= now]
            for person in lapsed:
                del room[person]
            if lapsed:
                changed.add(name)
            if not room:
                del self._rooms[name]
        return changed

    def next_expiry_in(self) -> float | None:
        """Seconds until the next typist lapses, or None when nobody is typing anywhere."""
        untils = [until for room in self._rooms.values() for _, until in room.values()]
        return max(0.0, min(untils) - self._clock()) if untils else None

    def typers(self, room: str) -> tuple[Typer, ...]:
        """Everyone typing in `room`, in the order they started."""
        return tuple(Typer(person, name) for person, (name, _) in self._rooms.get(room, {}).items())


def typing_words(typers: Iterable[Typer], viewer_id: str | None) -> str:
    """The line a tab of person `viewer_id` shows: who else is typing ("" for nobody)."""
    names = [t.name for t in typers if t.person_id != viewer_id]
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} is typing…"
    if len(names) < SEVERAL:
        return f"{names[0]} and {names[1]} are typing…"
    return "Several people are typing…"
