"""Rooms under load, each figure compared with its one-room counterpart in the same run.

    .venv/bin/python -m bench.rooms            # real sizes, a few minutes on 2 cores
    .venv/bin/python -m bench.rooms --quick    # smaller, about a minute

1. fan-out: `rooms` x `per_room` sessions in one server, `talkers` posting in
   each room at once, against one room of `per_room` sessions with the same
   talkers. Deliveries/s, p50/p99, lost, and deliveries to the wrong room;
   `bystanders` sessions in one more room, where nobody talks, count every
   frame the other rooms' traffic sent them (a room's events should send none).
2. join: a room holding `stored` messages among `all_rooms` rooms (seeded
   straight into the SQLite file before the server starts): time from opening
   /r/<room> to its newest message shown, against a room of a few messages.
3. memory: server RSS per idle session spread over `rooms` rooms, against the
   same number in one room.
4. paced fan-out: scenario 1 with each talker posting a line every `pace_ms`
   whatever the server does (an open loop, as people write). Scenario 1's talkers
   post each line as soon as their last came back: ten rooms offer ten times the
   traffic to one saturated process, and their latency is that queue. Here the
   offered traffic is fixed, so the ratio says what rooms cost each other below
   saturation.

Prints JSON and writes bench/results/rooms.json. Every server is its own
process; every client session runs here (bench/sessions.py's cheap mode).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.apps import checkout_commit
from bench.room_scenarios import idle_memory, join_big_room
from bench.room_seed import ratio, seed_rooms, team, with_server
from bench.room_traffic import open_room_sessions, talk_in_rooms
from bench.servers import ServerProcess, bench_log, measure_and_report
from bench.sessions import close_sessions
from bench.stats import rounded
from bench.stream import TimedModel
from chat.ui.outage_copy import WRITE_INTERVAL

RESULTS = ROOT / "bench" / "results"
SIZES = {
    "full": {
        "rooms": 10,
        "per_room": 50,
        "talkers": 2,
        "messages": 20,
        "stored": 10_000,
        "all_rooms": 100,
        "joins": 30,
        "idle": 200,
        "bystanders": 10,
        "pace_ms": 2000,
    },
    "quick": {
        "rooms": 10,
        "per_room": 10,
        "talkers": 2,
        "messages": 5,
        "stored": 2_000,
        "all_rooms": 100,
        "joins": 10,
        "idle": 50,
        "bystanders": 5,
        "pace_ms": 2000,
    },
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Confab with many rooms, each figure against one room."
    )
    parser.add_argument("--quick", action="store_true", help="smaller scenarios (about a minute)")
    parser.add_argument(
        "--scenarios",
        default="1,2,3,4",
        help="which of 1 (fan-out), 2 (join), 3 (memory), 4 (paced fan-out)",
    )
    for name in SIZES["full"]:
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=int, help=f"override the size '{name}'"
        )
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "rooms.json", help="where to write the JSON"
    )
    return parser.parse_args(argv)


def plan(args: argparse.Namespace) -> dict:
    sizes = dict(SIZES["quick" if args.quick else "full"])
    sizes.update({k: getattr(args, k) for k in sizes if getattr(args, k) is not None})
    return {
        "scenarios": [s.strip() for s in args.scenarios.split(",") if s.strip()],
        **sizes,
        "compression": "deflate",
        "confab_commit": checkout_commit(ROOT),
    }


async def fanout_in_rooms(settings: dict, work_dir: Path, model: TimedModel, log) -> dict:
    """Scenario 1: many rooms at once against one room, same sessions and talkers per room."""
    return await _fanout(settings, work_dir, model, log, pace=0.0)


async def paced_fanout_in_rooms(settings: dict, work_dir: Path, model: TimedModel, log) -> dict:
    """Scenario 4: scenario 1 with each talker writing at a fixed pace (`pace_ms`)."""
    return await _fanout(settings, work_dir, model, log, pace=settings["pace_ms"] / 1000)


async def _fanout(settings: dict, work_dir: Path, model: TimedModel, log, pace: float) -> dict:
    database = work_dir / ("rooms-fanout-paced.db" if pace else "rooms-fanout.db")
    await seed_rooms(database, settings["rooms"] + 1)  # the last room is the bystanders'
    per_room, talkers, messages = settings["per_room"], settings["talkers"], settings["messages"]
    bystanders = settings["bystanders"]

    async def measure(server: ServerProcess, room_count: int) -> dict:
        joined_at = time.perf_counter()
        rooms = await open_room_sessions(
            server.url, {team(i): per_room for i in range(room_count)}, settings["compression"]
        )
        join_s = time.perf_counter() - joined_at
        quiet_room = team(settings["rooms"])
        watching = await open_room_sessions(
            server.url, {quiet_room: bystanders}, settings["compression"], first_number=10**6
        )
        # A tab writes its outage copy up to WRITE_INTERVAL after joining: its own frame, not another room's.
        await asyncio.sleep(WRITE_INTERVAL + 1)
        try:
            result = await talk_in_rooms(
                server,
                rooms,  # type: ignore[arg-type]
                talkers,
                messages,
                bystanders=watching[quiet_room],  # type: ignore[arg-type]
                pace=pace,
            )
        finally:
            await close_sessions(
                [s for group in (*rooms.values(), *watching.values()) for s in group]
            )
        return {**result, "join_all_s": rounded(join_s, 2)}

    paced = f", a line every {pace:g} s a talker" if pace else ""
    log(f"fan-out{paced}: one room of {per_room} sessions")
    single = await with_server(work_dir, model, database, lambda s: measure(s, 1))
    log(f"  {_brief(single)}")
    log(f"fan-out{paced}: {settings['rooms']} rooms of {per_room} sessions")
    many = await with_server(work_dir, model, database, lambda s: measure(s, settings["rooms"]))
    log(f"  {_brief(many)}")
    p99_ratio = many["p99_ms"] / single["p99_ms"] if many["p99_ms"] and single["p99_ms"] else None
    return {
        "single_room": single,
        "many_rooms": many,
        "same_run_ratios": {
            "p99_many_over_single": rounded(p99_ratio, 2),
            "p50_many_over_single": ratio(many["p50_ms"], single["p50_ms"]),
            "deliveries_per_s_many_over_single": ratio(
                many["deliveries_per_s"], single["deliveries_per_s"]
            ),
        },
        "target": {
            "p99_at_most_2x_single_room": p99_ratio is not None and p99_ratio <= 2.0,
            "none_lost": single["lost"] == many["lost"] == 0,
            "none_to_the_wrong_room": single["wrong_room"] == many["wrong_room"] == 0,
            "no_frame_to_a_quiet_room": single["bystanders"]["frames"]
            == many["bystanders"]["frames"]
            == 0,
        },
    }


SCENARIOS = {
    "1": ("fanout", fanout_in_rooms),
    "2": ("join", join_big_room),
    "3": ("idle_memory", idle_memory),
    "4": ("fanout_paced", paced_fanout_in_rooms),
}


async def run(settings: dict, work_dir: Path, log) -> dict:
    model = TimedModel()
    results: dict = {}
    try:
        for key in settings["scenarios"]:
            name, scenario = SCENARIOS[key]
            results[name] = await scenario(settings, work_dir, model, log)
    finally:
        model.close()
    return results


def _brief(result: dict) -> str:
    keys = ("sessions", "deliveries_per_s", "p50_ms", "p99_ms", "lost", "wrong_room", "join_all_s")
    return ", ".join(f"{k}={result.get(k)}" for k in keys)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    settings = plan(args)
    log = bench_log("rooms")
    measure_and_report(
        "bench.rooms " + " ".join(argv),
        settings,
        lambda work_dir: run(settings, work_dir, log),
        args.output,
        log,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
