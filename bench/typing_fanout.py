"""The typing scenario: the fan-out with every talker also typing, against the same fan-out without.

    .venv/bin/python -m bench.typing_fanout                  # 25 and 50 sessions, 5 talkers, 20 messages each
    .venv/bin/python -m bench.typing_fanout --sessions 25 --repeat 1

Three kinds of run, alternating on fresh servers, `repeat` times each:
- plain: the fan-out of bench/fanout.py, talkers posting whole texts;
- typing: each talker reports its text word by word as it "types" (a composer
  change event per word, as the browser sends per key) before pressing Enter,
  so its tab sends "typing" signals (throttled by CHAT_TYPING_SIGNAL_SECONDS)
  and a stop when it sends;
- keys_only: the same keystroke reports, with the indicator held quiet
  (CHAT_TYPING_SIGNAL_SECONDS=1000000: one signal and one stop per talker in the run).
The report gives typing / plain (the scenario the issue asks for: keystroke
reports and signals together) and typing / keys_only (the indicator's own
share) for each figure: deliveries/s below 1 and the rest above 1 are costs.
Bus and fan-out only: nothing of it is stored. Writes bench/results/typing.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.apps import checkout_commit, confab_server
from bench.fanout import talk
from bench.room_seed import ratio
from bench.servers import bench_log, measure_and_report
from bench.sessions import BenchSession, close_sessions, open_sessions
from bench.stream import TimedModel
from tests.flet_client import INVOKE_METHOD, peek_action

RESULTS = ROOT / "bench" / "results"
TYPING_WORDS = "typing…".encode()
"""What every frame that changes a typing line carries (msgpack keeps strings verbatim)."""
COMPARED = (
    "deliveries_per_s",
    "p50_ms",
    "p99_ms",
    "server_cpu_ms_per_delivery",
    "bytes_per_session",
)


class TypingSession(BenchSession):
    """A talker who types: a change report per word, then Enter (the composer sees keystrokes)."""

    def _on_frame(self, raw: bytes, received_at: float) -> None:
        # The draft a tab keeps in its browser (a method call, 0.8 s after the last key) carries
        # the talker's own unsent text, token and all: under load it can come before the message.
        if peek_action(raw) != INVOKE_METHOD:
            super()._on_frame(raw, received_at)

    async def post(self, text: str) -> None:
        assert self.client is not None and self.composer_id is not None
        words = text.split(" ")
        for end in range(1, len(words) + 1):
            await self.client.send_event(self.composer_id, "change", " ".join(words[:end]))
        await self.client.submit(self.composer_id, text)


KINDS = {
    "plain": (BenchSession, {}),
    "typing": (TypingSession, {}),
    "keys_only": (TypingSession, {"CHAT_TYPING_SIGNAL_SECONDS": "1000000"}),
}
"""Each kind of run: the talkers' session type, and the server's extra settings."""


async def one_fanout(
    server, count: int, talkers: int, messages: int, kind_name: str, compression: str | None
) -> dict:
    """The fan-out on `server`, of one kind; with the typing-line frames every session got."""
    kind = KINDS[kind_name][0]
    sessions = await open_sessions(server.url, count, compression=compression, session_type=kind)
    lines = [0]

    def count_lines(raw: bytes, received_at: float) -> None:
        if TYPING_WORDS in raw:
            lines[0] += 1

    for session in sessions:
        session.frame_hook = count_lines
    try:
        result = await talk(server, sessions, sessions[:talkers], messages)
    finally:
        await close_sessions(sessions)
    return {**result, "kind": kind_name, "frames_with_a_typing_line": lines[0]}


def summary(runs: list[dict]) -> dict:
    """The mean of each compared figure over `runs`."""
    means = {}
    for key in COMPARED:
        values = [r[key] for r in runs if r.get(key) is not None]
        means[key] = round(sum(values) / len(values), 3) if values else None
    means["lost"] = sum(r["lost"] for r in runs)
    means["out_of_order"] = sum(r["out_of_order"] for r in runs)
    means["frames_with_a_typing_line"] = sum(r["frames_with_a_typing_line"] for r in runs)
    return means


async def compare(settings: dict, work_dir: Path, log) -> list[dict]:
    model = TimedModel()
    rows = []
    try:
        for count in settings["sessions"]:
            runs: dict[str, list[dict]] = {name: [] for name in KINDS}
            order = list(KINDS)
            for rep in range(settings["repeat"]):
                # Rotate which goes first, so drift in the machine's load hits all alike.
                for name in order[rep % len(order) :] + order[: rep % len(order)]:
                    env = {**settings["server_env"], **KINDS[name][1]}
                    server = confab_server(work_dir, model.base_url, **env).start()
                    try:
                        log(f"fan-out, {count} sessions, {name} (run {rep + 1})")
                        result = await one_fanout(
                            server,
                            count,
                            settings["talkers"],
                            settings["messages"],
                            name,
                            settings["compression"],
                        )
                    finally:
                        server.stop()
                    runs[name].append(result)
                    log(
                        f"  {result['deliveries_per_s']} deliveries/s, p99 {result['p99_ms']} ms, "
                        f"cpu {result['server_cpu_ms_per_delivery']} ms/delivery, lost {result['lost']}"
                    )
            means = {name: summary(kind_runs) for name, kind_runs in runs.items()}
            typed = means["typing"]
            rows.append(
                {
                    "sessions": count,
                    **means,
                    "typing_over_plain": {k: ratio(typed[k], means["plain"][k]) for k in COMPARED},
                    "typing_over_keys_only": {
                        k: ratio(typed[k], means["keys_only"][k]) for k in COMPARED
                    },
                    "runs": [run for kind_runs in runs.values() for run in kind_runs],
                }
            )
    finally:
        model.close()
    return rows


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The fan-out with and without typing signals, same run."
    )
    parser.add_argument("--sessions", default="25,50", help="session counts (default 25,50)")
    parser.add_argument("--talkers", type=int, default=5, help="sessions posting (default 5)")
    parser.add_argument(
        "--messages", type=int, default=20, help="messages each talker posts (default 20)"
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each kind per size (default 2)"
    )
    parser.add_argument(
        "--signal-seconds",
        type=float,
        default=None,
        help="CHAT_TYPING_SIGNAL_SECONDS for the server (default: its own)",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "typing.json", help="where to write the JSON"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    env = (
        {}
        if args.signal_seconds is None
        else {"CHAT_TYPING_SIGNAL_SECONDS": str(args.signal_seconds)}
    )
    settings = {
        "sessions": [int(n) for n in args.sessions.split(",")],
        "talkers": args.talkers,
        "messages": args.messages,
        "repeat": args.repeat,
        "server_env": env,
        "compression": "deflate",
        "confab_commit": checkout_commit(ROOT),
    }
    log = bench_log()

    async def measure(work_dir: Path) -> dict:
        return {"by_size": await compare(settings, work_dir, log)}

    measure_and_report("bench.typing_fanout " + " ".join(argv), settings, measure, args.output, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
