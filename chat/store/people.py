"""The PeopleStore interface: people, the names they own, and their devices."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chat.person import Person


class NameTaken(ValueError):
    """Another person already owns a name with the same name key."""


class PeopleStore(Protocol):
    """Durable people. A name key belongs to at most one person; devices are kept as hashes."""

    async def add_person(self, person: Person) -> None:
        """Store a new person; NameTaken if their name key is owned already."""

    async def update_person(self, person: Person) -> None:
        """Save a person's name, role, ban and password hash; NameTaken, or KeyError if unknown."""

    async def get_person(self, person_id: str) -> Person | None:
        """One person by id."""

    async def person_by_name_key(self, name_key: str) -> Person | None:
        """The person who owns `name_key`, if anyone does."""

    async def count_people(self) -> int:
        """How many people exist."""

    async def claim_first_admin(self, person_id: str) -> bool:
        """Make `person_id` the admin if they are the earliest person and nobody claimed it before.

        Atomic: of people claiming at once, one at most gets True.
        """

    async def delete_person(self, person_id: str) -> bool:
        """Forget a person and their devices (their messages stay); False if unknown."""

    async def add_device(
        self, person_id: str, token_hash: str, created_at: datetime, expires_at: datetime
    ) -> None:
        """Remember a device token's hash for `person_id` until `expires_at`."""

    async def person_by_device(self, token_hash: str, now: datetime) -> Person | None:
        """The person a device token belongs to, unless it expired or was revoked."""

    async def revoke_device(self, token_hash: str, now: datetime) -> bool:
        """Revoke one device token; False if it was not valid."""

    async def revoke_devices(self, person_id: str, now: datetime) -> int:
        """Revoke every device token of a person; how many were valid."""

    async def add_invite(self, token_hash: str, created_at: datetime, expires_at: datetime) -> None:
        """Remember an invite's hash until `expires_at`."""

    async def use_invite(self, token_hash: str, now: datetime) -> bool:
        """Spend an invite (each is good once); False if unknown, used or expired."""

    async def release_invite(self, token_hash: str) -> None:
        """Make a spent invite good again (the sign-up it was spent on failed)."""
