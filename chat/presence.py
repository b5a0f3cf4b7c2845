"""Who is in each room: this process's sessions merged with every other process's reports."""

from __future__ import annotations

import time
from collections.abc import Callable

from chat.domain import EVERY_ROOM, PresenceSnapshot


class PresenceBook:
    """Names by room and session here, plus the latest snapshot from each other node and room.

    A participant added to EVERY_ROOM (the bot) is listed in every room.
    """

    def __init__(self, node: str, ttl: float, clock: Callable[[], float] = time.time):
        self.node = node
        self.ttl = ttl
        self._clock = clock
        self._local: dict[str, dict[str, str]] = {}  # room -> session id -> name
        self._remote: dict[tuple[str, str], PresenceSnapshot] = {}  # (node, room) -> report

    def names(self, room: str) -> tuple[str, ...]:
        """Everyone in `room` on any node, sorted case-insensitively."""
        everyone: dict[str, str] = {}
        for where in (room, EVERY_ROOM):
            for name in self._local.get(where, {}).values():
                everyone.setdefault(name.casefold(), name)
        for (_, where), snapshot in self._remote.items():
            if where in (room, EVERY_ROOM):
                for name in snapshot.names:
                    everyone.setdefault(name.casefold(), name)
        return tuple(sorted(everyone.values(), key=str.casefold))

    def rooms(self) -> set[str]:
        """Every room someone is in, here or on another node (EVERY_ROOM left out)."""
        here = {room for room, sessions in self._local.items() if sessions}
        there = {room for (_, room), snap in self._remote.items() if snap.names}
        return (here | there) - {EVERY_ROOM}

    def local_rooms(self) -> list[str]:
        """The rooms this node reports on: each with a session here, and EVERY_ROOM."""
        return sorted({EVERY_ROOM, *self._local})

    def every_name(self) -> tuple[str, ...]:
        """Everyone online in any room, on any node (each name once)."""
        local = (n for sessions in self._local.values() for n in sessions.values())
        remote = (n for snap in self._remote.values() for n in snap.names)
        return tuple(dict.fromkeys((*local, *remote)))

    def add(self, room: str, session_id: str, name: str) -> None:
        """Record that `session_id` on this node is in `room` as `name`."""
        self._local.setdefault(room, {})[session_id] = name

    def name_of(self, room: str, session_id: str) -> str | None:
        """The name `session_id` joined `room` under on this node, or None if it has not."""
        return self._local.get(room, {}).get(session_id)

    def remove(self, room: str, session_id: str) -> str | None:
        """Take `session_id` out of `room`; return the name it had there."""
        return self._local.get(room, {}).pop(session_id, None)

    def forget_empty(self, room: str) -> None:
        """Stop reporting on `room` once its empty report has gone out."""
        if not self._local.get(room):
            self._local.pop(room, None)

    def live_nodes(self) -> set[str]:
        """This node and every node whose last report has not expired."""
        now = self._clock()
        return {
            self.node,
            *(node for (node, _), snap in self._remote.items() if snap.expires_at >= now),
        }

    def snapshot(self, room: str) -> PresenceSnapshot:
        """This node's report on `room` for the others, valid for `ttl` seconds."""
        return PresenceSnapshot(
            node=self.node,
            room=room,
            names=tuple(sorted(set(self._local.get(room, {}).values()))),
            expires_at=self._clock() + self.ttl,
        )

    def apply(self, snapshot: PresenceSnapshot) -> set[str]:
        """Take another node's report; the rooms whose merged list changed (EVERY_ROOM included)."""
        if snapshot.node == self.node:
            return set()
        room = snapshot.room
        before = self.names(room)
        self._remote[(snapshot.node, room)] = snapshot
        return {room} if self.names(room) != before else set()

    def expire(self) -> set[str]:
        """Drop reports of nodes that went quiet; the rooms whose merged list changed."""
        now = self._clock()
        stale = [key for key, snap in self._remote.items() if snap.expires_at < now]
        changed = set()
        for key in stale:
            room = key[1]
            before = self.names(room)
            del self._remote[key]
            if self.names(room) != before:
                changed.add(room)
        return changed
