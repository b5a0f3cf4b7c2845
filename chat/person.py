"""Plain types for people: a stable id that owns a display name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What a person may do beyond writing."""

    MEMBER = "member"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who owns a name, online or not; `id` never changes, the name may."""

    id: str
    name: str
    name_key: str
    created_at: datetime
    role: Role = Role.MEMBER
    banned: bool = False
    password_hash: str | None = field(default=None, repr=False)

    @property
    def has_password(self) -> bool:
        """True when the person can sign in from another browser."""
        return self.password_hash is not None
