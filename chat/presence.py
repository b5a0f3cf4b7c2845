"""Who is online: this process's sessions merged with every other process's reports."""

from __future__ import annotations

import time
from typing import Callable

from chat.domain import PresenceSnapshot


class PresenceBook:
    """Names by session here, plus the latest snapshot from each other node."""

    def __init__(self, node: str, ttl: float, clock: Callable[[], float] = time.time):
        self.node = node
        self.ttl = ttl
        self._clock = clock
        self._local: dict[str, str] = {}
        self._remote: dict[str, PresenceSnapshot] = {}

    def names(self) -> tuple[str, ...]:
        """Everyone online on any node, sorted case-insensitively."""
        everyone = {name.casefold(): name for name in self._local.values()}
        for snapshot in self._remote.values():
            for name in snapshot.names:
                everyone.setdefault(name.casefold(), name)
        return tuple(sorted(everyone.values(), key=str.casefold))

    def is_taken(self, name: str) -> bool:
        """True if someone online anywhere uses `name`, ignoring case."""
        folded = name.casefold()
        return any(n.casefold() == folded for n in self.names())

    def add(self, session_id: str, name: str) -> None:
        """Record that `session_id` on this node is `name`."""
        self._local[session_id] = name

    def remove(self, session_id: str) -> str | None:
        """Forget `session_id`; return the name it had."""
        return self._local.pop(session_id, None)

    def live_nodes(self) -> set[str]:
        """This node and every node whose last report has not expired."""
        now = self._clock()
        return {self.node, *(node for node, snap in self._remote.items() if snap.expires_at >= now)}

    def snapshot(self) -> PresenceSnapshot:
        """This node's report for the others, valid for `ttl` seconds."""
        return PresenceSnapshot(
            node=self.node,
            names=tuple(sorted(set(self._local.values()))),
            expires_at=self._clock() + self.ttl,
        )

    def apply(self, snapshot: PresenceSnapshot) -> bool:
        """Take another node's report; True if the merged list changed."""
        if snapshot.node == self.node:
            return False
        before = self.names()
        self._remote[snapshot.node] = snapshot
        return self.names() != before

    def expire(self) -> bool:
        """Drop reports of nodes that went quiet; True if the merged list changed."""
        now = self._clock()
        stale = [node for node, snap in self._remote.items() if snap.expires_at < now]
        if not stale:
            return False
        before = self.names()
        for node in stale:
            del self._remote[node]
        return self.names() != before
