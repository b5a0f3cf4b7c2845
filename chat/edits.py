"""Edits and deletions by a message's own author, and the earlier versions moderators may read.

Every check is made here against the stored message and the person the tab
joined as (never what a client says the message is). A change is stored,
then published as the MessageChanged every tab and process already applies.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from chat.config import Settings
from chat.domain import (
    BusEvent,
    Message,
    MessageChanged,
    MessageKind,
    RegenerateRequested,
    utc_now,
)
from chat.limits import BucketsByKey
from chat.message_meta import MessageMeta
from chat.message_versions import MessageVersion
from chat.moderation import Moderation
from chat.rules import Rejected, TooFast, clean_message
from chat.store.base import Store
from chat.store_words import when_store_down

log = logging.getLogger(__name__)

Publish = Callable[[BusEvent], Awaitable[None]]
CheckMember = Callable[[str, str | None], Awaitable[None]]

_store_must_answer = when_store_down(
    "The database is not answering, so your message was not changed. Try again in a moment."
)


def describe_span(seconds: float) -> str:
    """'90 seconds', '15 minutes', '2 hours', '3 days': an edit window in words."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds:g} seconds"


class Edits:
    """A person's edits and deletions of their own messages in a room."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        publish: Publish,
        moderation: Moderation,
        check_member: CheckMember,
        clock: Callable[[], datetime] = utc_now,
        node: str = "",
    ):
        self._settings = settings
        self._node = node
        self._store = store
        self._publish = publish
        self._moderation = moderation
        self._check_member = check_member
        self._clock = clock
        # Edits reach every tab like new messages: they are limited like sending.
        self._rate = BucketsByKey(settings.rate_per_second, settings.rate_burst)

    @property
    def max_chars(self) -> int:
        """The longest text an edit may leave (the same as a new message)."""
        return self._settings.max_message_chars

    def is_own(self, message: Message, person_id: str | None) -> bool:
        """True when `person_id` wrote `message` (a person's own chat message, not a tombstone)."""
        return (
            person_id is not None
            and message.kind is MessageKind.CHAT
            and message.author_id == person_id
            and not message.is_deleted
        )

    def window_closed(self, message: Message) -> bool:
        """True when `message` is older than CHAT_EDIT_WINDOW allows editing (never, by default)."""
        window = self._settings.edit_window
        return window > 0 and self._clock() - message.created_at > timedelta(seconds=window)

    @_store_must_answer
    async def edit(
        self, room: str, message_id: str, person_id: str | None, raw_text: str
    ) -> Message:
        """Give person `person_id`'s message new text (same limits as posting); Rejected saying why not."""
        message = await self._own(room, message_id, person_id, "edit")
        if self.window_closed(message):
            raise Rejected(
                f"Messages can be edited for {describe_span(self._settings.edit_window)} "
                "after sending; this one is older. Send a new message instead."
            )
        text = clean_message(raw_text, max_chars=self._settings.max_message_chars)
        if text is None:
            raise Rejected("An edited message cannot be empty: delete it instead.")
        if text == message.text:
            return message  # nothing changed: no version, no event
        await self._moderation.check_may_post(room, person_id)
        assert person_id is not None  # _own checked it
        wait = self._rate.take(f"person:{person_id}")
        if wait > 0:
            raise TooFast(f"Slow down a little: you can edit again in {wait:.1f} s.", wait)
        edited = await self._store.edit_message(message_id, text, person_id, self._clock())
        if edited is None:  # deleted meanwhile (by a moderator, or in another tab)
            raise Rejected("That message was deleted meanwhile.")
        await self._publish(MessageChanged(edited))
        return edited

    @_store_must_answer
    async def delete(self, room: str, message_id: str, person_id: str | None) -> Message:
        """Make person `person_id`'s message a tombstone in every tab and in history."""
        message = await self._own(room, message_id, person_id, "delete")
        assert person_id is not None  # _own checked it
        tombstone = await self._store.delete_message(message.id, person_id)
        assert tombstone is not None  # messages are never removed, only emptied
        log.info("%s deleted their message %s in %s", person_id, message_id, room)
        await self._publish(MessageChanged(tombstone))
        return tombstone

    def asked_for(self, reply: Message, person_id: str | None) -> bool:
        """True when `person_id` asked for bot reply `reply` (whatever its state now)."""
        return (
            person_id is not None
            and reply.kind is MessageKind.BOT
            and reply.meta.asked_by_id == person_id
        )

    def may_regenerate(self, reply: Message, person_id: str | None) -> bool:
        """True when `person_id` asked for bot reply `reply` and it is finished (or failed)."""
        return self.asked_for(reply, person_id) and reply.status.is_final and not reply.is_deleted

    @_store_must_answer
    async def regenerate(self, room: str, message_id: str, person_id: str | None) -> Message:
        """Have the bot write reply `message_id` again, in place; only who asked for it may."""
        await self._check_member(room, person_id)
        reply = await self._store.get_message(message_id)
        if reply is None or reply.room != room or reply.kind is not MessageKind.BOT:
            raise Rejected("That reply is not in this room any more.")
        if not reply.status.is_final:
            raise Rejected("This reply is still being written.")
        if not self.may_regenerate(reply, person_id):
            asker = reply.meta.asked_by
            raise Rejected(
                f"Only {asker}, who asked, can regenerate this reply."
                if asker
                else "This reply cannot be regenerated."
            )
        await self._moderation.check_may_post(room, person_id)
        assert person_id is not None  # may_regenerate checked it
        wait = self._rate.take(f"person:{person_id}")
        if wait > 0:
            raise TooFast(f"Slow down a little: you can regenerate in {wait:.1f} s.", wait)
        # This process's bot writes it: the same process answers a mention (chat.bot.bot).
        # Who asked and what stay; how it ended (error, stopped_by, its picture) goes.
        was = reply.meta
        meta = MessageMeta(
            node=self._node,
            answers=was.answers,
            asked_by=was.asked_by,
            asked_by_id=was.asked_by_id,
            bot_name=was.bot_name,
        )
        reopened = await self._store.reopen_reply(message_id, person_id, self._clock(), meta)
        if reopened is None:
            raise Rejected("This reply is being written again already.")
        await self._publish(MessageChanged(reopened))
        await self._publish(RegenerateRequested(room, message_id, person_id))
        return reopened

    @_store_must_answer
    async def versions(
        self, room: str, message_id: str, person_id: str | None
    ) -> list[MessageVersion]:
        """The earlier texts of a message of `room`, oldest first: for its moderators only."""
        if not await self._moderation.may_moderate(room, person_id):
            raise Rejected("Only this room's owner or an admin can see earlier versions.")
        message = await self._store.get_message(message_id)
        if message is None or message.room != room:
            raise Rejected("That message is not in this room any more.")
        return await self._store.message_versions(message_id)

    async def _own(self, room: str, message_id: str, person_id: str | None, verb: str) -> Message:
        await self._check_member(room, person_id)
        message = await self._store.get_message(message_id)
        if message is None or message.room != room:
            raise Rejected("That message is not in this room any more.")
        if message.is_deleted:
            raise Rejected("That message was deleted.")
        if not self.is_own(message, person_id):
            raise Rejected(f"You can only {verb} your own messages.")
        return message
