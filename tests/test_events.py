"""The event registry: each type declared once, and every consumer routed through it."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chat.attachments import Attachment
from chat.bus.codec import decode_event, encode_event
from chat.domain import (
    CatchUpRequested,
    CatchUpShown,
    Citation,
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
    Quote,
    Reaction,
    Reactions,
    ReactionsChanged,
    ReadMoved,
    RegenerateRequested,
    RepliesCounted,
    Room,
    RoomCreated,
    RoomLockChanged,
    StopRequested,
)
from chat.events import BUS_TYPES, EVENT_TYPES, EventRoutes
from chat.message_meta import MessageMeta

MESSAGE = Message(
    "m1", "design", 7, "Ann", "hi", datetime(2026, 1, 2, tzinfo=UTC), meta=MessageMeta(node="n1")
)
FULL_META = MessageMeta(
    node="n1",
    answers="m0",
    asked_by="Ann",
    asked_by_id="p-1",
    bot_name="Sage",
    error="500",
    attachments=(Attachment("a" * 32, "cat.png", "image/png", 5300, 64, 48, "dGh1bWI="),),
    extra=(("model", "m"), ("usage", {"tokens": 3})),
)


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
        RepliesCounted("design", "m1", 3),
        MessageChanged(replace(MESSAGE, meta=FULL_META)),
        MessagePosted(
            replace(
                MESSAGE,
                reply_to="m0",
                quote=Quote("m0", "Bob", "the plan", 6, deleted=True),
                reply_count=2,
            )
        ),
        CatchUpRequested("design", "p-2", "Bob", "bot", 7, "node-1", "r1"),
        CatchUpShown("design", "p-2", "r1", "bot", progress="Summarising 2 of 5…"),
        CatchUpShown(
            "design",
            "p-2",
            "r1",
            "bot",
            text="- Ann said hi [1]",
            citations=(Citation(1, "m1", 7, "Ann"),),
            done=True,
        ),
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
        "RepliesCounted",
        "CatchUpRequested",
        "CatchUpShown",
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
