"""The event registry: each room event type declared once, for the codec, relay, page and bot.

A new event is one `_declare(...)` here: the bus codec learns its wire form
from it, and every consumer routes it through `EventRoutes`, which ignores
the types a consumer has no handler for and refuses types nobody declared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from chat.domain import (
    CatchUpRequested,
    CatchUpShown,
    Citation,
    MemberRemoved,
    Message,
    MessageChanged,
    MessageKind,
    MessagePosted,
    MessageStatus,
    OnlineChanged,
    PersonBanned,
    PersonMuted,
    PersonTyping,
    PresenceSnapshot,
    Quote,
    Reaction,
    Reactions,
    ReactionsChanged,
    ReadMoved,
    RegenerateRequested,
    RepliesCounted,
    Room,
    RoomCreated,
    RoomKind,
    RoomLockChanged,
    StopRequested,
    TypingChanged,
)
from chat.message_meta import MessageMeta

E = TypeVar("E")
R = TypeVar("R")

Body = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventType(Generic[E]):
    """One event type: its class, and its JSON body both ways if it travels on the bus."""

    cls: type[E]
    encode: Callable[[E], Body] | None = None
    decode: Callable[[Body], E] | None = None

    @property
    def name(self) -> str:
        """The type's name on the wire."""
        return self.cls.__name__

    @property
    def on_bus(self) -> bool:
        """True for events that cross processes (the others are derived in each one)."""
        return self.encode is not None


def reactions_to_body(reactions: Reactions) -> Body:
    """A message's reactions as JSON-ready data."""
    return {
        "version": reactions.version,
        "items": [[r.emoji, list(r.person_ids), list(r.names)] for r in reactions.items],
    }


def reactions_from_body(data: Body | None) -> Reactions:
    """The reactions `reactions_to_body` made (none for a message sent without them)."""
    if not data:
        return Reactions()
    return Reactions(
        int(data["version"]),
        tuple(Reaction(emoji, tuple(ids), tuple(names)) for emoji, ids, names in data["items"]),
    )


def message_to_body(message: Message) -> Body:
    """A message as JSON-ready data."""
    data = asdict(message)
    data["created_at"] = message.created_at.isoformat()
    data["edited_at"] = message.edited_at.isoformat() if message.edited_at else None
    data["reactions"] = reactions_to_body(message.reactions)
    data["meta"] = message.meta.to_json()  # the flat object rows keep, as before it was typed
    return data


def message_from_body(data: Body) -> Message:
    """The message `message_to_body` made."""
    return Message(
        **{
            **data,
            "created_at": datetime.fromisoformat(data["created_at"]),
            # A process from before edits sends none.
            "edited_at": datetime.fromisoformat(data["edited_at"])
            if data.get("edited_at")
            else None,
            "kind": MessageKind(data["kind"]),
            "status": MessageStatus(data["status"]),
            "reactions": reactions_from_body(data.get("reactions")),
            "meta": MessageMeta.from_json(data.get("meta")),
            # A process from before replies sends none of these.
            "quote": Quote(**data["quote"]) if data.get("quote") else None,
        }
    )


def room_to_body(room: Room) -> Body:
    """A room as JSON-ready data."""
    data = asdict(room)
    data["created_at"] = room.created_at.isoformat()
    data["last_active_at"] = room.last_active_at.isoformat()
    return data


def room_from_body(data: Body) -> Room:
    """The room `room_to_body` made."""
    return Room(
        **{
            **data,
            "created_at": datetime.fromisoformat(data["created_at"]),
            "last_active_at": datetime.fromisoformat(data["last_active_at"]),
            "kind": RoomKind(data["kind"]),
        }
    )


EVENT_TYPES: dict[type, EventType[Any]] = {}
"""Every declared event type, by class."""


def _declare(event_type: EventType[Any]) -> None:
    EVENT_TYPES[event_type.cls] = event_type


