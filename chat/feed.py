"""RoomFeed: one session's ordered view of the room's events."""

from __future__ import annotations

from chat.domain import Message, MessagePosted, RoomEvent


class RoomFeed:
    """Drops messages a session already shows and holds events until its backlog is read.

    A session subscribes before it reads the backlog, so nothing posted in
    between is missed; what arrives meanwhile waits here and is replayed
    after the backlog, skipping what the backlog already contained.
    """

    def __init__(self) -> None:
        self.last_seq = 0
        self._held: list[RoomEvent] | None = []

    def take(self, event: RoomEvent) -> list[RoomEvent]:
        """The events to show now for an incoming `event` (maybe none)."""
        if self._held is not None:
            self._held.append(event)
            return []
        return [event] if self._is_new(event) else []

    def backlog_read(self, backlog: list[Message]) -> list[RoomEvent]:
        """Note the backlog as shown; return the held events that come after it."""
        if backlog:
            self.last_seq = max(self.last_seq, backlog[-1].seq)
        held, self._held = self._held or [], None
        return [event for event in held if self._is_new(event)]

    def resume_after(self, seq: int) -> None:
        """Go on from `seq`: a view this session takes over already shows everything up to it."""
        self._held = None
        self.last_seq = seq

    def caught_up(self, missed: list[Message]) -> list[Message]:
        """Of messages fetched after a reconnect, the ones not shown yet, in order."""
        fresh = [m for m in missed if m.seq > self.last_seq]
        if fresh:
            self.last_seq = fresh[-1].seq
        return fresh

    def _is_new(self, event: RoomEvent) -> bool:
        if not isinstance(event, MessagePosted):
            return True
        if event.message.seq <= self.last_seq:
            return False
        self.last_seq = event.message.seq
        return True
