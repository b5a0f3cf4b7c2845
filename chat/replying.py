"""Replying to messages: which messages may be replied to, counts of replies, threads."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from chat.domain import Message, MessageKind, RepliesCounted
from chat.rooms import RoomDirectory
from chat.rules import Rejected
from chat.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)

THREAD_PAGE = 50
"""Replies a thread panel opens with (the newest), and pages in at a time from further back."""


class Replying:
    """Checks what a reply answers, counts replies and reads threads, for people who may read."""

    def __init__(
        self,
        store: Store,
        directory: RoomDirectory,
        publish: Callable[[RepliesCounted], Awaitable[None]],
    ):
        self._store = store
        self._directory = directory
        self._publish = publish

    async def original(self, room: str, message_id: str, person_id: str | None) -> Message:
        """Message `message_id` of `room`, which person `person_id` may reply to.

        Rejected (saying why) for a room they may not read, or a message that is
        not in it, is deleted or is a system line; nothing is stored then.
        """
        await self._directory.check(room, person_id)
        message = await self._store.get_message(message_id)
        if message is None or message.room != room:
            raise Rejected("The message you replied to is not in this room any more.")
        if message.is_deleted:
            raise Rejected("The message you replied to was deleted. Your text is still here.")
        if message.kind is MessageKind.SYSTEM:
            raise Rejected("Only messages can get replies, not notices like this one.")
        return message

    async def counted(self, room: str, message_id: str) -> None:
        """Tell every tab of `room` how many replies message `message_id` has now (after a reply
        was committed); a count the store cannot give now comes with the next history read."""
        try:
            count = (await self._store.reply_counts([message_id])).get(message_id, 0)
        except StoreUnavailable as exc:
            log.warning("could not count the replies of %s: %s", message_id, exc)
            return
        await self._publish(RepliesCounted(room, message_id, count))

    async def attach(self, messages: list[Message]) -> list[Message]:
        """`messages` with their counts of replies, read in one query for them all."""
        ids = [m.id for m in messages if m.kind is not MessageKind.SYSTEM]
        found = await self._store.reply_counts(ids)
        if not found:
            return messages
        return [replace(m, reply_count=found[m.id]) if m.id in found else m for m in messages]

    async def counts(
        self, room: str, message_ids: list[str], person_id: str | None
    ) -> dict[str, int]:
        """How many replies each of `message_ids` (of `room`) has now, in one query, for person
        `person_id` (Rejected when they may not read the room); none the store cannot give now."""
        await self._directory.check(room, person_id)
        try:
            return await self._store.reply_counts(message_ids)
        except StoreUnavailable as exc:
            log.warning("could not count replies in %s: %s", room, exc)
            return {}

    async def readable(self, room: str, message_id: str, person_id: str | None) -> Message:
        """Message `message_id` of `room`, for person `person_id`; Rejected when they may not
        read the room or it is not in it."""
        await self._directory.check(room, person_id)
        message = await self._store.get_message(message_id)
        if message is None or message.room != room:
            raise Rejected("That message is not in this room any more.")
        return message

    async def thread(
        self, room: str, message_id: str, person_id: str | None, before_seq: int | None = None
    ) -> tuple[Message, list[Message]]:
        """Message `message_id` of `room` and a page of its replies (the newest THREAD_PAGE
        before `before_seq`, default the newest of all), oldest first, for person `person_id`.

        Rejected when they may not read the room or the message is not in it.
        """
        original = await self.readable(room, message_id, person_id)
        replies = await self._store.replies_to(message_id, THREAD_PAGE, before_seq)
        (original,) = await self.attach([original])
        return original, replies
