"""Scale-out benchmark: the same room load on one Confab process, then on two.

Both runs use PostgreSQL and Redis (a fresh database and Redis channel each),
the same number of sessions (spread evenly over the processes) and the same
talkers, each posting its next message once its previous one came back.
Prints JSON and saves it to bench/results/scale_out.json:

    .venv/bin/python -m bench.scale_out            # about 90 s on 2 cores
    .venv/bin/python -m bench.scale_out --sessions 200 --talkers 20 --rounds 3

The ratio is deliveries/s with two processes over deliveries/s with one. On
a machine with few cores the two processes, PostgreSQL, Redis and this
benchmark's clients all share them, so read the ratio with `machine.cores`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

import pytest

from bench.apps import confab_server
from bench.servers import ServerProcess, machine_description, process_cpu_seconds, settle
from bench.fanout import score, send_burst
from bench.sessions import TOKEN, BenchSession, close_sessions, open_sessions
from bench.stats import rounded
from tests.servers import (
    REDIS_URL,
    fetch_sql,
    fresh_database,
    new_channel,
    redis_answers,
    servers_in_use,
)

RESULTS = Path(__file__).resolve().parent / "results" / "scale_out.json"
SEND_TIMEOUT = 30.0
"""How long a talker waits for its own message before counting it lost and going on."""
DRAIN_TIMEOUT = 20.0
UNUSED_MODEL = "http://127.0.0.1:9/v1"
"""Nobody mentions the bot here; an LLM URL only spares the offline brain's training."""


async def run_layout(
    processes: int, sessions: int, talkers: int, messages: int, work_dir: Path
) -> dict:
    """One measurement: `processes` servers on a fresh database, `sessions` spread over them."""
    channel = new_channel()  # one channel for the layout's processes: they share a room
    async with fresh_database() as database_url:
        servers = [
            confab_server(
                work_dir,
                UNUSED_MODEL,
                DATABASE_URL=database_url,
                BUS_URL=REDIS_URL,
                CHAT_BUS_CHANNEL=channel,
                CHAT_RENDER_LIMIT="200",
            )
            for _ in range(processes)
        ]
        try:
            await asyncio.gather(*(asyncio.to_thread(s.start) for s in servers))
            opened = await asyncio.gather(
                *(
                    open_sessions(
                        server.url,
                        len(range(i, sessions, processes)),
                        compression=None,
                        first_number=i * sessions,
                    )
                    for i, server in enumerate(servers)
                )
            )
            everyone = [s for group in opened for s in group]
            # Talkers taken in turn from each process, so both carry the same share.
            speaking = [group[k] for k in range(talkers) for group in opened if k < len(group)][
                :talkers
            ]
            try:
                result = await measure(servers, everyone, speaking, messages, database_url)
            finally:
                await close_sessions(everyone)
        finally:
            for server in servers:
                await asyncio.to_thread(server.stop)
    return {"processes": processes, **result}


async def measure(
    servers: list[ServerProcess],
    sessions: list[BenchSession],
    talkers: list[BenchSession],
    messages: int,
    database_url: str,
) -> dict:
    """A burst over every process; the database's seq order is the order all must show."""
    await asyncio.gather(*(settle(s) for s in servers))
    cpu_before = [s.cpu_seconds() for s in servers]
    client_cpu_before = process_cpu_seconds()
    burst = await send_burst(
        sessions, talkers, messages, send_timeout=SEND_TIMEOUT, drain_timeout=DRAIN_TIMEOUT
    )
    cpu = [s.cpu_seconds() - before for s, before in zip(servers, cpu_before)]
    client_cpu = process_cpu_seconds() - client_cpu_before
    rows = await fetch_sql(
        database_url, "SELECT text FROM messages WHERE kind = 'chat' ORDER BY seq"
    )
    room_order = [_key(row["text"]) for row in rows]
    result = score(sessions, burst, rank={key: i for i, key in enumerate(room_order)})
    delivered = result["deliveries"]
    return {
        **result,
        "talkers": len(talkers),
        "stored": len(room_order),
        "server_cpu_s": [rounded(c, 2) for c in cpu],
        "server_cpu_ms_per_delivery": rounded(
            1000 * sum(cpu) / delivered if delivered else None, 3
        ),
        "client_cpu_s": rounded(client_cpu, 2),
    }


def _key(text: str) -> tuple[int, int] | None:
    match = TOKEN.search(text.encode())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _median(values) -> float | None:
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return (
        ordered[middle]
        if len(ordered) % 2
        else round((ordered[middle - 1] + ordered[middle]) / 2, 1)
    )


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sessions", type=int, default=100, help="sessions in all, spread over the processes"
    )
    parser.add_argument("--talkers", type=int, default=10, help="sessions that post")
    parser.add_argument("--messages", type=int, default=30, help="messages each talker posts")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements of each layout, interleaved"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to save the JSON")
    args = parser.parse_args(argv)

    problem = await _why_not_here()
    if problem:
        print(json.dumps({"scenario": "scale_out", "skipped": problem}))
        return 2
    report = {
        "scenario": "scale_out",
        "machine": machine_description(),
        "settings": {
            "sessions": args.sessions,
            "talkers": args.talkers,
            "messages_each": args.messages,
            "rounds": args.rounds,
            "store": "postgresql",
            "bus": "redis",
        },
    }
    layouts = {"one_process": 1, "two_processes": 2}
    rounds: dict[str, list[dict]] = {name: [] for name in layouts}
    # servers_in_use: a test run on this machine does not stop PostgreSQL or Redis meanwhile.
    async with servers_in_use():
        with tempfile.TemporaryDirectory(prefix="confab-scale-out-") as work:
            # Interleaved (1, 2, 1, 2...), so a noisy minute on the machine hits both layouts.
            for _ in range(args.rounds):
                for name, processes in layouts.items():
                    rounds[name].append(
                        await run_layout(
                            processes, args.sessions, args.talkers, args.messages, Path(work)
                        )
                    )
    for name, measured in rounds.items():
        report[name] = {
            "deliveries_per_s_median": _median(r["deliveries_per_s"] for r in measured),
            "p50_ms_median": _median(r["p50_ms"] for r in measured),
            "p99_ms_median": _median(r["p99_ms"] for r in measured),
            "lost": sum(r["lost"] for r in measured),
            "out_of_order": sum(r["out_of_order"] for r in measured),
            "rounds": measured,
        }
    one = report["one_process"]["deliveries_per_s_median"]
    two = report["two_processes"]["deliveries_per_s_median"]
    report["ratio_two_over_one"] = round(two / one, 2) if one else None
    report["note"] = (
        f"{report['machine']['cores']} cores shared by the server processes, PostgreSQL, Redis "
        "and the benchmark's own clients; a second process only adds capacity on an idle core."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


async def _why_not_here() -> str | None:
    """Why this machine cannot run the benchmark (no PostgreSQL or Redis), or None."""
    error = await redis_answers()
    if error is not None:
        return f"Redis not reachable at {REDIS_URL}: {error}"
    try:
        async with fresh_database():
            pass
    except (pytest.skip.Exception, Exception) as exc:  # the skip says why PostgreSQL is absent
        return f"PostgreSQL not usable: {exc}"
    return None


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
