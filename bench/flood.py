"""Flood benchmark: does one socket flooding slow everyone else's deliveries?

In one run, against one Confab process: sessions talk quietly; then again
while one extra socket floods keystroke frames as fast as it can (and, closed,
reconnects half a second later the way Flet's web client does, and floods
again); then again while it sends just under the per-connection limit. For
comparison, the same three phases run against a second process whose frame
limit is effectively off (what Confab did before the limit). Prints JSON and
saves it to bench/results/flood.json:

    .venv/bin/python -m bench.flood            # about 2-3 minutes on 2 cores
    .venv/bin/python -m bench.flood --sessions 50 --messages 30

Target: the flooded p99 stays within 2x the quiet p99 of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.apps import confab_server
from bench.fanout import score, send_burst
from bench.servers import ROOT, ServerProcess, machine_description, settle
from bench.sessions import close_sessions, open_sessions
from bench.stats import rounded

RESULTS = Path(__file__).resolve().parent / "results" / "flood.json"
UNUSED_MODEL = "http://127.0.0.1:9/v1"
"""Nobody mentions the bot here; an LLM URL only spares the offline brain's training."""
FRAMES_PER_SECOND = 200
"""The per-connection limit the limited server runs with (Confab's default)."""


class RemoteFlooder:
    """bench/flood_attacker.py in its own process: admissions counted as it reports them."""

    def __init__(self, url: str, frames_per_second: float | None):
        self.args = [url] + ([] if frames_per_second is None else [str(frames_per_second)])
        self.admissions = 0
        self.flooding = asyncio.Event()
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._stats: dict = {}

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.flood_attacker", *self.args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._proc and self._proc.stdout
        async for line in self._proc.stdout:
            text = line.decode().strip()
            if text == "admitted":
                self.admissions += 1
                self.flooding.set()
            elif text.startswith("{"):
                self._stats = json.loads(text)

    async def stop(self) -> dict:
        assert self._proc and self._proc.stdin and self._reader
        self._proc.stdin.close()
        await asyncio.wait_for(self._proc.wait(), 60)
        await self._reader
        return self._stats


async def talk(sessions, talkers, messages: int) -> dict:
    """One burst, with short timeouts: without a limit a flood can stall the server for minutes."""
    return score(sessions, await send_burst(sessions, talkers, messages, send_timeout=10, drain_timeout=10))


async def phases(server: ServerProcess, sessions_count: int, talkers: int, messages: int, repeats: int) -> dict:
    """Quiet, flooded at max rate, flooded just under the limit: the same sessions, one after another, `repeats` times.

    The machine is shared, so each phase's p99 is the median over the repeats, and each
    repeat's flooded p99 is also compared with the quiet p99 measured just before it.
    """
    sessions = await open_sessions(server.url, sessions_count, compression="deflate")
    runs: dict[str, list[dict]] = {"quiet": [], "max_rate_flood": [], "flood_just_under_limit": []}
    try:
        for _ in range(repeats):
            await settle(server)
            runs["quiet"].append(await talk(sessions, sessions[:talkers], messages))
            for name, pace in (("max_rate_flood", None), ("flood_just_under_limit", 0.9 * FRAMES_PER_SECOND)):
                await settle(server)
                flooder = RemoteFlooder(server.url, pace)
                await flooder.start()
                await asyncio.wait_for(flooder.flooding.wait(), 120)  # a paused address waits out its pause
                if pace is None:
                    # Measure from a let-back-in on: a flooder that was closed, waited out its pause and
                    # is back with a fresh allowance (the costliest moment), then slowed down and closed.
                    await _until(lambda f=flooder: f.admissions >= 2, 60)
                    await asyncio.sleep(0.2)
                else:
                    await asyncio.sleep(1.0)  # the flood is under way
                measured = await talk(sessions, sessions[:talkers], messages)
                runs[name].append({**measured, "flooder": await flooder.stop()})
    finally:
        await close_sessions(sessions)
    quiet = [run["p99_ms"] for run in runs["quiet"]]
    result: dict = {"quiet": {"p99_ms_median": _median(quiet), "runs": runs["quiet"]}}
    for name in ("max_rate_flood", "flood_just_under_limit"):
        p99s = [run["p99_ms"] for run in runs[name]]
        for before, run in zip(quiet, runs[name]):
            run["p99_vs_quiet"] = rounded(run["p99_ms"] / before if before and run["p99_ms"] is not None else None, 2)
        median = _median(p99s)
        result[name] = {
            "p99_ms_median": median,
            "p99_vs_quiet": rounded(median / result["quiet"]["p99_ms_median"], 2) if median is not None else None,
            "p99_vs_quiet_each_repeat": [run["p99_vs_quiet"] for run in runs[name]],
            "runs": runs[name],
        }
    return result


async def _until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the flooder was never let back in")
        await asyncio.sleep(0.05)


def _median(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return rounded(statistics.median(known), 1) if len(known) == len(values) and known else None


async def run(
    sessions: int, talkers: int, messages: int, repeats: int, work_dir: Path, layouts_wanted: list[str]
) -> dict:
    report = {}
    layouts = {
        # A short pause: the max-rate flooder gets back in (and is cut off) more often.
        "limited": {"CHAT_WS_FRAMES_PER_SECOND": str(FRAMES_PER_SECOND), "CHAT_WS_FLOOD_COOLDOWN": "2"},
        "no_limit": {"CHAT_WS_FRAMES_PER_SECOND": "1000000000", "CHAT_WS_FRAME_BURST": "1000000000"},
    }
    for name, env in layouts.items():
        if name not in layouts_wanted:
            continue
        server = confab_server(work_dir, UNUSED_MODEL, **env).start()
        try:
            report[name] = await phases(server, sessions, talkers, messages, repeats)
        finally:
            server.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--talkers", type=int, default=5)
    parser.add_argument("--messages", type=int, default=30, help="messages each talker posts per phase")
    parser.add_argument("--repeats", type=int, default=3, help="quiet/flooded rounds; medians are reported")
    parser.add_argument("--layouts", default="limited,no_limit", help="which servers to measure")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    machine = machine_description()
    started = time.monotonic()
    gc.freeze()
    with tempfile.TemporaryDirectory(prefix="confab-flood-") as work_dir:
        results = asyncio.run(
            run(args.sessions, args.talkers, args.messages, args.repeats, Path(work_dir), args.layouts.split(","))
        )
    limited = results["limited"]
    report = {
        "command": "python -m bench.flood " + " ".join(sys.argv[1:] if argv is None else argv),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - started, 1),
        "machine": machine,
        "settings": {"sessions": args.sessions, "talkers": args.talkers, "messages_each": args.messages,
                     "repeats": args.repeats,
                     "frames_per_second_limit": FRAMES_PER_SECOND, "frame_burst": "Confab's default"},
        **results,
        "target": {
            "goal": "median flooded p99 <= 2x median quiet p99 (limited server, same run)",
            "max_rate_flood": limited["max_rate_flood"]["p99_vs_quiet"],
            "flood_just_under_limit": limited["flood_just_under_limit"]["p99_vs_quiet"],
            "met": all(
                (limited[p]["p99_vs_quiet"] or 99) <= 2 for p in ("max_rate_flood", "flood_just_under_limit")
            ),
        },
    }
    text = json.dumps(report, indent=2)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
