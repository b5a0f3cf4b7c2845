"""bench.rooms scenarios 2 and 3: joining a big room among many, and memory per idle session over many rooms."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.room_seed import BIG_ROOM, SENDER_BASE, ratio, seed_rooms, team, with_server
from bench.room_traffic import RoomSession, open_room_sessions, talk_in_rooms
from bench.servers import ServerProcess, settle
from bench.sessions import close_sessions, message_token
from bench.stats import latency_summary_ms, rounded
from bench.stream import TimedModel


async def join_big_room(settings: dict, work_dir: Path, model: TimedModel, log) -> dict:
    """Scenario 2: open /r/<big room> among many rooms, until its newest message shows; a small room alike."""
    database = work_dir / "rooms-join.db"
    started = time.perf_counter()
    few = await seed_rooms(database, settings["all_rooms"], stored=settings["stored"])
    seed_s = time.perf_counter() - started
    log(
        f"join: seeded {settings['all_rooms']} rooms, {settings['stored']} messages in {BIG_ROOM}, in {seed_s:.0f} s"
    )
    targets = {BIG_ROOM: settings["stored"], team(1): few}

    async def measure(server: ServerProcess) -> dict:
        await settle(server)
        times: dict[str, list[float]] = {room: [] for room in targets}
        first: dict[str, float] = {}
        readers = iter(range(10**6))
        # Alternate the rooms so drift in the machine's load hits both alike; the first
        # visit of each after the start (its first backlog read) is reported on its own.
        for _ in range(settings["joins"] + 1):
            for room, count in targets.items():
                session = RoomSession(next(readers), settings["compression"], room)
                newest = session.expect(message_token(SENDER_BASE, count - 1).encode())
                await session.open_and_join(server.url, f"Reader{session.number}")
                shown = await asyncio.wait_for(newest, 30)
                elapsed = max(shown, session.ready_at) - session.connected_at
                if room in first:
                    times[room].append(elapsed)
                else:
                    first[room] = elapsed
                await session.close()
        return {
            room: {
                "stored_messages": targets[room],
                "first_join_after_start_ms": rounded(1000 * first[room]),
                "join": latency_summary_ms(times[room]),
            }
            for room in targets
        }

    joined = await with_server(work_dir, model, database, measure)
    big, small = joined[BIG_ROOM], joined[team(1)]
    log(
        f"  p95 {big['join']['p95_ms']} ms with {settings['stored']} stored, {small['join']['p95_ms']} ms with {few}"
    )
    return {
        "rooms_in_store": settings["all_rooms"] + 1,  # and "general", which the server adds
        "joins_each": settings["joins"],
        "seed_s": rounded(seed_s, 1),
        "big_room": big,
        "small_room": small,
        "same_run_ratios": {
            "p95_big_over_small": ratio(big["join"]["p95_ms"], small["join"]["p95_ms"])
        },
    }


async def idle_memory(settings: dict, work_dir: Path, model: TimedModel, log) -> dict:
    """Scenario 3: server RSS per idle session over many rooms, against the same count in one room."""
    database = work_dir / "rooms-idle.db"
    await seed_rooms(database, settings["rooms"])
    idle, messages = settings["idle"], settings["messages"]

    async def measure(server: ServerProcess, room_count: int) -> dict:
        names = [team(i) for i in range(room_count)]
        talkers = await open_room_sessions(
            server.url, dict.fromkeys(names, 1), settings["compression"]
        )
        await settle(server)
        rss_before = server.rss_bytes()
        spread = {
            name: idle // room_count + (i < idle % room_count) for i, name in enumerate(names)
        }
        sessions = await open_room_sessions(
            server.url, spread, settings["compression"], first_number=room_count
        )
        await settle(server)
        rss_joined = server.rss_bytes()
        rooms = {name: [*talkers[name], *sessions[name]] for name in names}
        try:
            talk = await talk_in_rooms(server, rooms, 1, messages)  # type: ignore[arg-type]
            await settle(server)
            rss_after = server.rss_bytes()
        finally:
            await close_sessions([s for group in rooms.values() for s in group])
        return {
            "rooms": room_count,
            "idle_sessions": idle,
            "rss_before_mb": rounded(rss_before / 2**20),
            "rss_joined_mb": rounded(rss_joined / 2**20),
            "rss_after_talk_mb": rounded(rss_after / 2**20),
            "rss_per_idle_session_joined_mb": rounded((rss_joined - rss_before) / idle / 2**20, 3),
            "rss_per_idle_session_mb": rounded((rss_after - rss_before) / idle / 2**20, 3),
            "talk": {
                k: talk[k] for k in ("messages", "deliveries", "lost", "wrong_room", "p99_ms")
            },
        }

    log(f"memory: {idle} idle sessions in one room")
    single = await with_server(work_dir, model, database, lambda s: measure(s, 1))
    log(f"memory: {idle} idle sessions over {settings['rooms']} rooms")
    many = await with_server(work_dir, model, database, lambda s: measure(s, settings["rooms"]))
    log(
        f"  {many['rss_per_idle_session_mb']} MB per idle session; {single['rss_per_idle_session_mb']} in one room"
    )
    return {
        "single_room": single,
        "many_rooms": many,
        "same_run_ratios": {
            "rss_per_idle_session_many_over_single": ratio(
                many["rss_per_idle_session_mb"], single["rss_per_idle_session_mb"]
            )
        },
    }
