"""Words for a tab whose socket the guard closed, kept until the tab's session comes back.

The web client reconnects to the same Flet session at once, and what it
showed for the close is gone with the redraw; so the guard leaves its reason
here, by session id, and the page shows it again when it is connected again.
"""

from __future__ import annotations

from collections import OrderedDict

MAX_KEPT = 1000
"""Notices kept at most; the oldest go first (a session that never came back)."""


class SocketNotices:
    """Session id -> what to tell that session's tab when it is back."""

    def __init__(self, max_kept: int = MAX_KEPT):
        self._kept: OrderedDict[str, str] = OrderedDict()
        self._max_kept = max_kept

    def tell(self, session_id: str, text: str) -> None:
        """Keep `text` for the tab of `session_id` (an empty id is no session: nothing kept)."""
        if not session_id:
            return
        self._kept[session_id] = text
        self._kept.move_to_end(session_id)
        while len(self._kept) > self._max_kept:
            self._kept.popitem(last=False)

    def take(self, session_id: str) -> str | None:
        """What was kept for `session_id`, once."""
        return self._kept.pop(session_id, None)
