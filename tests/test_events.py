"""The event registry: each type declared once, and every consumer routed through it."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chat.bus.codec import decode_event, encode_event
from chat.domain import (
    MemberRemoved,
    Message,
    MessageChanged,
    MessagePosted,
    MessageStatus,
    OnlineChanged,
    PersonBanned,
    PersonMuted,
    PersonTyping,
    PresenceSnapshot,
    Reaction,
    Reactions,
    ReactionsChanged,
    RegenerateRequested,
    ReadMoved,
    Room,
    RoomCreated,
    RoomLockChanged,
    StopRequested,
)
from chat.events import BUS_TYPES, EVENT_TYPES, EventRoutes

MESSAGE = Message("m1", "design", 7, "Ann", "hi", datetime(2026, 1, 2, tzinfo=UTC), meta={"a": "b"})


@pytest.mark.parametrize(
    "event",
    [
        MessagePosted(MESSAGE),
        MessageChanged(MESSAGE.with_text("hi there", MessageStatus.STREAMING)),
        PresenceSnapshot("node-1", "design", ("Ann", "Bob"), 1234.5),
        StopRequested("design", "m1", "Ann"),
        RoomCreated(Room("design", "Pixels", "Ann", datetime(2026, 1, 2, tzinfo=UTC))),
        MessageChanged(Message("m2", "design", 8, "Bob", "", MESSAGE.created_at, deleted_by="p-1")),
        RoomLockChanged("design", True),
        PersonMuted("design", "p-2", datetime(2026, 1, 2, 15, 30, tzinfo=UTC)),
        PersonMuted("design", "p-2", None),
        MemberRemoved("design", "p-2"),
        PersonBanned("p-2"),
        MessageChanged(
            Message(
                "m3", "design", 9, "Cy", "fixed", MESSAGE.created_at, edited_at=MESSAGE.created_at
            )
        ),
        RegenerateRequested("design", "m1", "p-1"),
        PersonTyping("design", "p-2", "Bob"),
        ReactionsChanged(
            "design", "m1", Reactions(4, (Reaction("🎉", ("p-1", "p-2"), ("Ann", "Bob")),))
        ),
        ReactionsChanged("design", "m1", Reactions(5)),
        MessagePosted(
            replace(MESSAGE, reactions=Reactions(2, (Reaction("👍", ("p-1",), ("Ann",)),)))
        ),
        ReadMoved("p-2", "design", 7),
    ],
)
def test_every_bus_event_round_trips_with_its_room(event):
    assert decode_event(encode_event(event)) == event


def test_local_events_stay_off_the_bus_and_strangers_are_refused():
    assert set(BUS_TYPES) == {
        "MessagePosted",
        "MessageChanged",
        "PresenceSnapshot",
        "StopRequested",
        "RegenerateRequested",
        "RoomCreated",
        "RoomLockChanged",
        "PersonMuted",
        "MemberRemoved",
        "PersonBanned",
        "PersonTyping",
        "ReactionsChanged",
        "ReadMoved",
    }
    assert OnlineChanged in EVENT_TYPES
    with pytest.raises(ValueError, match="does not travel"):
        encode_event(OnlineChanged("design", ("Ann",)))
    for raw in (b'{"type": "Nope"}', b"[1, 2]", b'{"no": "type"}'):
        with pytest.raises(ValueError, match="not a bus event"):
            decode_event(raw)


def test_routes_ignore_what_a_consumer_does_not_handle_and_refuse_the_undeclared():
    seen = []
    routes = EventRoutes[None]({MessagePosted: seen.append})
    routes(MessagePosted(MESSAGE))
    assert routes(StopRequested("design", "m1", "Ann")) is None  # no handler: a no-op
    assert seen == [MessagePosted(MESSAGE)]
    with pytest.raises(TypeError, match="not a declared event"):
        routes("a string is no event")
    with pytest.raises(TypeError, match="not declared in chat.events: str"):
        EventRoutes[None]({str: print})
