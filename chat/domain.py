"""Plain domain types shared by every layer: messages, drafts and room events."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

DEFAULT_ROOM = "general"


class MessageKind(StrEnum):
    """What wrote a message."""

    CHAT = "chat"
    SYSTEM = "system"
    BOT = "bot"
    INTEGRATION = "integration"
    """Posted through a room's incoming webhook, under the integration's name (never a person's)."""


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
    return datetime.now(UTC)


BOT_DISPLAY_NAME = "display_name"
"""Meta key of a bot reply: the display name of the bot that wrote it (several bots may speak)."""


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
    author_id: str | None = None
    """The person who wrote it (None for the bot, system lines and messages from before people)."""


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
    author_id: str | None = None
    """The person who wrote it (None for the bot, system lines and messages from before people)."""
    deleted_by: str | None = None
    """The person id of the moderator who deleted it: a tombstone, its text cleared."""

    @property
    def is_deleted(self) -> bool:
        """True for a tombstone: a moderator deleted the message, the row stays."""
        return self.deleted_by is not None

    def shown_author(self, bot_default: str) -> str | None:
        """The name a bot reply is shown under (its bot's display name), None for others."""
        if self.kind is not MessageKind.BOT:
            return None
        return self.meta.get(BOT_DISPLAY_NAME) or bot_default

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


EVERY_ROOM = "*"
"""The presence "room" of a participant that is in every room at once (the bot)."""


@dataclass(frozen=True, slots=True)
class PresenceSnapshot:
    """Who is in `room` on one server process, as that process last said."""

    node: str
    room: str
    names: tuple[str, ...]
    expires_at: float


@dataclass(frozen=True, slots=True)
class OnlineChanged:
    """The merged list of people in `room` changed (derived locally, never on the bus)."""

    room: str
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StopRequested:
    """Someone pressed Stop on a streaming reply in `room`."""

    room: str
    message_id: str
    by: str
    by_id: str | None = None
    """The person id of who asked to stop; `by` is their name, for showing."""
    by_moderator: bool = False
    """True when the service found `by_id` moderates the room (they may stop any reply)."""


class RoomKind(StrEnum):
    """Who may see a room."""

    PUBLIC = "public"
    """Everyone."""
    PRIVATE = "private"
    """Its members only; members invite others."""
    DM = "dm"
    """Direct messages between two people (or a person and the bot); its topic names them."""


@dataclass(frozen=True, slots=True)
class Room:
    """A place to talk: `name` is its key (and its URL), `topic` says what it is for."""

    name: str
    topic: str = ""
    created_by: str = ""
    created_at: datetime = field(default_factory=utc_now)
    last_active_at: datetime = field(default_factory=utc_now)
    kind: RoomKind = RoomKind.PUBLIC
    owner_id: str | None = None
    """The person id of who made it (`created_by` is their name then, for showing)."""

    @property
    def is_private(self) -> bool:
        """True when only members may see the room (a private room or a DM)."""
        return self.kind is not RoomKind.PUBLIC

    @property
    def takes_invitations(self) -> bool:
        """True for a private room: its members may invite others (a DM stays two)."""
        return self.kind is RoomKind.PRIVATE


@dataclass(frozen=True, slots=True)
class RoomCreated:
    """A room was added: every tab's list of rooms shows it (sent to EVERY_ROOM's viewers)."""

    room: Room


@dataclass(frozen=True, slots=True)
class RoomLockChanged:
    """A moderator locked `room` (read-only) or unlocked it."""

    room: str
    locked: bool


@dataclass(frozen=True, slots=True)
class PersonMuted:
    """A moderator muted a person in `room` until `until` (None: unmuted)."""

    room: str
    person_id: str
    until: datetime | None


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    """A moderator removed a person from private `room`: their tabs stop showing it."""

    room: str
    person_id: str


@dataclass(frozen=True, slots=True)
class PersonBanned:
    """An admin banned a person: every live session of theirs, in any room, is cut."""

    person_id: str


@dataclass(frozen=True, slots=True)
class ReadMoved:
    """A person's read position in `room` moved up to `seq` (saved): their tabs on every
    process stop counting what they read there."""

    person_id: str
    room: str
    seq: int


ModerationEvent = RoomLockChanged | PersonMuted | MemberRemoved | PersonBanned

BusEvent = (
    MessagePosted
    | MessageChanged
    | PresenceSnapshot
    | StopRequested
    | RoomCreated
    | ModerationEvent
    | ReadMoved
)
RoomEvent = (
    MessagePosted
    | MessageChanged
    | OnlineChanged
    | StopRequested
    | RoomCreated
    | ModerationEvent
    | ReadMoved
)
