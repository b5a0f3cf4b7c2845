"""Plain domain types shared by every layer: messages, drafts and room events."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from chat.message_meta import NO_META, MessageMeta

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


@dataclass(frozen=True, slots=True)
class Draft:
    """A message before the store has given it an id and a sequence number."""

    room: str
    author: str
    text: str
    kind: MessageKind = MessageKind.CHAT
    status: MessageStatus = MessageStatus.DONE
    client_id: str | None = None
    meta: MessageMeta = NO_META
    author_id: str | None = None
    """The person who wrote it (None for the bot, system lines and messages from before people)."""
    reply_to: str | None = None
    """The id of the message of the same room this one replies to (None: not a reply)."""


@dataclass(frozen=True, slots=True)
class Quote:
    """The message a reply answers, as the reply shows it: who wrote it and its text now."""

    message_id: str
    author: str
    text: str
    seq: int
    deleted: bool = False

    def one_line(self, max_chars: int = 80) -> str:
        """Its text on one line, cut to `max_chars` (a deleted message says so instead)."""
        if self.deleted:
            return "deleted message"
        line = " ".join(self.text.split())
        return line if len(line) <= max_chars else line[: max_chars - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Reaction:
    """One emoji on a message, and the people who put it there (oldest first)."""

    emoji: str
    person_ids: tuple[str, ...]
    names: tuple[str, ...]
    """Their names now, in the order of `person_ids` (for "who reacted")."""

    @property
    def count(self) -> int:
        """How many people reacted with this emoji."""
        return len(self.person_ids)


@dataclass(frozen=True, slots=True)
class Reactions:
    """Every reaction on one message; `version` grows with each change, so a stale one loses."""

    version: int = 0
    items: tuple[Reaction, ...] = ()

    def by(self, person_id: str | None) -> frozenset[str]:
        """The emoji person `person_id` reacted with."""
        if person_id is None:
            return frozenset()
        return frozenset(r.emoji for r in self.items if person_id in r.person_ids)


NO_REACTIONS = Reactions()


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
    meta: MessageMeta = NO_META
    author_id: str | None = None
    """The person who wrote it (None for the bot, system lines and messages from before people)."""
    deleted_by: str | None = None
    """The person id of who deleted it (a moderator or its author): a tombstone, its text cleared."""
    edited_at: datetime | None = None
    """When its author last changed its text (None: never); earlier texts are in message_versions."""
    reactions: Reactions = NO_REACTIONS
    """Its reactions, as the history read them (live changes come as ReactionsChanged)."""
    reply_to: str | None = None
    """The id of the message this one replies to (None: not a reply)."""
    quote: Quote | None = None
    """That message, read with this one (None when not a reply, or the original is gone)."""
    reply_count: int = 0
    """How many replies it has, as the history read them (live changes come as RepliesCounted)."""

    @property
    def is_deleted(self) -> bool:
        """True for a tombstone: a moderator or its author deleted the message, the row stays."""
        return self.deleted_by is not None

    @property
    def deleted_by_author(self) -> bool:
        """True for a tombstone its own author made (not a moderator)."""
        return self.deleted_by is not None and self.deleted_by == self.author_id

    @property
    def is_edited(self) -> bool:
        """True once its author changed its text (a tombstone no longer says so)."""
        return self.edited_at is not None and not self.is_deleted

    def shown_author(self, bot_default: str) -> str | None:
        """The name a bot reply is shown under (its bot's display name), None for others."""
        if self.kind is not MessageKind.BOT:
            return None
        return self.meta.bot_name or bot_default

    def with_text(
        self, text: str, status: MessageStatus | None = None, meta: MessageMeta = NO_META
    ) -> Message:
        """A copy with new text (and optionally a new status, and the fields `meta` sets)."""
        return replace(self, text=text, status=status or self.status, meta=self.meta.merged(meta))


@dataclass(frozen=True, slots=True)
class MessagePosted:
    """A new message was committed to the store."""

    message: Message


@dataclass(frozen=True, slots=True)
class MessageChanged:
    """A message's text or status changed in place (a streaming bot reply, an edit, a deletion)."""

    message: Message


@dataclass(frozen=True, slots=True)
class RegenerateRequested:
    """Who asked for bot reply `message_id` wants it written again; it was reopened, empty, in place."""

    room: str
    message_id: str
    by_id: str


@dataclass(frozen=True, slots=True)
class ReactionsChanged:
    """Someone added or removed a reaction: `reactions` is the message's whole summary now."""

    room: str
    message_id: str
    reactions: Reactions


@dataclass(frozen=True, slots=True)
class RepliesCounted:
    """Message `message_id` of `room` has `count` replies now (tombstones included: it only grows)."""

    room: str
    message_id: str
    count: int


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
class PersonTyping:
    """Person `person_id` (shown as `name`) started (`typing`) or stopped writing in `room`.

    Carried by the bus only, never stored; a receiver forgets a signal it hears nothing more of.
    """

    room: str
    person_id: str
    name: str
    typing: bool = True


@dataclass(frozen=True, slots=True)
class Typer:
    """Someone writing in a room now: their person id, and the name to show."""

    person_id: str
    name: str


@dataclass(frozen=True, slots=True)
class TypingChanged:
    """Who is writing in `room` changed (derived locally from PersonTyping, never on the bus)."""

    room: str
    typers: tuple[Typer, ...]


@dataclass(frozen=True, slots=True)
class ReadMoved:
    """A person's read position in `room` moved up to `seq` (saved): their tabs on every
    process stop counting what they read there."""

    person_id: str
    room: str
    seq: int


@dataclass(frozen=True, slots=True)
class Citation:
    """A summary's [number], pointing at the message it draws on."""

    number: int
    message_id: str
    seq: int
    author: str


@dataclass(frozen=True, slots=True)
class CatchUpRequested:
    """Person `person_id` (`name`) asked bot `handle` what they missed in `room` after `after_seq`.

    Answered by that bot on process `node` only (where the asking tab is), never stored.
    """

    room: str
    person_id: str
    name: str
    handle: str
    after_seq: int
    node: str
    request_id: str


@dataclass(frozen=True, slots=True)
class CatchUpShown:
    """A catch-up for one person in one room, so far: shown in that person's tabs only, never stored.

    While it is written `progress` says how far it is ("Summarising 2 of 5…"); once `done`, `text`
    (or `error`) is the summary, its [n] markers explained by `citations`.
    """

    room: str
    person_id: str
    request_id: str
    handle: str
    progress: str = ""
    text: str = ""
    citations: tuple[Citation, ...] = ()
    done: bool = False
    error: str = ""


ModerationEvent = RoomLockChanged | PersonMuted | MemberRemoved | PersonBanned

BusEvent = (
    MessagePosted
    | MessageChanged
    | ReactionsChanged
    | RepliesCounted
    | PresenceSnapshot
    | StopRequested
    | RegenerateRequested
    | RoomCreated
    | ModerationEvent
    | PersonTyping
    | ReadMoved
    | CatchUpRequested
    | CatchUpShown
)
RoomEvent = (
    MessagePosted
    | MessageChanged
    | ReactionsChanged
    | RepliesCounted
    | OnlineChanged
    | StopRequested
    | RegenerateRequested
    | RoomCreated
    | ModerationEvent
    | TypingChanged
    | ReadMoved
    | CatchUpRequested
    | CatchUpShown
)