_declare(
    EventType(
        MessagePosted,
        lambda e: {"message": message_to_body(e.message)},
        lambda d: MessagePosted(message_from_body(d["message"])),
    )
)
_declare(
    EventType(
        MessageChanged,
        lambda e: {"message": message_to_body(e.message)},
        lambda d: MessageChanged(message_from_body(d["message"])),
    )
)
_declare(
    EventType(
        ReactionsChanged,
        lambda e: {
            "room": e.room,
            "message_id": e.message_id,
            "reactions": reactions_to_body(e.reactions),
        },
        lambda d: ReactionsChanged(d["room"], d["message_id"], reactions_from_body(d["reactions"])),
    )
)
_declare(
    EventType(
        RepliesCounted,
        lambda e: {"room": e.room, "message_id": e.message_id, "count": e.count},
        lambda d: RepliesCounted(d["room"], d["message_id"], int(d["count"])),
    )
)
_declare(
    EventType(
        PresenceSnapshot,
        lambda e: {
            "node": e.node,
            "room": e.room,
            "names": list(e.names),
            "expires_at": e.expires_at,
        },
        lambda d: PresenceSnapshot(d["node"], d["room"], tuple(d["names"]), d["expires_at"]),
    )
)
_declare(
    EventType(
        StopRequested,
        lambda e: {
            "room": e.room,
            "message_id": e.message_id,
            "by": e.by,
            "by_id": e.by_id,
            "by_moderator": e.by_moderator,
        },
        lambda d: StopRequested(
            d["room"], d["message_id"], d["by"], d.get("by_id"), bool(d.get("by_moderator"))
        ),
    )
)
_declare(
    EventType(
        RegenerateRequested,
        lambda e: {"room": e.room, "message_id": e.message_id, "by_id": e.by_id},
        lambda d: RegenerateRequested(d["room"], d["message_id"], d["by_id"]),
    )
)
_declare(
    EventType(
        RoomCreated,
        lambda e: {"room": room_to_body(e.room)},
        lambda d: RoomCreated(room_from_body(d["room"])),
    )
)
_declare(
    EventType(
        RoomLockChanged,
        lambda e: {"room": e.room, "locked": e.locked},
        lambda d: RoomLockChanged(d["room"], bool(d["locked"])),
    )
)
_declare(
    EventType(
        PersonMuted,
        lambda e: {
            "room": e.room,
            "person_id": e.person_id,
            "until": e.until.isoformat() if e.until is not None else None,
        },
        lambda d: PersonMuted(
            d["room"], d["person_id"], datetime.fromisoformat(d["until"]) if d["until"] else None
        ),
    )
)
_declare(
    EventType(
        MemberRemoved,
        lambda e: {"room": e.room, "person_id": e.person_id},
        lambda d: MemberRemoved(d["room"], d["person_id"]),
    )
)
_declare(
    EventType(
        PersonBanned,
        lambda e: {"person_id": e.person_id},
        lambda d: PersonBanned(d["person_id"]),
    )
)
_declare(
    EventType(
        ReadMoved,
        lambda e: {"person_id": e.person_id, "room": e.room, "seq": e.seq},
        lambda d: ReadMoved(d["person_id"], d["room"], int(d["seq"])),
    )
)
_declare(
    EventType(
        CatchUpRequested,
        lambda e: asdict(e),
        lambda d: CatchUpRequested(**{**d, "after_seq": int(d["after_seq"])}),
    )
)
_declare(
    EventType(
        CatchUpShown,
        lambda e: asdict(e),
        lambda d: CatchUpShown(
            **{**d, "citations": tuple(Citation(*c.values()) for c in d["citations"])}
        ),
    )
)
_declare(EventType(OnlineChanged))  # derived from PresenceSnapshots in each process
_declare(
    EventType(
        PersonTyping,
        lambda e: {"room": e.room, "person_id": e.person_id, "name": e.name, "typing": e.typing},
        lambda d: PersonTyping(d["room"], d["person_id"], d["name"], bool(d["typing"])),
    )
)
_declare(EventType(TypingChanged))  # derived from PersonTyping signals in each process

BUS_TYPES: dict[str, EventType[Any]] = {t.name: t for t in EVENT_TYPES.values() if t.on_bus}
"""The event types that travel on the bus, by wire name."""


class EventRoutes(Generic[R]):
    """Hands each event to its consumer's handler for that type; a type it has none for is a no-op."""

    def __init__(self, handlers: Mapping[type, Callable[[Any], R]]):
        unknown = [cls.__name__ for cls in handlers if cls not in EVENT_TYPES]
        if unknown:
            raise TypeError(f"not declared in chat.events: {', '.join(unknown)}")
        self._handlers = dict(handlers)

    def __call__(self, event: object) -> R | None:
        """The handler's result, or None when this consumer ignores the event's type."""
        handler = self._handlers.get(type(event))
        if handler is None:
            if type(event) not in EVENT_TYPES:
                raise TypeError(f"not a declared event: {event!r}")
            return None
        return handler(event)
