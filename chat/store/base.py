"""The Store interface: the one place messages are kept and numbered."""

from __future__ import annotations

from typing import Protocol

from chat import metrics
from chat.domain import Draft, Message, MessageStatus, Room
from chat.message_meta import MessageMeta
from chat.store.api import ApiStore
from chat.store.changes import ChangesStore
from chat.store.edits import EditsStore
from chat.store.moderation import ModerationStore
from chat.store.people import PeopleStore
from chat.store.reactions import ReactionsStore
from chat.store.reads import ReadsStore
from chat.store.replies import RepliesStore
from chat.store.search import SearchStore


class StoreUnavailable(RuntimeError):
    """The database did not answer; nothing was saved. Each one raised is counted on /metrics."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        metrics.STORE_ERRORS.inc()


class RoomTaken(ValueError):
    """A room of that name exists already."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A room called “{name}” exists already. Pick another name.")
        self.name = name


class Store(
    PeopleStore,
    ModerationStore,
    ApiStore,
    ReadsStore,
    EditsStore,
    SearchStore,
    ReactionsStore,
    ChangesStore,
    RepliesStore,
    Protocol,
):
    """Durable, per-room ordered message log (and the people who write). The store assigns `seq`."""

    async def open(self) -> None:
        """Connect and apply pending migrations."""

    async def close(self) -> None:
        """Release connections."""

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers."""

    async def add_message(self, draft: Draft) -> Message:
        """Commit a draft with the room's next sequence number.

        A draft whose (room, client_id) is already stored returns the stored
        message instead of adding another.
        """

    async def update_message(
        self, message_id: str, text: str, status: MessageStatus, meta: MessageMeta
    ) -> Message:
        """Replace a message's text, status and meta; return the new version."""

    async def checkpoint_message(self, message_id: str, text: str) -> bool:
        """Save the text so far of a message still streaming; False if it is not (any more).

        The status and meta stay as they are, and a message already finished is
        never changed: a checkpoint that arrives late cannot undo the final text.
        """

    async def get_message(self, message_id: str) -> Message | None:
        """One message by id."""

    async def history(self, room: str, before_seq: int | None, limit: int) -> list[Message]:
        """Up to `limit` messages before `before_seq` (or the newest), oldest first."""

    async def history_after(self, room: str, after_seq: int, limit: int) -> list[Message]:
        """Up to `limit` messages after `after_seq`, oldest first."""

    async def count_messages(self) -> int:
        """How many messages are stored in all rooms."""

    async def file_attached(self, file_id: str) -> bool:
        """True when a message (a tombstone too) names the uploaded file `file_id` in its attachments."""

    async def room_names(self) -> list[str]:
        """Every room, sorted bytewise (a message into a room without a row creates it)."""

    async def create_room(self, room: Room, members: tuple[str, ...] = ()) -> Room:
        """Add `room` with `members` (person ids); RoomTaken if its name is in use."""

    async def get_room(self, name: str) -> Room | None:
        """The room called `name`, or None."""

    async def list_rooms(self, member: str | None = None) -> list[Room]:
        """The rooms person `member` (an id) may see (every room for None), the most recently active first.

        Public rooms are seen by everyone, private ones by their members only.
        """

    async def add_member(self, room: str, member: str, added_by: str) -> bool:
        """Make person `member` (an id) a member of `room`, added by person id `added_by`; False if one already."""

    async def is_member(self, room: str, member: str) -> bool:
        """True if person `member` (an id) is a member of `room`."""

    async def unfinished_messages(self) -> list[Message]:
        """Messages still marked streaming (left behind by a process that died)."""
