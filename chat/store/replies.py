"""The RepliesStore interface: messages that reply to another one of their room."""

from __future__ import annotations

from typing import Protocol

from chat.domain import Message


class RepliesStore(Protocol):
    """Replies, kept as `messages.reply_to` (the original's id), read with their original's quote."""

    async def reply_counts(self, message_ids: list[str]) -> dict[str, int]:
        """How many replies each message in `message_ids` has (tombstones too), in one query;
        a message without replies is left out."""

    async def replies_to(
        self, message_id: str, limit: int, before_seq: int | None = None
    ) -> list[Message]:
        """The newest `limit` replies to message `message_id` before `before_seq` (default: the
        newest of all), oldest first: a page of its thread, as history pages the room."""
