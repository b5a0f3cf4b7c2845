"""Scenarios (a) and (b): many sessions, a few people talking; and many idle sessions.

Scenario (a) runs against any app whose clients are a `TimedSession` (Flet's
protocol for Confab and the textbook chat, plain msgpack for the floor); the
sending, timing and scoring are the same for all.
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass, field

from bench.servers import ServerProcess, process_cpu_seconds, settle
from bench.sessions import (
    BenchSession,
    TimedSession,
    close_sessions,
    message_text,
    message_token,
    open_sessions,
)
from bench.stats import latency_summary_ms, out_of_order, rounded

SEND_TIMEOUT = 60.0
"""How long a sender waits for its own message before counting it lost and going on."""


@dataclass
class Burst:
    """What a burst sent: when each message left, and how many senders gave up waiting."""

    started: float
    sent_at: dict[tuple[int, int], float] = field(default_factory=dict)
    unanswered: int = 0


async def send_burst(
    sessions: list[TimedSession],
    talkers: list[TimedSession],
    messages_each: int,
    send_timeout: float = SEND_TIMEOUT,
    drain_timeout: float = 20.0,
) -> Burst:
    """Each talker posts `messages_each` messages, each after its previous one came back.

    Every session records arrivals meanwhile; returns when all have arrived
    everywhere or `drain_timeout` passed after the last send.
    """
    for session in sessions:
        session.start_recording()
    burst = Burst(started=time.perf_counter())

    async def speak(session: TimedSession) -> None:
        for index in range(messages_each):
            key = (session.number, index)
            echo = session.expect(message_token(*key).encode())
            burst.sent_at[key] = time.perf_counter()
            await session.post(message_text(*key))
            try:
                await asyncio.wait_for(echo, send_timeout)
            except asyncio.TimeoutError:
                burst.unanswered += 1

    await asyncio.gather(*(speak(s) for s in talkers))
    expected = len(burst.sent_at) * len(sessions)
    deadline = time.perf_counter() + drain_timeout
    while _delivered(sessions, burst.sent_at) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    for session in sessions:
        session.stop_recording()
    return burst


def score(sessions: list[TimedSession], burst: Burst, rank: dict | None = None) -> dict:
    """Deliveries, losses, disorder and latency of a burst as `sessions` saw it.

    `rank` is the room's order (message key -> position); by default the
    order the session that saw the most messages saw them in.
    """
    if rank is None:
        reference = max(sessions, key=lambda s: len(s.arrivals.order))
        rank = {key: i for i, key in enumerate(reference.arrivals.order)}
    sent_at = burst.sent_at
    latencies, last_arrival, disorder = [], burst.started, 0
    for session in sessions:
        seen = session.arrivals.first_seen
        for key, sent in sent_at.items():
            arrived = seen.get(key)
            if arrived is not None:
                latencies.append(arrived - sent)
                last_arrival = max(last_arrival, arrived)
        disorder += out_of_order([k for k in session.arrivals.order if k in sent_at], rank)
    expected = len(sent_at) * len(sessions)
    delivered = len(latencies)
    elapsed = last_arrival - burst.started
    return {
        "sessions": len(sessions),
        "messages": len(sent_at),
        "deliveries_expected": expected,
        "deliveries": delivered,
        "lost": expected - delivered,
        "out_of_order": disorder,
        "unanswered_sends": burst.unanswered,
        "elapsed_s": rounded(elapsed, 3),
        "deliveries_per_s": rounded(delivered / elapsed if elapsed > 0 else 0.0),
        **latency_summary_ms(latencies),
    }


async def talk(
    server: ServerProcess,
    sessions: list[TimedSession],
    talkers: list[TimedSession],
    messages_each: int,
    drain_timeout: float = 20.0,
) -> dict:
    """A burst against one server, with its CPU and memory."""
    await settle(server)
    cpu_before, client_cpu_before = server.cpu_seconds(), process_cpu_seconds()
    gc.disable()  # no collector pauses in the clients while they time arrivals
    try:
        burst = await send_burst(sessions, talkers, messages_each, drain_timeout=drain_timeout)
    finally:
        gc.enable()
    cpu = server.cpu_seconds() - cpu_before
    client_cpu = process_cpu_seconds() - client_cpu_before
    result = score(sessions, burst)
    delivered = result["deliveries"]
    return {
        **result,
        "talkers": len(talkers),
        "server_cpu_s": rounded(cpu, 2),
        "server_cpu_ms_per_delivery": rounded(1000 * cpu / delivered if delivered else None, 3),
        "server_rss_mb": rounded(server.rss_bytes() / 2**20),
        "client_cpu_s": rounded(client_cpu, 2),
        "frames_per_session": rounded(sum(s.arrivals.frames for s in sessions) / len(sessions)),
        "bytes_per_session": round(sum(s.arrivals.bytes for s in sessions) / len(sessions)),
    }


def _delivered(sessions: list[TimedSession], sent_at: dict) -> int:
    return sum(sum(1 for key in sent_at if key in s.arrivals.first_seen) for s in sessions)


async def fanout(
    server: ServerProcess,
    session_count: int,
    talkers: int,
    messages_each: int,
    compression: str | None,
    session_type: type[TimedSession] = BenchSession,
) -> dict:
    """Scenario (a): `session_count` joined sessions, `talkers` of them posting."""
    joined_at = time.perf_counter()
    sessions = await open_sessions(server.url, session_count, compression=compression, session_type=session_type)
    join_s = time.perf_counter() - joined_at
    try:
        result = await talk(server, sessions, sessions[:talkers], messages_each)
    finally:
        await close_sessions(sessions)
    return {**result, "join_all_s": rounded(join_s, 2)}


async def idle_sessions(server: ServerProcess, idle_count: int, messages: int, compression: str | None) -> dict:
    """Scenario (b): memory per idle session, with one person talking to all of them."""
    talker = (await open_sessions(server.url, 1, compression=compression, prefix="Talker"))[0]
    await settle(server)
    rss_before = server.rss_bytes()
    joined_at = time.perf_counter()
    idle = await open_sessions(server.url, idle_count, compression=compression, first_number=1)
    join_s = time.perf_counter() - joined_at
    await settle(server)
    rss_joined = server.rss_bytes()
    try:
        result = await talk(server, [talker, *idle], [talker], messages)
        await settle(server)
        rss_after = server.rss_bytes()
    finally:
        await close_sessions([talker, *idle])
    return {
        "idle_sessions": idle_count,
        "rss_before_mb": rounded(rss_before / 2**20),
        "rss_joined_mb": rounded(rss_joined / 2**20),
        "rss_after_talk_mb": rounded(rss_after / 2**20),
        "rss_per_idle_session_mb": rounded((rss_after - rss_before) / idle_count / 2**20, 3),
        "join_all_s": rounded(join_s, 2),
        "talk": result,
    }
