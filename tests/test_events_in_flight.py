"""The socket guard's inbox: events wait for the cap, a method's answer never waits behind them."""

import asyncio

from chat.events_in_flight import EventsInFlight, Inbox


async def test_an_answer_passes_events_held_while_the_handlers_wait_for_it():
    events = EventsInFlight()
    answered = asyncio.get_running_loop().create_future()
    handler = asyncio.create_task(asyncio.wait_for(answered, 5))  # a handler awaiting the client
    events.watch({handler})
    inbox = Inbox(events, cap=1, size=8)
    await inbox.put("event: another submit", is_event=True)
    await inbox.put("answer: draft forgotten", is_event=False)

    # Patience far beyond the test: the answer must come first, at once, not after it.
    first = await asyncio.wait_for(inbox.get(patience=30), 1)
    assert first == "answer: draft forgotten"
    answered.set_result(None)
    await handler
    events.watch(set())
    assert await asyncio.wait_for(inbox.get(patience=30), 1) == "event: another submit"


async def test_events_wait_while_the_cap_is_full_and_go_when_a_handler_ends():
    events = EventsInFlight()
    release = asyncio.Event()
    handler = asyncio.create_task(release.wait())
    running = {handler}
    handler.add_done_callback(running.discard)
    events.watch(running)
    inbox = Inbox(events, cap=1, size=8)
    await inbox.put("event", is_event=True)
    getting = asyncio.create_task(inbox.get(patience=30))
    await asyncio.sleep(0.1)
    assert not getting.done()  # held: the one handler allowed is still running
    release.set()
    assert await asyncio.wait_for(getting, 1) == "event"
    assert events.most == 1


async def test_a_stuck_handler_holds_the_next_event_only_for_the_patience():
    events = EventsInFlight()
    stuck = asyncio.create_task(asyncio.sleep(30))
    events.watch({stuck})
    inbox = Inbox(events, cap=1, size=8)
    await inbox.put("event", is_event=True)
    started = asyncio.get_running_loop().time()
    assert await inbox.get(patience=0.2) == "event"
    assert 0.2 <= asyncio.get_running_loop().time() - started < 1.0
    stuck.cancel()


async def test_the_end_of_a_socket_drops_what_waits():
    inbox = Inbox(EventsInFlight(), cap=1, size=2)
    await inbox.put("event", is_event=True)
    await inbox.put("answer", is_event=False)
    inbox.end("disconnect")
    assert await inbox.get() == "disconnect"
    await asyncio.wait_for(inbox.put("room again", is_event=False), 1)  # the dropped frames freed their room
