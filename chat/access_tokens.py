"""Personal access tokens: made and revoked by their owner (or an admin), checked on every API call.

A token is a random secret shown once; the store keeps its sha256 (as for
device tokens: 256 bits of entropy need no slow hash), a label, when it was
made and last used, and whether it was revoked.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chat.access import AccessToken
from chat.domain import utc_now
from chat.people import token_hash
from chat.person import Person
from chat.rules import Rejected
from chat.store.base import Store

TOKEN_PREFIX = "cfb_"
"""Marks a Confab token, so a secret scanner (or a person) can tell what leaked."""
MAX_LABEL_CHARS = 60


class NotSignedIn(Rejected):
    """The request carries no token that works: missing, wrong, revoked, or its owner is banned."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who an API request comes from: a person, through one of their tokens."""

    person: Person
    token: AccessToken


def clean_label(raw: str) -> str:
    """A token's label as kept; Rejected for one too long or with invisible characters."""
    label = " ".join((raw or "").split())
    if len(label) > MAX_LABEL_CHARS:
        raise Rejected(f"A token's label can have at most {MAX_LABEL_CHARS} characters.")
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in label):
        raise Rejected("A token's label cannot hold control or invisible characters.")
    return label


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class AccessTokens:
    """Issues, lists, revokes and checks personal access tokens."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now):
        self._store = store
        self._clock = clock

    async def issue(self, person_id: str, raw_label: str = "") -> tuple[str, AccessToken]:
        """A new token for `person_id`: the secret (shown once, never stored) and its record."""
        label = clean_label(raw_label)
        if await self._store.get_person(person_id) is None:
            raise Rejected("That person no longer exists.")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = AccessToken(secrets.token_hex(6), person_id, label, self._clock())
        await self._store.add_access_token(token, token_hash(secret))
        return secret, token

    async def tokens(self, person_id: str) -> list[AccessToken]:
        """A person's tokens, revoked ones too, oldest first."""
        return await self._store.access_tokens(person_id)

    async def revoke(self, person_id: str, token_id: str) -> bool:
        """Revoke one of `person_id`'s tokens; False if it is not theirs or already revoked."""
        return await self._store.revoke_access_token(person_id, token_id.strip(), self._clock())

    async def revoke_all(self, person_id: str) -> int:
        """Revoke every token of a person (a ban does this too); how many were good."""
        return await self._store.revoke_access_tokens(person_id, self._clock())

    async def caller(self, authorization: str | None) -> Caller:
        """Who sent a request with this Authorization header; NotSignedIn unless a good token.

        StoreUnavailable passes through: the caller is told the database is down, not that
        their token is wrong.
        """
        secret = bearer_token(authorization)
        if secret is None:
            raise NotSignedIn(
                "Send your access token as Authorization: Bearer <token>. "
                "Make one in Confab's menu (API tokens) or ask an admin."
            )
        found = await self._store.use_access_token(token_hash(secret), self._clock())
        if found is None:
            raise NotSignedIn("This access token is not valid: it is wrong or was revoked.")
        token, person = found
        if person.banned:
            raise NotSignedIn("This access token's owner is banned.")
        return Caller(person, token)
