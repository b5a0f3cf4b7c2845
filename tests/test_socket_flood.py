"""One connection cannot slow everyone: a flooding socket is closed, told why, and paused."""

import asyncio
import time

import msgpack
import pytest
import websockets

from tests.confab_harness import Person, serve_confab, server_session
from tests.flet_client import FletClient
from tests.raw_sockets import REGISTER, closed_within, frame, open_raw


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


def composer_of(client: FletClient) -> int:
    return client.find_one("TextField", hint_text="Write a message...")["_i"]


async def flood(client: FletClient, control: int, seconds: float = 10.0) -> int:
    """Send keystroke and Enter frames as fast as the socket takes them, until it closes; frames sent."""
    sent, deadline = 0, time.monotonic() + seconds
    ws = client._ws
    try:
        while time.monotonic() < deadline:
            await ws.send(frame([4, {"id": control, "props": {"value": f"spam {sent}"}}]))
            await ws.send(frame([3, {"target": control, "name": "change", "data": f"spam {sent}"}]))
            await ws.send(frame([3, {"target": control, "name": "submit", "data": f"spam {sent}"}]))
            sent += 3
            if sent % 90 == 0:
                await asyncio.sleep(0)  # let the client read what the server says (a close)
    except websockets.ConnectionClosed:
        pass
    return sent


async def test_a_flooding_socket_is_closed_with_a_reason_while_others_keep_talking(bot_dir, tmp_path, caplog):
    # A low limit, so that even a client slowed down by a busy machine floods past it.
    limits = dict(ws_frames_per_second=50.0, ws_frame_burst=100, ws_flood_cooldown=5.0)
    async with serve_confab(bot_dir, tmp_path, **limits) as served:
        alice, bob = await Person.open(served.url), await Person.open(served.url)
        await alice.join("Alice")
        await bob.join("Bob")
        flooder = await FletClient.connect(served.url)
        await flooder.wait_for(lambda: flooder.find_one("TextField", hint_text="Write a message..."))
        # The page has asked the browser what it remembers (theme, id, name, draft): nothing is
        # left for this client to answer, so its reader is free to see what the server says.
        await flooder.wait_for(lambda: flooder.invokes_answered >= 5)
        await asyncio.sleep(0.2)
        sent = await flood(flooder, composer_of(flooder))
        ws = flooder._ws
        assert ws.close_code == 1008, (ws.close_code, ws.close_reason, sent)
        assert "Too many messages" in ws.close_reason
        for _ in range(50):  # the client reads what came before the close
            if flooder.closed:
                break
            await asyncio.sleep(0.1)
        assert flooder.crash_message is not None
        assert "more than 50 messages a second" in flooder.crash_message  # what the web client shows
        guard = served.app.state.socket_guard
        for _ in range(50):
            if any(r.closed_for == "flood" for r in guard.recent):
                break
            await asyncio.sleep(0.1)
        (flood_record,) = [r for r in guard.recent if r.closed_for == "flood"]
        assert flood_record.frames < 500, (flood_record, sent)  # read ~burst (100) frames, then closed
        await alice.say("the room still works")
        await bob.sees("the room still works")

        # Reconnecting at once (as Flet's web client does) is answered with why, and held until the pause ends.
        again = await open_raw(served.url)
        await again.send(frame([1, {**REGISTER[1], "session_id": flooder.session_id}]))
        answer = msgpack.unpackb((await asyncio.wait_for(again.recv(), 5))[1:])
        assert answer[0] == 1 and "reconnects by itself" in answer[1]["error"]
        held_at = time.monotonic()
        assert await closed_within(again, 10) == 1013
        assert time.monotonic() - held_at > 1.0  # not a quick loop of reconnects
        await again.close()

        back = await FletClient.connect(served.url, session_id=flooder.session_id)  # after the pause: served again
        assert back.session_id == flooder.session_id
        await back.close()
        await alice.close()
        await bob.close()
    # The flood's queued events ran against a closed socket without a traceback each.
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info][:3]


