"""What moderation records: one audit entry per action, and what stands in a poster's way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ModAction(StrEnum):
    """A moderation action, as the audit table names it."""

    DELETE = "delete"
    MUTE = "mute"
    UNMUTE = "unmute"
    REMOVE = "remove"
    LOCK = "lock"
    UNLOCK = "unlock"
    BAN = "ban"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what to whom, in which room, when and why."""

    at: datetime
    actor_id: str
    actor: str
    """The moderator's name when they acted (the id is what counts)."""
    action: ModAction
    target_id: str
    """The person (mute, remove, ban), message (delete) or room (lock) acted on."""
    target: str
    """The target as people read it: a name, a message's author, a room."""
    room: str = ""
    reason: str = ""

    def line(self) -> str:
        """The entry as one line of text."""
        where = f" in {self.room}" if self.room else ""
        why = f": {self.reason}" if self.reason else ""
        return f"{self.at:%Y-%m-%d %H:%M:%S} UTC {self.actor} {self.action.value} {self.target}{where}{why}"


@dataclass(frozen=True, slots=True)
class ModerationState:
    """Every lock, mute still running and ban: what each process checks posts against."""

    locked: frozenset[str] = frozenset()
    """Rooms that are read-only."""
    muted_until: dict[tuple[str, str], datetime] = field(default_factory=dict)
    """(room, person id) -> when the mute ends."""
    banned: frozenset[str] = frozenset()
    """Ids of banned people."""

    def block(self, room: str, person_id: str | None, now: datetime) -> PostingBlock:
        """What keeps `person_id` from posting in `room` at `now`."""
        until = self.muted_until.get((room, person_id)) if person_id else None
        return PostingBlock(
            locked=room in self.locked,
            muted_until=until if until is not None and until > now else None,
            banned=person_id in self.banned,
        )


@dataclass(frozen=True, slots=True)
class PostingBlock:
    """What may keep a person from posting in a room right now."""

    locked: bool = False
    muted_until: datetime | None = None
    banned: bool = False
