"""Run the benchmark: Confab against a textbook Flet chat, same load, same run.

The fan-out (scenario a) also runs the physical floor (bench/floor.py, a bare
Starlette WebSocket relay) under the same load, and reports Confab's
deliveries/s and p99 as ratios to it.

    .venv/bin/python -m bench.run            # everything, about 6-8 minutes on 2 cores
    .venv/bin/python -m bench.run --quick    # a smaller version of each scenario, about 2 minutes

Prints JSON, writes it to bench/results/latest.json and a Markdown summary to
bench/results/latest.md. Each server runs as its own process, so the CPU
time and memory reported are the server's alone; every client session
runs in this process (cheap mode: no decoding of the patches it receives).
`python -m bench.plot` draws bench/results/fanout.png from the JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python bench/run.py` works too

from bench.apps import BASELINE, CONFAB, FLOOR, checkout_commit, server_for, session_type_for  # noqa: E402
from bench.fanout import fanout, idle_sessions  # noqa: E402
from bench.history import history  # noqa: E402
from bench.report import floor_ratios, targets, write_markdown  # noqa: E402
from bench.servers import bench_log, measure_and_report  # noqa: E402
from bench.stream import TimedModel, bot_stream  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Confab vs a textbook Flet chat under load.")
    parser.add_argument("--quick", action="store_true", help="smaller scenarios (about 2 minutes)")
    parser.add_argument("--scenarios", default="a,b,c,d", help="which of a,b,c,d to run (default all)")
    parser.add_argument("--sessions", help="session counts for the fan-out sweep (default 10,25,50,100)")
    parser.add_argument("--talkers", type=int, default=5, help="sessions posting in the fan-out (default 5)")
    parser.add_argument("--messages", type=int, default=20, help="messages each talker posts (default 20)")
    parser.add_argument("--no-deflate", action="store_true", help="clients do not negotiate permessage-deflate")
    parser.add_argument("--skip-baseline", action="store_true", help="leave out the textbook chat")
    parser.add_argument("--skip-floor", action="store_true", help="leave the floor out of the fan-out")
    parser.add_argument(
        "--confab-dir", type=Path, default=ROOT, help="run Confab from another checkout (to compare versions)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json", help="where to write the JSON")
    return parser.parse_args(argv)


def plan(args: argparse.Namespace) -> dict:
    quick = args.quick
    apps = [CONFAB] if args.skip_baseline else [BASELINE, CONFAB]
    sweep = [int(n) for n in (args.sessions or ("10,25" if quick else "10,25,50,100")).split(",")]
    return {
        "scenarios": [s.strip() for s in args.scenarios.split(",") if s.strip()],
        "sweep_sessions": sweep,
        "talkers": args.talkers,
        "messages_each": args.messages,
        "idle_sessions": 50 if quick else 200,
        "idle_talk_messages": 10 if quick else 20,
        "stream_sessions": 25 if quick else 100,
        "stream_tokens": 100 if quick else 400,
        "stream_tokens_per_second": 50,
        "stored_messages": 2_000 if quick else 10_000,
        "history_joins": 10 if quick else 30,
        "compression": None if args.no_deflate else "deflate",
        "apps": apps,
        "fanout_apps": apps if args.skip_floor else [FLOOR, *apps],
        "confab_dir": str(args.confab_dir.resolve()),
        "confab_commit": checkout_commit(args.confab_dir),
    }


async def run(settings: dict, work_dir: Path, log) -> dict:
    model = TimedModel()
    results: dict = {"sweep": {app: [] for app in settings["fanout_apps"]}}
    compression = settings["compression"]

    async def with_server(app: str, measure):
        server = server_for(app, work_dir, model.base_url, Path(settings["confab_dir"])).start()
        try:
            return await measure(server)
        finally:
            server.stop()

    try:
        if "a" in settings["scenarios"]:
            for i, count in enumerate(settings["sweep_sessions"]):
                # Alternate which app goes first, so drift in the machine's load hits all alike.
                apps = settings["fanout_apps"]
                for app in apps if i % 2 == 0 else apps[::-1]:
                    log(f"fan-out: {app}, {count} sessions")
                    result = await with_server(
                        app,
                        lambda s, c=count, a=app: fanout(
                            s, c, settings["talkers"], settings["messages_each"], compression, session_type_for(a)
                        ),
                    )
                    results["sweep"][app].append(result)
                    log(f"  {_brief(result)}")
        if "b" in settings["scenarios"]:
            results["idle"] = {}
            for app in settings["apps"]:
                log(f"idle sessions: {app}, {settings['idle_sessions']}")
                results["idle"][app] = await with_server(
                    app,
                    lambda s: idle_sessions(s, settings["idle_sessions"], settings["idle_talk_messages"], compression),
                )
                log(f"  {results['idle'][app]['rss_per_idle_session_mb']} MB per idle session")
        if "c" in settings["scenarios"]:
            results["stream"] = {}
            for app in settings["apps"]:
                log(f"bot stream: {app}, {settings['stream_sessions']} sessions")
                results["stream"][app] = await with_server(
                    app,
                    lambda s: bot_stream(
                        s,
                        model,
                        settings["stream_sessions"],
                        settings["stream_tokens"],
                        settings["stream_tokens_per_second"],
                        compression,
                    ),
                )
                log(f"  {json.dumps(results['stream'][app]['frames_per_session_per_s'])} frames/s per session")
        if "d" in settings["scenarios"]:
            log(f"stored history: confab, {settings['stored_messages']} messages")
            results["history"] = {
                CONFAB: await history(
                    work_dir,
                    model.base_url,
                    settings["stored_messages"],
                    settings["history_joins"],
                    compression,
                    Path(settings["confab_dir"]),
                ),
                BASELINE: "not applicable: the textbook chat stores nothing",
            }
            log(f"  join {json.dumps(results['history'][CONFAB]['join'])}")
    finally:
        model.close()
    return results


def _brief(result: dict) -> str:
    keys = ("deliveries_per_s", "p50_ms", "p99_ms", "lost", "out_of_order", "server_cpu_ms_per_delivery")
    return ", ".join(f"{k}={result.get(k)}" for k in keys)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    settings = plan(args)
    log = bench_log()

    async def measure(work_dir: Path) -> dict:
        results = await run(settings, work_dir, log)
        scored = {"settings": settings, **results}  # what the targets read
        return {**results, "vs_floor": floor_ratios(scored), "targets": targets(scored)}

    report = measure_and_report("bench.run " + " ".join(argv), settings, measure, args.output, log)
    write_markdown(report, args.output.with_suffix(".md"))
    log(f"wrote {args.output.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
