"""Changes the bus did not bring: an edit, a deletion, a reply's final text, a reaction.

The relay's catch-up finds lost messages by their room sequence numbers, but a change to
an old message has no new number. So each catch-up also asks the store what changed since
the last look (ChangesStore), and relays what this process has not relayed already: a
change that did come over the bus is not sent to the tabs twice.

Every change is looked at again for CHANGES_OVERLAP_SECONDS, since one stamped just
before a look may commit just after it (PostgreSQL stamps inside the writing
transaction). What this process has relayed is remembered for the last REMEMBERED
messages: forgetting one costs a repeated event, which the tabs ignore.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime

from chat.domain import Message, MessageChanged, MessageStatus, ReactionsChanged
from chat.store.base import Store
from chat.store.changes import ChangeCursor

CHANGES_OVERLAP_SECONDS = 5.0
CHANGES_BATCH = 500
REMEMBERED = 5000

_State = tuple[str, MessageStatus, str | None, datetime | None]


def _state(message: Message) -> _State:
    return (message.text, message.status, message.deleted_by, message.edited_at)


class ChangeCatchUp:
    """What changed lately in the store, against what this process's relay has relayed."""

    def __init__(self, store: Store):
        self._store = store
        self._cursor: ChangeCursor | None = None
        self._states: OrderedDict[str, _State] = OrderedDict()
        self._versions: OrderedDict[str, int] = OrderedDict()

    async def start(self) -> None:
        """Look from now on (tabs read the history when they open)."""
        self._cursor = (await self._store.changed_after(None, CHANGES_BATCH)).cursor

    def relayed_change(self, event: MessageChanged) -> None:
        """Note a change the relay passed on (from the bus or from here)."""
        if event.message.status.is_final:
            _remember(self._states, event.message.id, _state(event.message))

    def relayed_reactions(self, event: ReactionsChanged) -> None:
        """Note reactions the relay passed on."""
        if event.reactions.version > self._versions.get(event.message_id, 0):
            _remember(self._versions, event.message_id, event.reactions.version)

    async def catch_up(
        self,
        relayed_up_to: Callable[[str], int],
        on_changed: Callable[[MessageChanged], Awaitable[None]],
        on_reactions: Callable[[ReactionsChanged], Awaitable[None]],
    ) -> None:
        """Relay the changes since the last look that this process has not relayed.

        A message not relayed yet (past `relayed_up_to(room)`) is left alone: it is
        relayed whole, in its order, by the sequence catch-up.
        """
        if self._cursor is None:
            await self.start()
            return
        cursor = self._cursor.back(CHANGES_OVERLAP_SECONDS)
        while True:
            changes = await self._store.changed_after(cursor, CHANGES_BATCH)
            known = [m for m in changes.messages if m.seq <= relayed_up_to(m.room)]
            reactions = await self._store.reactions_of([m.id for m in known])
            for message in known:
                # A reply being written again (regenerate) is the writer's to relay, live.
                final = message.status.is_final
                if final and self._states.get(message.id) != _state(message):
                    await on_changed(MessageChanged(message))  # notes it, via relayed_change
                summary = reactions.get(message.id)
                if summary is not None and summary.version > self._versions.get(message.id, 0):
                    await on_reactions(ReactionsChanged(message.room, message.id, summary))
            cursor = changes.cursor
            if len(changes.messages) < CHANGES_BATCH:
                break
        self._cursor = max(self._cursor, cursor)


def _remember(book: OrderedDict, key: str, value: object) -> None:
    book[key] = value
    book.move_to_end(key)
    while len(book) > REMEMBERED:
        book.popitem(last=False)
