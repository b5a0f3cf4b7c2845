"""The ChangesStore interface: which messages changed lately, for a relay that lost an event.

A new message is caught up by its room sequence number. A change to an old one (an edit,
a deletion, a reply's final text, a reaction) has no such number, so the store stamps
each message with when it last changed (`changed_at`, by the database's own clock, set by
triggers, so no write path can forget it) and answers what changed after a moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from chat.domain import Message
from chat.store.rows import COLUMNS, Row, row_to_message

CHANGED_COLUMNS = f"{COLUMNS}, changed_at"


class ChangeCursor(NamedTuple):
    """A place in the order of changes: a change stamp, and a message id to break ties."""

    stamp: float
    message_id: str = ""

    def back(self, seconds: float) -> ChangeCursor:
        """This place, `seconds` earlier (to look again at changes that may commit late)."""
        return ChangeCursor(self.stamp - seconds)


class Changes(NamedTuple):
    """What `changed_after` found: the messages, and the cursor to ask after next."""

    cursor: ChangeCursor
    messages: list[Message]


class ChangesStore(Protocol):
    """Recently changed messages, by the store's change stamp."""

    async def changed_after(self, cursor: ChangeCursor | None, limit: int) -> Changes:
        """Up to `limit` messages changed after `cursor` (a stamp this method returned), oldest
        change first (without their reactions: ask reactions_of). `None` asks only for the
        cursor of now."""


def changes_from_rows(rows: Sequence[Row], cursor: ChangeCursor) -> Changes:
    """The Changes that rows of CHANGED_COLUMNS, in change order, make after `cursor`."""
    if rows:
        cursor = ChangeCursor(float(rows[-1]["changed_at"]), rows[-1]["id"])
    return Changes(cursor, [row_to_message(row) for row in rows])
