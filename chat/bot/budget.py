"""Daily token budgets of one bot, per person and per room, counted in memory by this process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from chat.bot.context import CHARS_PER_TOKEN


def estimate_tokens(chars: int) -> int:
    """Tokens in `chars` characters, when the server did not count them (~4 characters a token)."""
    return -(-chars // CHARS_PER_TOKEN)


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class Left:
    """What one person may still spend today, in one room (None: no limit)."""

    person: int | None
    room: int | None
    person_used: int
    room_used: int


class DailyBudget:
    """Tokens spent on one bot today (UTC) by each person and in each room; 0 limits mean none.

    A reply is refused once either budget is spent; one under way may finish and go a
    little over. The counts live in this process and start again each UTC day.
    """

    def __init__(self, person_limit: int, room_limit: int, today: Callable[[], date] = utc_today):
        self.person_limit = person_limit
        self.room_limit = room_limit
        self._today = today
        self._day: date | None = None
        self._people: dict[str, int] = {}
        self._rooms: dict[str, int] = {}

    def left(self, person: str, room: str) -> Left:
        """What `person` and `room` may still spend today."""
        self._roll()
        person_used, room_used = self._people.get(person, 0), self._rooms.get(room, 0)
        return Left(
            max(self.person_limit - person_used, 0) if self.person_limit else None,
            max(self.room_limit - room_used, 0) if self.room_limit else None,
            person_used,
            room_used,
        )

    def spend(self, person: str, room: str, tokens: int) -> None:
        """Count `tokens` against `person` and `room`."""
        self._roll()
        self._people[person] = self._people.get(person, 0) + tokens
        self._rooms[room] = self._rooms.get(room, 0) + tokens

    def _roll(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._people, self._rooms = today, {}, {}


def refusal(left: Left, author: str, handle: str) -> str | None:
    """The notice for a spent budget, or None while both allow more."""
    if left.person == 0:
        return (
            f"{author}, you have used today's {left.person_used:,} tokens with @{handle}; "
            "more tomorrow (the day ends at midnight UTC)."
        )
    if left.room == 0:
        return (
            f"{author}, this room has used today's {left.room_used:,} tokens with @{handle}; "
            "more tomorrow (the day ends at midnight UTC)."
        )
    return None


def usage_text(left: Left, author: str, handle: str) -> str:
    """What `@bot /usage` answers: what is left today for the asker and for the room."""
    you = (
        f"you have **{left.person:,}** tokens left today (used {left.person_used:,})"
        if left.person is not None
        else f"you have no daily limit (used {left.person_used:,} tokens today)"
    )
    room = (
        f"this room has **{left.room:,}** left (used {left.room_used:,})"
        if left.room is not None
        else f"this room has no daily limit (used {left.room_used:,} tokens today)"
    )
    return f"{author}, with @{handle} {you}; {room}. The day ends at midnight UTC."
