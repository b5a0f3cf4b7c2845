"""The Store interface: the one place messages are kept and numbered."""

from __future__ import annotations

from typing import Protocol

from chat.domain import Draft, Message, MessageStatus


class StoreUnavailable(RuntimeError):
    """The database did not answer; nothing was saved."""


class Store(Protocol):
    """Durable, per-room ordered message log. The store assigns `seq`."""

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
        self, message_id: str, text: str, status: MessageStatus, meta: dict[str, str]
    ) -> Message:
        """Replace a message's text, status and meta; return the new version."""

    async def get_message(self, message_id: str) -> Message | None:
        """One message by id."""

    async def history(self, room: str, before_seq: int | None, limit: int) -> list[Message]:
        """Up to `limit` messages before `before_seq` (or the newest), oldest first."""

    async def history_after(self, room: str, after_seq: int, limit: int) -> list[Message]:
        """Up to `limit` messages after `after_seq`, oldest first."""

    async def count_messages(self) -> int:
        """How many messages are stored in all rooms."""

    async def unfinished_messages(self) -> list[Message]:
        """Messages still marked streaming (left behind by a process that died)."""
