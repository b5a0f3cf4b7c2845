"""Traffic in many rooms at once: sessions that open a room by its URL, and scoring per room.

Every session has a number unique across rooms, and a message's token names
its sender (zq<sender>k<index>qz), so each message carries its room: the
sender's. A session that sees a token from another room's sender counts a
wrong-room delivery; the issue's rule is that a tab showing room B gets no
frame, row or patch for room A's events, so any such token is a fault.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.fanout import SEND_TIMEOUT
from bench.servers import ServerProcess, process_cpu_seconds, settle
from bench.sessions import BenchSession, TimedSession, message_text, message_token
from bench.stats import latency_summary_ms, out_of_order, rounded
from tests.flet_client import FletClient


class RoomSession(BenchSession):
    """A tab opened at /r/<room>, which checks that the joined page shows that room."""

    def __init__(self, number: int, compression: str | None, room: str):
        super().__init__(number, compression)
        self.room = room
        self.route = f"/r/{room}"

    def check_joined(self, client: FletClient) -> None:
        # The app bar's title (size 14), not the room list, which names every room.
        title = f"# {self.room}"
        if not [t for t in client.find("Text", value=title) if t.get("size") == 14]:
            raise RuntimeError(
                f"session {self.number} opened {self.route} but its page is not titled {title}"
            )


async def open_room_sessions(
    url: str,
    per_room: dict[str, int],
    compression: str | None,
    concurrency: int = 8,
    first_number: int = 0,
) -> dict[str, list[RoomSession]]:
    """`per_room[room]` joined sessions in each room, numbered across rooms, a few connecting at a time.

    Rooms are interleaved in the joining order, so every room fills up alike.
    """
    rooms: dict[str, list[RoomSession]] = {room: [] for room in per_room}
    number = first_number
    for position in range(max(per_room.values(), default=0)):
        for room, count in per_room.items():
            if position < count:
                rooms[room].append(RoomSession(number, compression, room))
                number += 1
    gate = asyncio.Semaphore(concurrency)

    async def join(session: RoomSession) -> None:
        async with gate:
            await session.open_and_join(url, f"Person{session.number}")

    await asyncio.gather(*(join(s) for sessions in rooms.values() for s in sessions))
    return rooms


@dataclass
class RoomBurst:
    """What a burst sent in every room: when each message left, and which room it belongs to."""

    started: float
    sent_at: dict[tuple[int, int], float] = field(default_factory=dict)
    room_of_sender: dict[int, str] = field(default_factory=dict)
    unanswered: int = 0


async def room_burst(
    rooms: dict[str, list[TimedSession]],
    talkers_per_room: int,
    messages_each: int,
    drain_timeout: float = 20.0,
    bystanders: Sequence[TimedSession] = (),
    pace: float = 0.0,
) -> RoomBurst:
    """The first `talkers_per_room` sessions of each room post `messages_each` lines.

    `pace` 0: as fast as the server answers, each line after the talker's last came
    back (a closed loop: the server is saturated and latency is its queue). `pace` > 0:
    each talker posts a line every `pace` seconds whatever the server does (an open
    loop, as people write), the talkers' clocks spread evenly over the first `pace`.
    """
    everyone = [*(s for sessions in rooms.values() for s in sessions), *bystanders]
    for session in everyone:
        session.start_recording()
    burst = RoomBurst(started=time.perf_counter())
    for room, sessions in rooms.items():
        burst.room_of_sender.update({s.number: room for s in sessions})

    async def answered(echo: asyncio.Future) -> None:
        try:
            await asyncio.wait_for(echo, SEND_TIMEOUT)
        except TimeoutError:
            burst.unanswered += 1

    async def speak(session: TimedSession, offset: float) -> None:
        pending = []
        for index in range(messages_each):
            if pace:
                await asyncio.sleep(
                    max(0.0, burst.started + offset + index * pace - time.perf_counter())
                )
            key = (session.number, index)
            echo = session.expect(message_token(*key).encode())
            burst.sent_at[key] = time.perf_counter()
            await session.post(message_text(*key))
            if pace:
                pending.append(answered(echo))
            else:
                await answered(echo)
        await asyncio.gather(*pending)

    talkers = [s for sessions in rooms.values() for s in sessions[:talkers_per_room]]
    await asyncio.gather(*(speak(s, pace * i / len(talkers)) for i, s in enumerate(talkers)))
    deadline = time.perf_counter() + drain_timeout
    while not _all_delivered(rooms, burst) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    for session in everyone:
        session.stop_recording()
    return burst


def _all_delivered(rooms: dict[str, list[TimedSession]], burst: RoomBurst) -> bool:
    for room, sessions in rooms.items():
        own = [k for k in burst.sent_at if burst.room_of_sender[k[0]] == room]
        if any(key not in s.arrivals.first_seen for s in sessions for key in own):
            return False
    return True


def score_rooms(rooms: dict[str, list[TimedSession]], burst: RoomBurst) -> dict:
    """Deliveries, losses, disorder, latency, and deliveries to the wrong room, over all rooms."""
    latencies: list[float] = []
    last_arrival, disorder, expected, wrong_room = burst.started, 0, 0, 0
    wrong_room_sessions = 0
    for room, sessions in rooms.items():
        own = {k: t for k, t in burst.sent_at.items() if burst.room_of_sender.get(k[0]) == room}
        expected += len(own) * len(sessions)
        reference = max(sessions, key=lambda s: sum(1 for k in s.arrivals.order if k in own))
        rank = {key: i for i, key in enumerate(k for k in reference.arrivals.order if k in own)}
        for session in sessions:
            seen = session.arrivals.first_seen
            for key, sent in own.items():
                arrived = seen.get(key)
                if arrived is not None:
                    latencies.append(arrived - sent)
                    last_arrival = max(last_arrival, arrived)
            disorder += out_of_order([k for k in session.arrivals.order if k in own], rank)
            # Any token from a sender outside this room: the sender's room is the message's room.
            foreign = sum(1 for key in seen if burst.room_of_sender.get(key[0], room) != room)
            wrong_room += foreign
            wrong_room_sessions += foreign > 0
    delivered = len(latencies)
    elapsed = last_arrival - burst.started
    return {
        "rooms": len(rooms),
        "sessions": sum(len(s) for s in rooms.values()),
        "messages": len(burst.sent_at),
        "deliveries_expected": expected,
        "deliveries": delivered,
        "lost": expected - delivered,
        "wrong_room": wrong_room,
        "sessions_with_wrong_room": wrong_room_sessions,
        "out_of_order": disorder,
        "unanswered_sends": burst.unanswered,
        "elapsed_s": rounded(elapsed, 3),
        "deliveries_per_s": rounded(delivered / elapsed if elapsed > 0 else 0.0),
        **latency_summary_ms(latencies),
    }


async def talk_in_rooms(
    server: ServerProcess,
    rooms: dict[str, list[TimedSession]],
    talkers_per_room: int,
    messages_each: int,
    bystanders: Sequence[TimedSession] = (),
    pace: float = 0.0,
) -> dict:
    """A burst in every room at once against one server, with the server's CPU and memory.

    `pace`: see room_burst.

    `bystanders` sit in a room where nobody talks: every frame they receive
    meanwhile was caused by the other rooms' traffic.
    """
    await settle(server)
    cpu_before, client_cpu_before = server.cpu_seconds(), process_cpu_seconds()
    gc.disable()  # no collector pauses in the clients while they time arrivals
    try:
        burst = await room_burst(
            rooms, talkers_per_room, messages_each, bystanders=bystanders, pace=pace
        )
    finally:
        gc.enable()
    cpu = server.cpu_seconds() - cpu_before
    client_cpu = process_cpu_seconds() - client_cpu_before
    result = score_rooms(rooms, burst)
    if bystanders:
        result["bystanders"] = {
            "sessions": len(bystanders),
            "frames": sum(s.arrivals.frames for s in bystanders),
            "bytes": sum(s.arrivals.bytes for s in bystanders),
            "messages_seen": sum(len(s.arrivals.first_seen) for s in bystanders),
        }
    delivered = result["deliveries"]
    return {
        **result,
        "talkers_per_room": talkers_per_room,
        "pace_s": pace or None,
        "server_cpu_s": rounded(cpu, 2),
        "server_cpu_ms_per_delivery": rounded(1000 * cpu / delivered if delivered else None, 3),
        # Near 1.0, the server's one event loop was busy throughout: latency is queueing.
        "server_cpu_share_of_burst": rounded(
            cpu / result["elapsed_s"] if result["elapsed_s"] else None, 2
        ),
        "server_rss_mb": rounded(server.rss_bytes() / 2**20),
        "client_cpu_s": rounded(client_cpu, 2),
    }
