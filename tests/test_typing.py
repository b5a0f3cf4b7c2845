"""Typing signals: the sender's throttle, the receiver's expiry and the words, on an injected clock."""

import asyncio

import pytest

from chat.bus.codec import decode_event, encode_event
from chat.domain import PersonTyping, Typer, TypingChanged
from chat.events import BUS_TYPES, EVENT_TYPES
from chat.typing_indicator import TypingBook, TypingThrottle, typing_words
from chat.typing_signals import TypingSender


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_signal_crosses_the_bus_and_the_derived_change_stays_local():
    signal = PersonTyping("design", "p-1", "Alice", False)
    assert decode_event(encode_event(signal)) == signal
    assert "PersonTyping" in BUS_TYPES
    assert TypingChanged in EVENT_TYPES and "TypingChanged" not in BUS_TYPES


# ---- sending side


def test_the_first_key_signals_and_the_next_ones_wait_out_the_interval(clock):
    throttle = TypingThrottle(every=3, idle=5, clock=clock)
    assert throttle.keystroke("r", "p-1", "Alice") == PersonTyping("r", "p-1", "Alice", True)
    for _ in range(5):
        clock.now += 0.5
        assert throttle.keystroke("r", "p-1", "Alice") is None  # 2.5 s in: still quiet
    clock.now += 0.5
    assert throttle.keystroke("r", "p-1", "Alice") == PersonTyping("r", "p-1", "Alice", True)


def test_the_throttle_is_per_person_and_per_room(clock):
    throttle = TypingThrottle(every=3, idle=5, clock=clock)
    assert throttle.keystroke("r", "p-1", "Alice") is not None
    assert throttle.keystroke("r", "p-2", "Bob") is not None
    assert throttle.keystroke("other", "p-1", "Alice") is not None
    assert throttle.keystroke("r", "p-1", "Alice") is None


def test_sending_stops_once_and_a_quick_next_message_does_not_signal_again_at_once(clock):
    throttle = TypingThrottle(every=3, idle=5, clock=clock)
    throttle.keystroke("r", "p-1", "Alice")
    assert throttle.stopped("r", "p-1") == PersonTyping("r", "p-1", "Alice", False)
    assert throttle.stopped("r", "p-1") is None  # said already
    clock.now += 1
    assert throttle.keystroke("r", "p-1", "Alice") is None  # at most one signal per 3 s
    clock.now += 2
    assert throttle.keystroke("r", "p-1", "Alice") is not None
    assert throttle.stopped("nowhere", "p-1") is None


def test_a_pause_stops_typing_after_the_idle_time(clock):
    throttle = TypingThrottle(every=3, idle=5, clock=clock)
    assert throttle.next_idle_in() is None
    throttle.keystroke("r", "p-1", "Alice")
    clock.now += 2
    throttle.keystroke("r", "p-2", "Bob")
    assert throttle.next_idle_in() == 3
    clock.now += 2.9
    assert throttle.idle_stops() == []
    clock.now += 0.1
    assert throttle.idle_stops() == [PersonTyping("r", "p-1", "Alice", False)]
    assert throttle.next_idle_in() == 2
    clock.now += 2
    assert throttle.idle_stops() == [PersonTyping("r", "p-2", "Bob", False)]
    assert throttle.next_idle_in() is None
    assert throttle.keystroke("r", "p-1", "Alice") is not None  # typing again: signalled again


def test_a_person_who_sent_and_paused_is_not_stopped_twice(clock):
    throttle = TypingThrottle(every=3, idle=5, clock=clock)
    throttle.keystroke("r", "p-1", "Alice")
    assert throttle.stopped("r", "p-1") is not None
    clock.now += 5
    assert throttle.idle_stops() == []


# ---- receiving side


def test_a_typist_shows_until_their_signals_stop_coming(clock):
    book = TypingBook(expire_after=6, clock=clock)
    assert book.apply(PersonTyping("r", "p-1", "Alice")) is True
    assert book.typers("r") == (Typer("p-1", "Alice"),)
    clock.now += 3
    assert book.apply(PersonTyping("r", "p-1", "Alice")) is False  # a refresh: nobody is told
    assert book.next_expiry_in() == 6
    clock.now += 5.9
    assert book.expire() == set()
    clock.now += 0.1  # 6 s after the last signal (the tab crashed)
    assert book.expire() == {"r"}
    assert book.typers("r") == ()
    assert book.next_expiry_in() is None


def test_a_stop_removes_the_typist_at_once_and_an_unknown_stop_changes_nothing(clock):
    book = TypingBook(expire_after=6, clock=clock)
    book.apply(PersonTyping("r", "p-1", "Alice"))
    book.apply(PersonTyping("r", "p-2", "Bob"))
    book.apply(PersonTyping("elsewhere", "p-3", "Cem"))
    assert book.apply(PersonTyping("r", "p-1", "Alice", False)) is True
    assert book.typers("r") == (Typer("p-2", "Bob"),)
    assert book.apply(PersonTyping("r", "p-9", "Zoe", False)) is False
    assert book.typers("elsewhere") == (Typer("p-3", "Cem"),)


# ---- the words


ALICE, BOB, CEM = Typer("p-a", "Alice"), Typer("p-b", "Bob"), Typer("p-c", "Cem")


def test_the_words_for_one_two_and_several():
    assert typing_words([], None) == ""
    assert typing_words([ALICE], None) == "Alice is typing…"
    assert typing_words([ALICE, BOB], None) == "Alice and Bob are typing…"
    assert typing_words([ALICE, BOB, CEM], None) == "Several people are typing…"


def test_the_viewer_never_sees_themselves_typing():
    assert typing_words([ALICE], "p-a") == ""
    assert typing_words([ALICE, BOB], "p-a") == "Bob is typing…"
    assert typing_words([ALICE, BOB, CEM], "p-c") == "Alice and Bob are typing…"
    # Compared by id: someone else under the same name is still shown.
    assert typing_words([Typer("p-x", "Alice")], "p-a") == "Alice is typing…"


# ---- the sender on the event loop


async def test_keys_never_wait_for_the_bus_and_signals_leave_in_order(clock):
    bus_answers = asyncio.Event()
    published = []

    async def slow_bus(signal):
        await bus_answers.wait()  # a Redis that hangs
        published.append(signal)

    sender = TypingSender(slow_bus, TypingThrottle(every=3, idle=5, clock=clock))
    sender.keystroke("r", "p-1", "Alice")  # returns at once: nothing to await
    sender.stopped("r", "p-1")
    assert published == []
    bus_answers.set()
    await asyncio.wait_for(sender.drained(), 10)
    assert published == [
        PersonTyping("r", "p-1", "Alice", True),
        PersonTyping("r", "p-1", "Alice", False),
    ]
    await sender.close()
