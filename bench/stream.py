"""Scenario (c): a bot reply streamed from the model server, watched by many sessions."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

from bench.servers import ServerProcess, process_cpu_seconds, settle
from bench.sessions import BenchSession, close_sessions, open_sessions
from bench.stats import latency_summary_ms, percentile, rounded
from tests.fake_openai import FakeOpenAI

WORD = re.compile(rb"tk(\d{4})")
"""The reply's words are tk0001 tk0002 ...: a frame's last one is how far the text has got."""


def reply_text(tokens: int) -> str:
    return " ".join(f"tk{i:04d}" for i in range(1, tokens + 1))


class TimedModel(FakeOpenAI):
    """The fake OpenAI-compatible server, noting when it wrote each word (perf_counter)."""

    def __init__(self) -> None:
        super().__init__()
        self.word_times: list[float] = []
        handler = self._httpd.RequestHandlerClass
        write_event = handler._event
        model = self

        def timed_event(self, payload: dict) -> None:
            write_event(self, payload)
            choices = payload.get("choices") or [{}]
            if (choices[0].get("delta") or {}).get("content"):
                model.word_times.append(time.perf_counter())

        handler._event = timed_event


@dataclass
class StreamWatch:
    """What one session saw of the reply: when each word first arrived, and frame times."""

    first_seen: dict[int, float] = field(default_factory=dict)
    frames: list[float] = field(default_factory=list)
    top: int = 0

    def __call__(self, raw: bytes, received_at: float) -> None:
        self.frames.append(received_at)
        if b"tk" not in raw:
            return
        words = WORD.findall(raw)
        if not words:
            return
        newest = int(words[-1])
        for index in range(self.top + 1, newest + 1):
            self.first_seen[index] = received_at
        self.top = max(self.top, newest)


async def bot_stream(
    server: ServerProcess,
    model: TimedModel,
    session_count: int,
    tokens: int,
    tokens_per_second: float,
    compression: str | None,
    drain_after_stream: float = 10.0,
) -> dict:
    """One session asks @bot; the model streams `tokens` words at `tokens_per_second`."""
    sessions = await open_sessions(server.url, session_count, compression=compression)
    try:
        return await _watch(server, model, sessions, tokens, tokens_per_second, drain_after_stream)
    finally:
        await close_sessions(sessions)


async def _watch(server, model, sessions: list[BenchSession], tokens, rate, drain_after_stream) -> dict:
    await settle(server)
    model.word_times.clear()
    model.reply(reply_text(tokens), words_per_second=rate)
    watches = []
    for session in sessions:
        session.start_recording()
        session.frame_hook = watch = StreamWatch()
        watches.append(watch)
    cpu_before, client_cpu_before = server.cpu_seconds(), process_cpu_seconds()
    asked_at = time.perf_counter()
    await sessions[0].post("@bot please count for the benchmark")
    stream_time = tokens / rate
    deadline = asked_at + stream_time + 30.0
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
        if len(model.word_times) >= tokens and all(w.top >= tokens for w in watches):
            break
        # A server that cannot keep up is given a bounded time to drain, then measured as it is.
        if len(model.word_times) >= tokens and time.perf_counter() > model.word_times[-1] + drain_after_stream:
            break
    for session in sessions:
        session.stop_recording()
        session.frame_hook = None
    cpu = server.cpu_seconds() - cpu_before
    client_cpu = process_cpu_seconds() - client_cpu_before
    return _summary(model.word_times, watches, tokens, asked_at, cpu, client_cpu, len(sessions), server)


def _summary(word_times, watches, tokens, asked_at, cpu, client_cpu, session_count, server) -> dict:
    if not word_times:
        return {"sessions": session_count, "error": "the model server never streamed"}
    first_token = word_times[0]
    stream_end = word_times[-1]
    first_frames = [w.first_seen[1] - first_token for w in watches if 1 in w.first_seen]
    lags = [
        w.first_seen[i] - word_times[i - 1]
        for w in watches
        for i in w.first_seen
        if i <= len(word_times)
    ]
    rates = []
    for w in watches:
        seen_all = w.first_seen.get(tokens)
        end = seen_all if seen_all is not None else stream_end
        window = end - first_token
        if window > 0:
            rates.append(sum(1 for t in w.frames if first_token <= t <= end) / window)
    complete = sum(1 for w in watches if w.top >= tokens)
    return {
        "sessions": session_count,
        "tokens": tokens,
        "tokens_streamed": len(word_times),
        "model_stream_s": rounded(stream_end - first_token, 2),
        "mention_to_first_token_s": rounded(first_token - asked_at, 3),
        "first_frame_after_first_token_ms": {
            "p50": rounded(1000 * (percentile(first_frames, 50) or 0)),
            "p95": rounded(1000 * (percentile(first_frames, 95) or 0)),
            "max": rounded(1000 * max(first_frames)) if first_frames else None,
        },
        "token_lag": latency_summary_ms(lags),
        "frames_per_session_per_s": {
            "p50": rounded(percentile(rates, 50)),
            "max": rounded(max(rates)) if rates else None,
        },
        "sessions_with_whole_reply": complete,
        "server_cpu_s": rounded(cpu, 2),
        "server_rss_mb": rounded(server.rss_bytes() / 2**20),
        "client_cpu_s": rounded(client_cpu, 2),
    }
