"""The ModerationStore interface: tombstones, mutes, locks, removals and the audit table."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chat.audit import AuditEntry, ModerationState
from chat.domain import Message


class ModerationStore(Protocol):
    """Durable moderation state; every write here is also recorded by the caller in the audit."""

    async def delete_message(self, message_id: str, deleted_by: str) -> Message | None:
        """Make a message a tombstone (text cleared, `deleted_by` set); None if unknown."""

    async def set_mute(self, room: str, person_id: str, until: datetime, muted_by: str) -> None:
        """Mute `person_id` in `room` until `until` (replacing an earlier mute)."""

    async def clear_mute(self, room: str, person_id: str) -> bool:
        """Unmute `person_id` in `room`; False if they were not muted."""

    async def set_locked(self, room: str, locked: bool, by: str) -> bool:
        """Lock (read-only) or unlock `room`; False if it already was so."""

    async def is_locked(self, room: str) -> bool:
        """True while `room` is locked."""

    async def moderation_state(self, now: datetime) -> ModerationState:
        """Every locked room, every mute running at `now`, and every banned person."""

    async def remove_member(self, room: str, member: str) -> bool:
        """Take `member` out of `room`'s members; False if they were not one."""

    async def add_audit(self, entry: AuditEntry) -> None:
        """Record a moderation action."""

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        """The newest `limit` audit entries, newest first."""
