"""Reacting to messages: who may, on which messages, and telling every tab (publish after commit)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from chat.config import Settings
from chat.domain import Message, MessageKind, Reactions, ReactionsChanged
from chat.limits import BucketsByKey
from chat.moderation import Moderation
from chat.reaction_rules import clean_emoji
from chat.rooms import RoomDirectory
from chat.rules import Rejected, TooFast
from chat.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)


class Reacting:
    """Adds and removes reactions for people who may read a room and post in it now."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        directory: RoomDirectory,
        moderation: Moderation,
        publish: Callable[[ReactionsChanged], Awaitable[None]],
    ):
        self._store = store
        self._directory = directory
        self._moderation = moderation
        self._publish = publish
        # Reactions share the posting rate: each one is an event in every tab of the room.
        self._rate = BucketsByKey(settings.rate_per_second, settings.rate_burst)

    async def toggle(
        self, room: str, message_id: str, person_id: str | None, raw_emoji: str
    ) -> Reactions:
        """Add person `person_id`'s `raw_emoji` to a message of `room`, or take it back if there.

        Rejected (saying why) for a bad emoji, a person who may not read or post
        in the room now, or a message that is not there, is deleted or is a system line.
        """
        emoji = clean_emoji(raw_emoji)
        if person_id is None:
            raise Rejected("Join the room to react to messages.")
        await self._directory.check(room, person_id)
        await self._moderation.check_may_post(room, person_id)
        try:
            message = await self._store.get_message(message_id)
            _check_may_get_reactions(message, room)
            assert message is not None
            wait = self._rate.take(f"person:{person_id}")
            if wait > 0:
                raise TooFast(f"Slow down a little: you can react again in {wait:.1f} s.", wait)
            mine = (await self._store.reactions_of([message_id])).get(message_id, Reactions())
            present = emoji not in mine.by(person_id)
            reactions = await self._store.set_reaction(message_id, person_id, emoji, present)
        except StoreUnavailable as exc:
            log.warning("a reaction was not saved: %s", exc)
            raise Rejected(
                "Your reaction was not saved: the database is not answering. Try again in a moment."
            ) from exc
        await self._publish(ReactionsChanged(room, message_id, reactions))
        return reactions

    async def attach(self, messages: list[Message]) -> list[Message]:
        """`messages` with their reactions, read in one query for them all."""
        ids = [m.id for m in messages if not m.is_deleted and m.kind is not MessageKind.SYSTEM]
        found = await self._store.reactions_of(ids)
        if not found:
            return messages
        return [replace(m, reactions=found[m.id]) if m.id in found else m for m in messages]


def _check_may_get_reactions(message: Message | None, room: str) -> None:
    if message is None or message.room != room:
        raise Rejected("That message is not in this room any more.")
    if message.is_deleted:
        raise Rejected("A deleted message can't get reactions.")
    if message.kind is MessageKind.SYSTEM:
        raise Rejected("Only messages can get reactions, not notices like this one.")
