"""Where one bot takes catch-up requests: from a tab (its button, or "@bot /catchup" typed),
under the same rules as a mention, and from a posted "@bot /catchup" (through the API, say)."""

from __future__ import annotations

import logging

from chat.bot.asking import AskingRate
from chat.bot.catching_up import CatchingUp
from chat.bot.gate import Wake, WakeGate
from chat.domain import CatchUpRequested, CatchUpShown, Message, utc_now
from chat.service import ChatService
from chat.store.base import StoreUnavailable

log = logging.getLogger(__name__)

UNREADABLE = "The messages could not be read just now; try again in a moment."
TOO_MANY = "Too many requests just now; try again in a minute."


class CatchUpDesk:
    """Checks who asks, then has `catching_up` write the catch-up, shown to them alone."""

    def __init__(
        self,
        handle: str,
        service: ChatService,
        gate: WakeGate,
        asking: AskingRate,
        catching_up: CatchingUp,
    ):
        self.handle = handle
        self.service = service
        self._gate, self._asking, self._catching_up = gate, asking, catching_up

    async def asked(self, request: CatchUpRequested) -> None:
        """A tab asked: the rules of a mention apply (the rooms the bot sits in, who may
        wake it, the asking rate); a refusal is shown in the asker's panel."""
        asking = Message(
            request.request_id,
            request.room,
            0,
            request.name,
            f"@{self.handle} /catchup",
            utc_now(),
            author_id=request.person_id,
        )
        try:
            wake = await self._gate.wakes(asking)
        except StoreUnavailable as exc:
            log.warning("could not tell whether %s may ask @%s: %s", asking.id, self.handle, exc)
            wake = Wake(False, UNREADABLE)
        if not wake.answer:
            await self._refuse(request, wake.refusal or f"@{self.handle} is not here.")
        elif (
            self._asking.take(f"{request.room}\nperson:{request.person_id}", request.name)
            is not None
        ):
            await self._refuse(request, TOO_MANY)
        else:
            await self._catch_up(request)

    async def asked_in_room(self, mention: Message) -> None:
        """`@bot /catchup` posted (its gate and rate already passed): from their read position."""
        person = mention.author_id
        if person is None:
            await self.service.post_system(
                mention.room, f"{mention.author}, join as a person to be caught up."
            )
            return
        read = (await self.service.store.read_marks(person)).get(mention.room, 0)
        request = CatchUpRequested(
            mention.room,
            person,
            mention.author,
            self.handle,
            min(read, mention.seq - 1),
            self.service.node,
            mention.id,
        )
        await self._catch_up(request)

    async def _catch_up(self, request: CatchUpRequested) -> None:
        try:
            await self._catching_up.catch_up(request, self.service.show_catch_up)
        except StoreUnavailable as exc:
            log.warning("could not catch %s up on %s: %s", request.person_id, request.room, exc)
            await self._refuse(request, UNREADABLE)

    async def _refuse(self, request: CatchUpRequested, error: str) -> None:
        await self.service.show_catch_up(
            CatchUpShown(
                request.room,
                request.person_id,
                request.request_id,
                self.handle,
                done=True,
                error=error,
            )
        )
