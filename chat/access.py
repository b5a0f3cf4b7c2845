"""Plain types for the HTTP API: personal access tokens and incoming webhooks.

Both are kept as sha256 hashes of their secrets (chat.people.token_hash);
these types never carry the secret itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

HOOK_PATH = "/api/v1/hooks/"
"""Where a webhook's secret URL lives: the path ends with the secret."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A person's personal access token, as the store keeps it (without the secret)."""

    id: str
    """Public and short: what the owner names to revoke it."""
    person_id: str
    label: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_revoked(self) -> bool:
        """True once revoked (it never works again)."""
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class Webhook:
    """A room's incoming webhook: posts into `room` as the integration called `name`."""

    id: str
    room: str
    name: str
    created_by: str
    """The person id of who made it ("" when an admin made it on the command line)."""
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def is_revoked(self) -> bool:
        """True once revoked (its URL never works again)."""
        return self.revoked_at is not None
