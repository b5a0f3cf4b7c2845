"""The ApiStore interface: personal access tokens and webhooks, kept as hashes."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chat.access import AccessToken, Webhook
from chat.person import Person


class ApiStore(Protocol):
    """Durable API credentials. Secrets are never stored, only their sha256."""

    async def add_access_token(self, token: AccessToken, token_hash: str) -> None:
        """Remember a new access token of `token.person_id` by its hash."""

    async def access_tokens(self, person_id: str) -> list[AccessToken]:
        """A person's tokens, revoked ones too, oldest first."""

    async def use_access_token(
        self, token_hash: str, now: datetime
    ) -> tuple[AccessToken, Person] | None:
        """The token and its owner, noting it was used at `now`; None if unknown or revoked."""

    async def revoke_access_token(self, person_id: str, token_id: str, now: datetime) -> bool:
        """Revoke one of `person_id`'s tokens; False if it is not theirs or was revoked already."""

    async def revoke_access_tokens(self, person_id: str, now: datetime) -> int:
        """Revoke every token of a person; how many were still good."""

    async def add_webhook(self, hook: Webhook, secret_hash: str) -> None:
        """Remember a new webhook of `hook.room` by its secret's hash."""

    async def webhooks(self, room: str) -> list[Webhook]:
        """A room's webhooks, revoked ones too, oldest first."""

    async def webhook_by_secret(self, secret_hash: str) -> Webhook | None:
        """The webhook whose secret hashes to `secret_hash`, unless revoked."""

    async def revoke_webhook(self, room: str, hook_id: str, now: datetime) -> bool:
        """Revoke one of `room`'s webhooks; False if unknown there or revoked already."""
