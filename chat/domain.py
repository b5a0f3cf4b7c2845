"""Plain domain types shared by every layer: messages, drafts and room events."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from enum import StrEnum
from typing import Union

DEFAULT_ROOM = "general"


class MessageKind(StrEnum):
    """What wrote a message."""

    CHAT = "chat"
    SYSTEM = "system"
    BOT = "bot"


class MessageStatus(StrEnum):
    """Where a message is in its life; only bot replies are ever not DONE."""

    DONE = "done"
    STREAMING = "streaming"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"

    @property
    def is_final(self) -> bool:
        """True once the text will not grow any more."""
        return self is not MessageStatus.STREAMING


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class Draft:
    """A message before the store has given it an id and a sequence number."""

    room: str
    author: str
    text: str
    kind: MessageKind = MessageKind.CHAT
    status: MessageStatus = MessageStatus.DONE
    client_id: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Message:
    """A stored message: `seq` orders it within its room."""

    id: str
    room: str
    seq: int
    author: str
    text: str
    created_at: datetime
    kind: MessageKind = MessageKind.CHAT
    status: MessageStatus = MessageStatus.DONE
    client_id: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def with_text(self, text: str, status: MessageStatus | None = None, **meta: str) -> Message:
        """A copy with new text (and optionally a new status and extra meta)."""
        return replace(
            self,
            text=text,
            status=status or self.status,
            meta={**self.meta, **meta} if meta else self.meta,
        )


@dataclass(frozen=True, slots=True)
class MessagePosted:
    """A new message was committed to the store."""

    message: Message


@dataclass(frozen=True, slots=True)
class MessageChanged:
    """A message's text or status changed in place (a streaming bot reply)."""

    message: Message


@dataclass(frozen=True, slots=True)
class PresenceSnapshot:
    """Who is connected to one server process, as that process last said."""

    node: str
    names: tuple[str, ...]
    expires_at: float


@dataclass(frozen=True, slots=True)
class OnlineChanged:
    """The merged list of people online changed (derived locally, never on the bus)."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StopRequested:
    """Someone pressed Stop on a streaming reply."""

    message_id: str
    by: str


BusEvent = Union[MessagePosted, MessageChanged, PresenceSnapshot, StopRequested]
RoomEvent = Union[MessagePosted, MessageChanged, OnlineChanged, StopRequested]
