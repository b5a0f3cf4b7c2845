"""People own their names: claiming one, coming back with a device token, passwords, renaming.

A device token is a random secret a browser keeps; the store keeps only its
sha256 (the token has 256 bits of entropy, so a slow hash adds nothing).
Passwords are hashed with argon2id, off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chat.config import Settings
from chat.domain import utc_now
from chat.limits import BucketsByKey, take_from_all
from chat.names import clean_name, name_key, reserved_names
from chat.person import Person, Role
from chat.rules import Rejected
from chat.store.base import Store
from chat.store.people import NameTaken
from chat.store_words import when_store_down

log = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256
ADDRESS_SIGN_INS_FACTOR = 4
"""One address may try this many times as many sign-ins as one name (people share NATs)."""


_store_must_answer = when_store_down(
    "The database is not answering, so nobody can sign in or change names now. "
    "Try again in a moment."
)


class NameOwned(Rejected):
    """The name (or one that looks like it) belongs to someone else."""

    def __init__(self, name: str, owner: Person):
        self.name = name
        self.has_password = owner.has_password and not owner.banned
        if self.has_password:
            text = f"“{name}” belongs to someone else. If that is you, sign in with your password."
        else:
            text = f"“{name}” belongs to someone else. Please pick another name."
        super().__init__(text)


@dataclass(frozen=True, slots=True)
class Entry:
    """A person let in, and the device token their browser keeps from now on."""

    person: Person
    device_token: str


def token_hash(token: str) -> str:
    """What the store keeps of a device token."""
    return hashlib.sha256(token.encode()).hexdigest()


class PeopleService:
    """Every way a person gets in, and what they change about themselves."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings
        self.store = store
        self._clock = clock
        self._hasher = PasswordHasher()  # argon2id with the library's current defaults
        self._admin_keys = frozenset(
            name_key(name.strip()) for name in settings.admins.split(",") if name.strip()
        )
        per_minute = settings.sign_in_per_minute
        self._by_name = BucketsByKey(per_minute / 60, per_minute, monotonic)
        self._by_address = BucketsByKey(
            ADDRESS_SIGN_INS_FACTOR * per_minute / 60,
            ADDRESS_SIGN_INS_FACTOR * per_minute,
            monotonic,
        )

    def clean(self, raw: str) -> str:
        """The cleaned name; Rejected for one nobody may take."""
        return clean_name(
            raw, max_chars=self.settings.max_name_chars, reserved=reserved_names(self.settings)
        )

    @_store_must_answer
    async def claim(self, raw_name: str, invite: str | None = None) -> Entry:
        """Make a new person owning `raw_name`, with a first device; NameOwned if it is taken.

        With CHAT_SIGNUP=invite, `invite` must be a good invite token (it is spent).
        """
        name = self.clean(raw_name)
        owner = await self.store.person_by_name_key(name_key(name))
        if owner is not None:
            raise NameOwned(name, owner)
        spent = await self._spend_invite(invite)
        try:
            person = await self.create_person(name)
        except NameOwned:
            if spent is not None:  # claimed by someone else meanwhile: the invite stays good
                await self.store.release_invite(spent)
            raise
        return Entry(person, await self._new_device(person))

    async def create_person(self, raw_name: str, role: Role | None = None) -> Person:
        """A new person owning `raw_name` (no device, no invite needed); NameOwned if taken."""
        name = self.clean(raw_name)
        key = name_key(name)
        chosen = role or self._listed_role(key)
        person = Person(secrets.token_hex(16), name, key, self._clock(), role=chosen)
        try:
            await self.store.add_person(person)
        except NameTaken:
            owner = await self.store.person_by_name_key(key)
            if owner is None:  # freed meanwhile: try once more
                return await self.create_person(raw_name, role)
            raise NameOwned(name, owner) from None
        # With no admin named, the first person to join runs the place; the store decides
        # who was first, so two people joining at once cannot both become admin.
        if role is None and not self._admin_keys and await self.store.claim_first_admin(person.id):
            person = replace(person, role=Role.ADMIN)
        log.info("%s now owns the name %r (%s)", person.id, name, person.role.value)
        return person

    async def _spend_invite(self, invite: str | None) -> str | None:
        if self.settings.signup != "invite":
            return None
        if not invite:
            raise Rejected("Confab is invite-only: ask an admin for an invite link.")
        spent = token_hash(invite)
        if not await self.store.use_invite(spent, self._clock()):
            raise Rejected("This invite link has expired or was used already: ask for a new one.")
        return spent

    def _listed_role(self, key: str) -> Role:
        return Role.ADMIN if key in self._admin_keys else Role.MEMBER

    async def _listed_made_admin(self, person: Person) -> Person:
        """A person named in CHAT_ADMINS after they joined becomes an admin when next let in."""
        if person.name_key in self._admin_keys and person.role is not Role.ADMIN:
            person = replace(person, role=Role.ADMIN)
            await self.store.update_person(person)
        return person

    async def invite(self) -> tuple[str, datetime]:
        """A new invite token (good for one sign-up) and when it expires."""
        token = secrets.token_urlsafe(24)
        now = self._clock()
        expires = now + timedelta(days=self.settings.invite_days)
        await self.store.add_invite(token_hash(token), now, expires)
        return token, expires

    @_store_must_answer
    async def resume(self, device_token: str) -> Person | None:
        """The person a browser's token belongs to; None if unknown, expired, revoked or banned."""
        person = await self.store.person_by_device(token_hash(device_token), self._clock())
        return None if person is None or person.banned else await self._listed_made_admin(person)

    @_store_must_answer
    async def sign_in(self, raw_name: str, password: str, address: str) -> Entry:
        """Let the owner of `raw_name` in with their password, on a new device; Rejected otherwise."""
        name = (raw_name or "").strip()
        key = name_key(name)
        wait = take_from_all(self._by_name.bucket(key), self._by_address.bucket(address))
        if wait > 0:
            raise Rejected(f"Too many sign-in attempts. Try again in {math.ceil(wait)} s.")
        person = await self.store.person_by_name_key(key)
        if person is None or person.banned or person.password_hash is None:
            raise Rejected("That name and password do not match.")
        if not await self._verify(person, password):
            raise Rejected("That name and password do not match.")
        return Entry(await self._listed_made_admin(person), await self._new_device(person))

    async def _verify(self, person: Person, password: str) -> bool:
        assert person.password_hash is not None
        try:
            await asyncio.to_thread(self._hasher.verify, person.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if self._hasher.check_needs_rehash(person.password_hash):
            await self.store.update_person(
                replace(person, password_hash=await asyncio.to_thread(self._hasher.hash, password))
            )
        return True

    @_store_must_answer
    async def set_password(self, person_id: str, password: str) -> Person:
        """Set or change a person's password; Rejected for one too short or too long."""
        if len(password) < MIN_PASSWORD_CHARS:
            raise Rejected(f"A password needs at least {MIN_PASSWORD_CHARS} characters.")
        if len(password) > MAX_PASSWORD_CHARS:
            raise Rejected(f"A password can have at most {MAX_PASSWORD_CHARS} characters.")
        person = await self._existing(person_id)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        updated = replace(person, password_hash=hashed)
        await self.store.update_person(updated)
        return updated

    @_store_must_answer
    async def rename(self, person_id: str, raw_name: str) -> Person:
        """Give a person a new display name (same id, same history); NameOwned if it is taken."""
        name = self.clean(raw_name)
        person = await self._existing(person_id)
        renamed = replace(person, name=name, name_key=name_key(name))
        try:
            await self.store.update_person(renamed)
        except NameTaken:
            owner = await self.store.person_by_name_key(renamed.name_key)
            raise NameOwned(name, owner or person) from None
        return renamed

    async def revoke_device(self, device_token: str) -> bool:
        """Sign one browser out for good."""
        return await self.store.revoke_device(token_hash(device_token), self._clock())

    async def revoke_devices(self, person_id: str) -> int:
        """Sign every browser of a person out."""
        return await self.store.revoke_devices(person_id, self._clock())

    async def ban(self, person_id: str) -> Person:
        """Ban a person: their devices and API tokens stop working and their name stays taken."""
        person = await self._existing(person_id)
        banned = replace(person, banned=True)
        await self.store.update_person(banned)
        await self.revoke_devices(person_id)
        await self.store.revoke_access_tokens(person_id, self._clock())
        return banned

    async def _existing(self, person_id: str) -> Person:
        person = await self.store.get_person(person_id)
        if person is None:
            raise Rejected("That person no longer exists.")
        return person

    async def _new_device(self, person: Person) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        expires = now + timedelta(days=self.settings.device_days)
        await self.store.add_device(person.id, token_hash(token), now, expires)
        return token
