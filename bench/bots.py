"""Three bots streaming at once into a room of 100 sessions, against one bot, in the same run.

    .venv/bin/python -m bench.bots            # 100 sessions, 200-word replies, 2 rounds
    .venv/bin/python -m bench.bots --quick    # 25 sessions, 60-word replies, 1 round

Confab runs as its own process with three OpenAI-compatible bots from a bots file
(bot1..bot3, models m1..m3), all aimed at one fake model server on loopback
(tests/fake_openai.py), so the numbers measure Confab, not a model. Reply k's words
are w<k>a0001 w<k>a0002 ... (a letter per scenario); a frame that shows a newer word
of reply k is a frame of that reply. For each scenario and reply: frames/s per session
(Confab sends at most CHAT_BOT_UPDATES_PER_SECOND, 8 by default, per reply), and the
latency from the model's first token to each session's first frame showing it. Rounds
alternate which scenario goes first, so drift in the machine's load hits both alike.
Prints JSON and writes it to bench/results/bots.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.apps import checkout_commit, confab_server
from bench.bot_stats import compare, summary
from bench.servers import (
    ServerProcess,
    bench_log,
    measure_and_report,
    process_cpu_seconds,
    settle,
)
from bench.sessions import close_sessions, open_sessions
from bench.stats import rounded
from tests.fake_openai import FakeOpenAI

BOTS = 3
SCENARIO_TAGS = "abcdefghijklmnopqrstuvwxyz"
"""Each scenario's words carry their own letter: text of an earlier reply, re-sent when
the list changes, must not count as this one's."""
OUTPUT = ROOT / "bench" / "results" / "bots.json"
SERVER_START_WAIT = 300.0
"""Seconds Confab may take to start: the machine is shared, and may be very busy."""


def reply_text(bot: int, words: int, tag: str) -> str:
    return " ".join(f"w{bot}{tag}{i:04d}" for i in range(1, words + 1))


def bots_file(model_url: str) -> str:
    return "".join(
        f'[[bot]]\nhandle = "bot{k}"\nbrain = "openai"\nbase_url = "{model_url}"\nmodel = "m{k}"\n\n'
        for k in range(1, BOTS + 1)
    )


class PerModelTimedModel(FakeOpenAI):
    """The fake server, noting per model when it wrote each word (perf_counter)."""

    def __init__(self) -> None:
        super().__init__()
        self.word_times: dict[str, list[float]] = defaultdict(list)
        handler = self._httpd.RequestHandlerClass
        write_event = handler._event
        model = self

        def timed_event(self, payload: dict) -> None:
            write_event(self, payload)
            choices = payload.get("choices") or [{}]
            if (choices[0].get("delta") or {}).get("content"):
                model.word_times[payload.get("model", "")].append(time.perf_counter())

        handler._event = timed_event


@dataclass
class ReplyWatch:
    """What one session saw: per reply, when each word first arrived and which frames advanced it."""

    tag: str
    """This scenario's letter: only words w<bot><tag><number> count."""
    first_seen: dict[int, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    reply_frames: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    frames: list[float] = field(default_factory=list)
    top: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def __call__(self, raw: bytes, received_at: float) -> None:
        self.frames.append(received_at)
        if self.tag.encode() + b"0" not in raw:
            return
        newest: dict[int, int] = {}
        for bot, number in re.findall(rb"w([1-9])" + self.tag.encode() + rb"(\d{4})", raw):
            newest[int(bot)] = max(newest.get(int(bot), 0), int(number))
        for bot, number in newest.items():
            if number <= self.top[bot]:
                continue
            for index in range(self.top[bot] + 1, number + 1):
                self.first_seen[bot][index] = received_at
            self.top[bot] = number
            self.reply_frames[bot].append(received_at)


async def scenario(
    server, model, sessions, bots: list[int], words: int, rate: float, tag: str
) -> dict:
    """`bots` reply at once (each asked by its own session); what the sessions saw of each."""
    await settle(server)
    model.word_times.clear()
    for bot in bots:
        model.reply(reply_text(bot, words, tag), words_per_second=rate, model=f"m{bot}")
    watches = []
    for session in sessions:
        session.start_recording()
        session.frame_hook = watch = ReplyWatch(tag)
        watches.append(watch)
    cpu_before = server.cpu_seconds()
    client_before = process_cpu_seconds()
    asked_at = time.perf_counter()
    await asyncio.gather(
        *(sessions[i].post(f"@bot{bot} please count") for i, bot in enumerate(bots))
    )
    deadline = asked_at + words / rate + 60.0
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
        streamed = all(len(model.word_times[f"m{b}"]) >= words for b in bots)
        if streamed and all(w.top[b] >= words for w in watches for b in bots):
            break
        last = max((t[-1] for t in model.word_times.values() if t), default=None)
        if streamed and last is not None and time.perf_counter() > last + 10.0:
            break  # a server that cannot keep up is measured as it is after 10 s to drain
    for session in sessions:
        session.stop_recording()
        session.frame_hook = None
    cpu = server.cpu_seconds() - cpu_before
    client_cpu = process_cpu_seconds() - client_before
    return summary(model, watches, bots, words, asked_at, cpu, client_cpu, len(sessions))


async def run(settings: dict, work_dir: Path, log) -> dict:
    model = PerModelTimedModel()
    bots_path = work_dir / "bots.toml"
    bots_path.write_text(bots_file(model.base_url), encoding="utf-8")
    server: ServerProcess = confab_server(
        work_dir,
        model.base_url,
        CHAT_BOTS_FILE=str(bots_path),
        CHAT_BOT_MENTIONS_PER_MINUTE="1000",
    ).start(timeout=SERVER_START_WAIT)
    rounds: list[dict] = []
    try:
        sessions = await open_sessions(
            server.url, settings["sessions"], compression=settings["compression"]
        )
        try:
            for number in range(settings["rounds"]):
                order = ["one", "three"] if number % 2 == 0 else ["three", "one"]
                done = {}
                for name in order:
                    tag = SCENARIO_TAGS[len(rounds) * 2 + len(done)]
                    bots = [1] if name == "one" else list(range(1, BOTS + 1))
                    log(
                        f"round {number + 1}: {len(bots)} bot(s) streaming to {len(sessions)} sessions"
                    )
                    done[name] = await scenario(
                        server,
                        model,
                        sessions,
                        bots,
                        settings["words"],
                        settings["words_per_second"],
                        tag,
                    )
                    log("  " + json.dumps(done[name]["first_frame_after_first_token_ms"]))
                rounds.append({"order": order, "one_bot": done["one"], "three_bots": done["three"]})
        finally:
            await close_sessions(sessions)
        rss_mb = rounded(server.rss_bytes() / 2**20)
    finally:
        server.stop()
        model.close()
    return {"rounds": rounds, "server_rss_mb_at_end": rss_mb, "compared": compare(rounds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="25 sessions, 60-word replies, 1 round"
    )
    parser.add_argument("--sessions", type=int, help="sessions in the room (default 100)")
    parser.add_argument(
        "--rounds", type=int, help="rounds of one-bot and three-bot scenarios (default 2)"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    settings = {
        "sessions": args.sessions or (25 if args.quick else 100),
        "words": 60 if args.quick else 200,
        "words_per_second": 40.0,
        "rounds": args.rounds or (1 if args.quick else 2),
        "compression": "deflate",
        "bot_updates_per_second": 8.0,
        "confab_commit": checkout_commit(ROOT),
    }
    log = bench_log()
    measure = lambda work_dir: run(settings, work_dir, log)
    measure_and_report("bench.bots " + " ".join(argv), settings, measure, args.output, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
