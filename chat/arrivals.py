"""Who is behind each session, and the "joined"/"left" lines their coming and going earns.

A line is told only when a person arrives (opens the app) or leaves (closes it,
or their connection drops for good), in the room that heard they arrived. A tab
moving between rooms in the sidebar tells no room anything: presence follows
the tab, the lines do not. chat/presence_lines.py keeps them to one a window.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chat.config import Settings
from chat.domain import Message, MessageKind
from chat.presence_lines import PresenceLines
from chat.store.base import StoreUnavailable

Announce = Callable[[str, str], Awaitable[None]]
Recent = Callable[[str], Awaitable[list[Message]]]


@dataclass(slots=True)
class Visitor:
    """Who is behind a session: its client address and a person key that outlives the session."""

    address: str
    person: str
    person_id: str | None = None
    """The person this session joined as (None until it joins, or for a script)."""
    arrived_in: tuple[str, str] | None = None
    """(room, name) where the room was told this session arrived, until it leaves the app."""

    @property
    def lines_key(self) -> str:
        """Whose join and leave lines these are: the person in all their browsers, else this one."""
        return f"person:{self.person_id}" if self.person_id else self.person


class Arrivals:
    """Each room's join and leave lines, told where a visitor arrived."""

    def __init__(self, settings: Settings, announce: Announce, recent: Recent):
        self._settings = settings
        self._announce = announce
        self._recent = recent
        self._lines: dict[str, PresenceLines] = {}  # room -> its join and leave lines

    async def arrived(self, visitor: Visitor, room: str, name: str, moving: bool) -> None:
        """`visitor` is in `room` as `name`; `moving`: from another room of the same tab."""
        if visitor.arrived_in is not None and (moving or visitor.arrived_in == (room, name)):
            return  # told already, here or in the room the tab comes from
        await self.left(visitor)  # joined again as another name: one arrival at a time
        # A person the lines do not know yet may be back after a restart: the room remembers
        # whether it was told they joined, and is not told twice.
        lines = self._room_lines(room)
        announced = not lines.knows(visitor.lines_key) and await self._still_announced(room, name)
        await lines.joined(visitor.lines_key, visitor.address, name, announced=announced)
        visitor.arrived_in = (room, name)

    async def left(self, visitor: Visitor) -> None:
        """The room where `visitor`'s arrival was told hears they left (at most once a window)."""
        if visitor.arrived_in is not None:
            (room, name), visitor.arrived_in = visitor.arrived_in, None
            await self._room_lines(room).left(visitor.lines_key, name)

    async def same_person(self, before: str, after: str) -> None:
        """Person key `before` turned out to be `after` (a tab named its browser)."""
        for lines in self._lines.values():
            await lines.same_person(before, after)

    def close(self) -> None:
        """Drop lines still waiting (the process is stopping)."""
        for lines in self._lines.values():
            lines.close()

    def _room_lines(self, room: str) -> PresenceLines:
        lines = self._lines.get(room)
        if lines is None:
            settings = self._settings
            lines = self._lines[room] = PresenceLines(
                settings.flap_window,
                settings.flap_lines_per_address,
                lambda text: self._announce(room, text),
            )
        return lines

    async def _still_announced(self, room: str, name: str) -> bool:
        """True when `room`'s last word on `name` is that they joined (a tab back after a restart)."""
        try:
            recent = await self._recent(room)
        except StoreUnavailable:
            return False
        for message in reversed(recent):
            if message.kind is MessageKind.SYSTEM and message.text in (
                f"{name} joined",
                f"{name} left",
            ):
                return message.text == f"{name} joined"
        return False
