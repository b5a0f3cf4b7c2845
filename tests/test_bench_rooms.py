"""bench/rooms.py: many rooms against one, with deliveries to the wrong room counted."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bench import rooms
from bench.apps import confab_server
from bench.room_seed import seed_rooms
from bench.room_traffic import RoomBurst, RoomSession, room_burst, score_rooms
from bench.sessions import TimedSession, message_token
from bench.stream import TimedModel


class FramesOnly(TimedSession):
    """A session fed raw frames by the test, through the same scanning as a live one."""

    async def open_and_join(self, url: str, name: str, timeout: float = 60.0) -> None:
        raise NotImplementedError("fed frames directly")

    async def post(self, text: str) -> None:
        raise NotImplementedError("fed frames directly")

    async def close(self) -> None:
        return None


def test_a_token_from_another_rooms_sender_counts_as_a_wrong_room_delivery():
    a0, a1, b0 = FramesOnly(0, None), FramesOnly(1, None), FramesOnly(2, None)
    burst = RoomBurst(started=0.0, room_of_sender={0: "a", 1: "a", 2: "b"})
    burst.sent_at = {(0, 0): 0.0, (2, 0): 0.0}
    for session in (a0, a1, b0):
        session.start_recording()
    a0._on_frame(f"row {message_token(0, 0)}".encode(), 0.010)
    a1._on_frame(f"row {message_token(0, 0)}".encode(), 0.020)
    b0._on_frame(f"row {message_token(2, 0)}".encode(), 0.010)
    # Room a's second tab also gets room b's message: a leak.
    a1._on_frame(f"patch {message_token(2, 0)}".encode(), 0.030)

    result = score_rooms({"a": [a0, a1], "b": [b0]}, burst)

    assert (result["deliveries_expected"], result["deliveries"], result["lost"]) == (3, 3, 0)
    assert (result["wrong_room"], result["sessions_with_wrong_room"]) == (1, 1)


def test_a_message_missing_in_its_own_room_is_lost_not_wrong_room():
    a0, b0 = FramesOnly(0, None), FramesOnly(1, None)
    burst = RoomBurst(started=0.0, room_of_sender={0: "a", 1: "b"}, sent_at={(0, 0): 0.0})
    a0.start_recording()
    b0.start_recording()
    a0._on_frame(message_token(0, 0).encode(), 0.01)

    result = score_rooms({"a": [a0], "b": [b0]}, burst)

    assert (result["lost"], result["wrong_room"]) == (0, 0)
    b0_room = {"a": [a0, b0]}  # had b0 been in room a, it would have lost the line
    assert score_rooms(b0_room, RoomBurst(0.0, {(0, 0): 0.0}, {0: "a", 1: "a"}))["lost"] == 1


class SlowEcho(FramesOnly):
    """A talker whose every line comes back `delay` seconds after it is posted."""

    def __init__(self, number: int, delay: float):
        super().__init__(number, None)
        self.delay = delay
        self.posted_at: list[float] = []

    async def post(self, text: str) -> None:
        self.posted_at.append(time.perf_counter())
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, lambda: self._on_frame(text.encode(), time.perf_counter()))


@pytest.mark.asyncio
async def test_a_paced_talker_keeps_its_pace_and_an_unpaced_one_waits_for_each_echo():
    paced, unpaced = SlowEcho(0, delay=0.3), SlowEcho(1, delay=0.3)

    await room_burst({"a": [paced]}, 1, 3, pace=0.1)
    await room_burst({"b": [unpaced]}, 1, 3)

    def gaps(talker: SlowEcho) -> list[float]:
        return [b - a for a, b in zip(talker.posted_at, talker.posted_at[1:], strict=False)]

    assert all(0.08 < gap < 0.2 for gap in gaps(paced)), gaps(paced)
    assert all(gap >= 0.3 for gap in gaps(unpaced)), gaps(unpaced)
    assert len(paced.arrivals.first_seen) == 3  # every paced line still waited for


def test_a_tiny_run_reports_every_scenario_against_one_room(tmp_path, capsys):
    output = tmp_path / "rooms.json"
    tiny = "--rooms 2 --per-room 3 --talkers 2 --messages 2 --stored 30 --all-rooms 4 --joins 1 --idle 4 --bystanders 2 --pace-ms 500"

    assert rooms.main(["--quick", *tiny.split(), "--output", str(output)]) == 0

    report = json.loads(output.read_text())
    assert json.loads(capsys.readouterr().out) == report
    fanout = report["fanout"]
    assert fanout["many_rooms"]["rooms"] == 2 and fanout["many_rooms"]["sessions"] == 6
    assert fanout["single_room"]["sessions"] == 3
    for side in (fanout["single_room"], fanout["many_rooms"]):
        assert side["deliveries"] == side["deliveries_expected"] > 0
        assert (side["lost"], side["wrong_room"]) == (0, 0)
        assert side["server_cpu_share_of_burst"] > 0
        assert side["bystanders"]["sessions"] == 2
        assert side["bystanders"]["frames"] == side["bystanders"]["messages_seen"] == 0
    assert set(fanout["same_run_ratios"]) == {
        "p99_many_over_single",
        "p50_many_over_single",
        "deliveries_per_s_many_over_single",
    }
    assert all(
        fanout["target"][k]
        for k in ("none_lost", "none_to_the_wrong_room", "no_frame_to_a_quiet_room")
    )
    paced = report["fanout_paced"]
    for side in (paced["single_room"], paced["many_rooms"]):
        assert side["pace_s"] == 0.5 and side["elapsed_s"] >= 0.5  # the second line waited its turn
        assert side["deliveries"] == side["deliveries_expected"] > 0
        assert (side["lost"], side["wrong_room"]) == (0, 0)
    assert "p99_many_over_single" in paced["same_run_ratios"]
    join = report["join"]
    assert join["big_room"]["stored_messages"] == 30 and join["big_room"]["join"]["p95_ms"] > 0
    assert (
        join["small_room"]["join"]["p95_ms"] > 0
        and join["same_run_ratios"]["p95_big_over_small"] > 0
    )
    memory = report["idle_memory"]
    assert memory["many_rooms"]["rooms"] == 2 and memory["single_room"]["rooms"] == 1
    assert memory["many_rooms"]["talk"]["wrong_room"] == 0
    assert "rss_per_idle_session_many_over_single" in memory["same_run_ratios"]


async def test_a_session_that_lands_in_another_room_is_refused(tmp_path):
    database = tmp_path / "seeded.db"
    await seed_rooms(database, 2)
    model = TimedModel()
    server = confab_server(tmp_path, model.base_url, database=database).start()
    try:
        landed = RoomSession(0, None, "team-1")
        await landed.open_and_join(server.url, "Person0")
        await landed.close()
        astray = RoomSession(1, None, "team-1")
        astray.route = "/r/no-such-room"  # Confab shows its default room instead
        with pytest.raises(RuntimeError, match="not titled # team-1"):
            await astray.open_and_join(server.url, "Person1")
        await astray.close()
    finally:
        server.stop()
        model.close()
