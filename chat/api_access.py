"""What a person manages from the page: their API tokens, and the webhooks of the room they are in.

The page's one handle on chat.access_tokens and chat.webhooks: a database that
does not answer becomes words for the person (Rejected), nothing changed.
"""

from __future__ import annotations

import logging

from chat.access import AccessToken, Webhook
from chat.access_tokens import AccessTokens
from chat.person import Person
from chat.rules import Rejected
from chat.store_words import when_store_down
from chat.webhooks import Webhooks, hook_url

log = logging.getLogger(__name__)


_in_words = when_store_down(
    "The database is not answering, so tokens and webhooks cannot be read or changed now. "
    "Try again in a moment."
)


class ApiAccess:
    """A person's API tokens, and webhooks of rooms they can see."""

    def __init__(self, tokens: AccessTokens, webhooks: Webhooks):
        self._tokens = tokens
        self._webhooks = webhooks

    @_in_words
    async def tokens(self, person: Person) -> list[AccessToken]:
        """The person's tokens, newest first."""
        return list(reversed(await self._tokens.tokens(person.id)))

    @_in_words
    async def issue(self, person: Person, label: str) -> str:
        """A new token's secret, to show once."""
        secret, _ = await self._tokens.issue(person.id, label)
        return secret

    @_in_words
    async def revoke(self, person: Person, token_id: str) -> None:
        """Revoke one of the person's tokens."""
        if not await self._tokens.revoke(person.id, token_id):
            raise Rejected("That token was revoked already.")

    @_in_words
    async def hooks(self, room: str) -> list[Webhook]:
        """The room's webhooks still working, newest first."""
        return [hook for hook in reversed(await self._webhooks.hooks(room)) if not hook.is_revoked]

    @_in_words
    async def add_hook(self, room: str, name: str, person: Person, base_url: str) -> str:
        """A new webhook's URL under `base_url`, to show once."""
        secret, _ = await self._webhooks.create(room, name, person)
        return hook_url(base_url, secret)

    @_in_words
    async def revoke_hook(self, room: str, hook_id: str, person: Person) -> None:
        """Remove one of the room's webhooks."""
        if not await self._webhooks.revoke(room, hook_id, person):
            raise Rejected("That webhook was removed already.")