async def test_a_fast_typist_is_nowhere_near_the_limit(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        typist = await Person.open(served.url)
        await typist.join("Quick")
        composer = composer_of(typist.client)
        text = ""
        for line in range(3):
            for char in f"line {line}: the quick brown fox jumps over the lazy dog, twice over. ":
                text += char
                await typist.client.update_props(composer, {"value": text})  # what a keystroke sends
                await typist.client.send_event(composer, "change", text)
                await asyncio.sleep(0.02)  # 20 ms per key
            await typist.client.send_event(composer, "submit", text)
            await typist.sees(text.strip())
            text = ""
        assert not typist.client.closed
        await typist.close()
        guard = served.app.state.socket_guard
        for _ in range(50):
            if guard.recent:
                break
            await asyncio.sleep(0.1)
        (record,) = [r for r in guard.recent if r.frames > 100]
        assert record.closed_for is None
        assert record.lowest_tokens > 0.9 * guard.limits.frame_burst, record  # nowhere near empty


async def test_a_backlog_read_at_once_is_slowed_down_not_closed(bot_dir, tmp_path):
    # A server that stalled reads an honest client's queued keystrokes all at once: more than the
    # burst. That is a backlog, not a flood: it is handed to Flet at the limit's pace, and kept.
    limits = dict(ws_frames_per_second=50.0, ws_frame_burst=100, ws_flood_cooldown=5.0)
    async with serve_confab(bot_dir, tmp_path, **limits) as served:
        typist = await Person.open(served.url)
        await typist.join("Backlog")
        composer = composer_of(typist.client)
        ws = typist.client._ws
        text = ""
        for n in range(150):  # 1.5x the burst, in one go
            text = f"queued {n}"
            await ws.send(frame([4, {"id": composer, "props": {"value": text}}]))
        for n in range(15):  # then typing goes on at 10 keys a second
            text = f"typed on {n}"
            await typist.client.update_props(composer, {"value": text})
            await asyncio.sleep(0.1)
        await typist.client.send_event(composer, "submit", text)
        await typist.sees(text)
        assert not typist.client.closed
        await typist.close()
        guard = served.app.state.socket_guard
        for _ in range(50):
            if guard.recent:
                break
            await asyncio.sleep(0.1)
        (record,) = [r for r in guard.recent if r.frames > 100]
        assert record.closed_for is None, record
        assert record.lowest_tokens < 1, record  # it did run the bucket dry: it was slowed down


def test_an_address_let_back_in_after_a_flood_starts_with_a_smaller_allowance():
    from chat.socket_guard import GuardedSocket, SocketGuard, SocketLimits

    limits = SocketLimits(
        frames_per_second=200.0, frame_burst=400, register_timeout=10.0, max_frame_bytes=1 << 20, flood_cooldown=10.0,
        events_in_flight=4,
    )
    guard = SocketGuard(limits)

    async def nothing(*_):
        return None

    def allowance(address: str) -> float:
        return GuardedSocket(guard, address, nothing, nothing, []).budget.tokens

    assert allowance("10.0.0.1") == 400
    guard.cooldowns.punish("10.0.0.1")
    assert allowance("10.0.0.1") <= 201  # half, plus what trickles in meanwhile
    guard.cooldowns.punish("10.0.0.1")
    assert allowance("10.0.0.1") <= 101
    assert allowance("10.0.0.2") == 400  # another address is not affected


async def test_a_flooders_events_wait_while_its_earlier_ones_run(bot_dir, tmp_path):
    # A burst the frame limit allows (as when a flooder is let back in): Flet used to start a
    # task for every event at once, all queued ahead of everyone else's deliveries.
    cap = 4
    limits = dict(ws_frames_per_second=1000.0, ws_frame_burst=2000, ws_events_in_flight=cap)
    async with serve_confab(bot_dir, tmp_path, **limits) as served:
        alice, flooder = await Person.open(served.url), await Person.open(served.url)
        await alice.join("Alice")
        await flooder.join("Flood")
        composer = composer_of(flooder.client)
        running = server_session(flooder.client.session_id).connection._FletApp__running_tasks
        most, watching = 0, True

        async def watch() -> None:  # on the server's own loop: sees every moment between two steps
            nonlocal most
            while watching:
                most = max(most, len(running))
                await asyncio.sleep(0)

        watcher = asyncio.create_task(watch())
        events = 600
        ws = flooder.client._ws
        for n in range(events):
            await ws.send(frame([3, {"target": composer, "name": "change", "data": f"flood {n}"}]))
        # Typed and sent last: handled only after every event before it.
        await flooder.client.send_event(composer, "change", "the last word")
        await flooder.client.send_event(composer, "submit", "the last word")
        await alice.sees("the last word", timeout=60)
        watching = False
        await watcher
        await flooder.close()
        await alice.close()
        guard = served.app.state.socket_guard
        for _ in range(50):
            if any(r.frames > events for r in guard.recent):
                break
            await asyncio.sleep(0.1)
        (record,) = [r for r in guard.recent if r.frames > events]
    assert record.closed_for is None, record  # within the frame limit: slowed only by its own events
    assert 1 < most <= cap, most
    assert 1 < record.most_events_in_flight <= cap, record
