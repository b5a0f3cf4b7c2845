"""Incoming webhooks: a secret URL per integration that posts into one room under its own name.

An integration's name passes the same checks as a person's (chat/names.py) and
may not look like the bot, "system" or any person's name; its messages are
marked as an integration's wherever they are shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from chat.access import HOOK_PATH, Webhook
from chat.config import Settings
from chat.domain import utc_now
from chat.names import clean_name, name_key, reserved_names
from chat.people import token_hash
from chat.person import Person
from chat.rooms import RoomDirectory
from chat.rules import Rejected
from chat.store.base import Store


class Webhooks:
    """Creates, lists, revokes and finds a room's incoming webhooks."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        directory: RoomDirectory,
        clock: Callable[[], datetime] = utc_now,
    ):
        self._settings = settings
        self._store = store
        self._directory = directory
        self._clock = clock

    async def clean_name(self, raw: str) -> str:
        """The integration's name to show; Rejected if it would pass for a person or the bot."""
        name = clean_name(
            raw, max_chars=self._settings.max_name_chars, reserved=reserved_names(self._settings)
        )
        owner = await self._store.person_by_name_key(name_key(name))
        if owner is not None:
            raise Rejected(
                f"“{name}” is (or looks like) the name of {owner.name}, a person here: "
                "an integration cannot pass for a person. Please pick another name."
            )
        return name

    async def create(
        self, room: str, raw_name: str, created_by: Person | None
    ) -> tuple[str, Webhook]:
        """A new webhook for `room`: its secret (shown once) and record.

        `created_by` must be able to see the room (any public room, a private one's
        member); None is an admin on the command line.
        """
        if await self._store.get_room(room) is None:
            raise Rejected(f"There is no room called “{room}”.")
        if created_by is not None and not await self._directory.may_see(room, created_by.id):
            raise Rejected("Only members of this room can add a webhook to it.")
        name = await self.clean_name(raw_name)
        secret = secrets.token_urlsafe(32)
        hook = Webhook(
            secrets.token_hex(6),
            room,
            name,
            created_by.id if created_by is not None else "",
            self._clock(),
        )
        await self._store.add_webhook(hook, token_hash(secret))
        return secret, hook

    async def hooks(self, room: str) -> list[Webhook]:
        """`room`'s webhooks, revoked ones too, oldest first."""
        return await self._store.webhooks(room)

    async def revoke(self, room: str, hook_id: str, by: Person | None = None) -> bool:
        """Revoke one of `room`'s webhooks; False if unknown there or revoked already.

        `by` must be able to see the room; None is an admin on the command line.
        """
        if by is not None and not await self._directory.may_see(room, by.id):
            raise Rejected("Only members of this room can remove its webhooks.")
        return await self._store.revoke_webhook(room, hook_id.strip(), self._clock())

    async def by_secret(self, secret: str) -> Webhook | None:
        """The live webhook a URL's secret belongs to, or None."""
        return await self._store.webhook_by_secret(token_hash(secret))


def hook_url(base_url: str, secret: str) -> str:
    """The full URL to POST to."""
    return base_url.rstrip("/") + HOOK_PATH + secret
