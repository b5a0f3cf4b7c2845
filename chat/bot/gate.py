"""Whether a posted message wakes a bot: its @handle or its DM, the rooms it sits in, who may wake it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chat.bot.context import mentions
from chat.bot.roster import BotSpec
from chat.domain import Message, MessageKind
from chat.person import Role
from chat.rooms import RoomDirectory
from chat.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Wake:
    """The gate's answer: answer or not, and what to tell the room when a person is refused."""

    answer: bool
    refusal: str = ""


STAY_QUIET = Wake(False)
ANSWER = Wake(True)


class WakeGate:
    """One bot's rules for when it speaks; never for its own, a system line, or (unless
    configured) another bot's message, and never in a loop (see wakes_on_bot).
    """

    def __init__(self, spec: BotSpec, directory: RoomDirectory, store: Store):
        self.spec = spec
        self._directory = directory
        self._store = store
        self._direct_rooms: dict[str, bool] = {}  # room -> is it a DM with the bot

    async def wakes(self, message: Message) -> Wake:
        """Whether `message` (a person's, or a bot's finished reply) wakes the bot, and any refusal."""
        if message.kind is MessageKind.BOT:
            question = await self._question_behind(message)
            if question is None:
                return STAY_QUIET
            # The person who asked the other bot must be one who may wake this one.
            return ANSWER if (await self._may_wake(question)).answer else STAY_QUIET
        if message.kind is not MessageKind.CHAT:
            return STAY_QUIET
        room = message.room
        # In a DM with it every message asks it; elsewhere an @mention or a reply to it does.
        if (
            not mentions(message.text, self.spec.handle)
            and not await self._replies_to_me(message)
            and not await self._is_direct(room)
        ):
            return STAY_QUIET
        if not self.spec.sits_in(room) and not await self._is_direct(room):
            return Wake(False, f"{message.author}, @{self.spec.handle} is not in this room.")
        return await self._may_wake(message)

    async def _replies_to_me(self, message: Message) -> bool:
        """True when person's `message` replies to one of this bot's own messages.

        Only a person's message gets here (a bot's never does), so a reply cannot start a
        loop between bots.
        """
        quote = message.quote
        if message.reply_to is None or quote is None or quote.author != self.spec.handle:
            return False
        original = await self._store.get_message(message.reply_to)
        return (
            original is not None
            and original.kind is MessageKind.BOT
            and original.author == self.spec.handle
        )

    async def _question_behind(self, reply: Message) -> Message | None:
        """The person's message another bot's `reply` answered, if that reply should wake this bot.

        Only a reply to a person's message counts: a bot's answer to a bot's answer
        never does, so however bots mention each other, a chain ends after two replies.
        """
        if not self.spec.answers_bots or reply.author == self.spec.handle:
            return None
        if not mentions(reply.text, self.spec.handle):
            return None
        if not self.spec.sits_in(reply.room) and not await self._is_direct(reply.room):
            return None
        asked = reply.meta.answers
        question = await self._store.get_message(asked) if asked else None
        return question if question is not None and question.kind is MessageKind.CHAT else None

    async def _may_wake(self, message: Message) -> Wake:
        wake, handle, author = self.spec.wake, self.spec.handle, message.author
        if wake == "everyone":
            return ANSWER
        person = None
        if message.author_id:
            person = await self._store.get_person(message.author_id)
        if wake == "admins":
            if person is not None and person.role is Role.ADMIN:
                return ANSWER
            return Wake(False, f"{author}, only admins may ask @{handle}.")
        if person is not None and await self._directory.may_see(message.room, person.id):
            return ANSWER
        return Wake(False, f"{author}, only members of this room may ask @{handle}.")

    async def _is_direct(self, room: str) -> bool:
        direct = self._direct_rooms.get(room)
        if direct is None:  # a room's kind and a DM's members never change: asked once
            try:
                direct = await self._directory.is_direct_with(room, self.spec.handle)
            except StoreUnavailable as exc:
                log.warning("could not tell whether %s is a DM with the bot: %s", room, exc)
                return False
            self._direct_rooms[room] = direct
        return direct
