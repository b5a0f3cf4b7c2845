"""Uploads: how long a 5 MB picture takes to reach every tab, against a plain text line, same run.

    .venv/bin/python -m bench.uploads                        # 50 sessions, 3 repeats, a ~5 MB picture
    .venv/bin/python -m bench.uploads --sessions 3 --repeat 1 --megabytes 0.2

Issue 11 ("Performance: Uploads"). `sessions` headless tabs (bench/sessions.py)
join one Confab server; session 0 then, `repeat` times (alternating which goes
first, so drift in the machine's load hits both alike):
- text: posts a plain chat line through the composer;
- upload: attaches a random-noise PNG of about `megabytes` MB the way a browser
  does with the paper-clip button (chat/ui/attach.py): the tab reports the
  picked file to its FilePicker ("result" event), the server answers with an
  `upload` method call carrying a signed single-use URL, the tab PUTs the bytes
  there (chat/http/files.py: spooled, re-encoded, thumbnailed, kept), reports
  progress 1.0 ("upload" event), and the server posts the message. The paste
  path (bytes over the socket) is not measured.
Each figure is timed from the start of the send (the PUT for a picture, the
composer submit for a line) to the moment each session, the sender's own tab
included, receives the frame carrying the new row (the file's name and the
line both carry a token, bench/sessions.py). Per round: p50/p99/max over the
sessions; reported: the median of each over the repeats, and upload / text.
Writes bench/results/uploads.json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import random
import statistics
import sys
import time
from pathlib import Path
from typing import cast

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.apps import checkout_commit, confab_server
from bench.room_seed import ratio
from bench.servers import bench_log, measure_and_report
from bench.sessions import BenchSession, close_sessions, message_text, message_token, open_sessions
from bench.stats import percentile
from bench.stream import TimedModel
from tests.flet_client import FletClient

RESULTS = ROOT / "bench" / "results"
KINDS = ("text", "upload")
FIGURES = ("p50_ms", "p99_ms", "max_ms")
ROUND_TIMEOUT = 120.0
"""Seconds a round waits for every session to see the new row before counting the rest lost."""
PICKER_TIMEOUT = 30.0
"""Seconds a tab waits for the server to answer a picked file with an upload URL."""


def noise_png(megabytes: float, seed: int = 11) -> bytes:
    """A PNG of random RGB noise of about `megabytes` MB (noise does not compress: 3 bytes a pixel)."""
    from PIL import Image

    side = max(8, int(math.sqrt(megabytes * 1_000_000 / 3)))
    raw = random.Random(seed).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), raw).save(out, format="PNG", compress_level=1)
    return out.getvalue()


class UploadSession(BenchSession):
    """A tab that can attach a file as the browser does: picker result, signed PUT, upload event."""

    def __init__(self, number: int, compression: str | None):
        super().__init__(number, compression)
        self.picker_id: int | None = None
        self.base_url = ""
        self._file: tuple[str, bytes] | None = None
        self._put_started: asyncio.Future | None = None
        self._tasks: set[asyncio.Task] = set()
        self.upload_error: str | None = None
        """Why the last upload failed (an HTTP status or an exception), or None."""

    async def open_and_join(self, url: str, name: str, timeout: float = 60.0) -> None:
        self.base_url = url.rstrip("/")
        await super().open_and_join(url, name, timeout)

    def check_joined(self, client: FletClient) -> None:
        picker = client.find_one("FilePicker")
        if picker is None:
            raise RuntimeError("the joined page has no FilePicker: nothing to attach with")
        self.picker_id = picker["_i"]
        client.on_invoke = self._on_invoke

    async def attach(self, name: str, data: bytes) -> float:
        """Pick and upload one file; the perf_counter time its PUT started."""
        assert self.client is not None and self.picker_id is not None
        self._file = (name, data)
        self.upload_error = None
        self._put_started = asyncio.get_running_loop().create_future()
        picked = {"files": [{"id": 0, "name": name, "size": len(data)}]}
        await self.client.send_event(self.picker_id, "result", picked)
        try:
            return await asyncio.wait_for(self._put_started, PICKER_TIMEOUT)
        except TimeoutError:
            raise RuntimeError(
                f"the server did not ask this tab to upload {len(data)} bytes "
                "(over CHAT_MAX_UPLOAD_MB?)"
            ) from None

    def _on_invoke(self, call: dict) -> None:
        if call.get("control_id") == self.picker_id and call.get("name") == "upload":
            for wanted in (call.get("args") or {}).get("files") or []:
                task = asyncio.ensure_future(self._upload(wanted))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _upload(self, wanted: dict) -> None:
        client, picker = self.client, self.picker_id
        assert client is not None and picker is not None and self._file is not None
        name, data = self._file
        started = self._put_started
        try:
            await client.send_event(picker, "upload", {"file_name": name, "progress": 0.0})
            async with httpx.AsyncClient(base_url=self.base_url, timeout=ROUND_TIMEOUT) as http:
                request = http.build_request(
                    wanted.get("method") or "PUT", wanted["upload_url"], content=data
                )
                at = time.perf_counter()
                if started is not None and not started.done():
                    started.set_result(at)
                answer = await http.send(request)
            error = None if answer.status_code == 200 else f"HTTP {answer.status_code}"
            self.upload_error = error
            await client.send_event(
                picker, "upload", {"file_name": name, "progress": 1.0, "error": error}
            )
        except Exception as exc:  # noqa: BLE001 - the round reports it
            self.upload_error = repr(exc)
            if started is not None and not started.done():
                started.set_exception(exc)


async def one_round(sessions: list[UploadSession], kind: str, index: int, picture: bytes) -> dict:
    """Session 0 sends one line or picture; how long each session took to see its row."""
    sender = sessions[0]
    key = (sender.number, index)
    for session in sessions:
        session.start_recording()
    if kind == "upload":
        started = await sender.attach(f"noise {message_token(*key)}.png", picture)
    else:
        started = time.perf_counter()
        await sender.post(message_text(*key))
    deadline = time.perf_counter() + ROUND_TIMEOUT
    while not all(key in s.arrivals.first_seen for s in sessions):
        if sender.upload_error is not None:
            raise RuntimeError(f"the upload failed: {sender.upload_error}")
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.005)
    for session in sessions:
        session.stop_recording()
    seen = [s.arrivals.first_seen[key] - started for s in sessions if key in s.arrivals.first_seen]
    return {
        "kind": kind,
        "p50_ms": ms(percentile(seen, 50)),
        "p99_ms": ms(percentile(seen, 99)),
        "max_ms": ms(max(seen) if seen else None),
        "lost": len(sessions) - len(seen),
        "bytes_per_session": round(sum(s.arrivals.bytes for s in sessions) / len(sessions)),
    }


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def median_of(runs: list[dict]) -> dict:
    """The median of each figure over `runs` (one kind), and the sessions lost in all of them."""
    out: dict = {}
    for key in (*FIGURES, "bytes_per_session"):
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = round(statistics.median(values), 1) if values else None
    out["lost"] = sum(r["lost"] for r in runs)
    return out


async def compare(settings: dict, work_dir: Path, log) -> dict:
    picture = noise_png(settings["megabytes"])
    log(f"picture: {len(picture)} bytes")
    model = TimedModel()
    server = confab_server(work_dir, model.base_url, **settings["server_env"]).start()
    runs: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    try:
        opened = await open_sessions(
            server.url,
            settings["sessions"],
            compression=settings["compression"],
            session_type=UploadSession,
        )
        sessions = cast(list[UploadSession], opened)
        try:
            await one_round(sessions, "text", 0, picture)  # warm-up, not counted
            index = 1
            for rep in range(settings["repeat"]):
                order = KINDS if rep % 2 == 0 else KINDS[::-1]
                for kind in order:
                    result = await one_round(sessions, kind, index, picture)
                    index += 1
                    runs[kind].append(result)
                    log(
                        f"{kind} (run {rep + 1}): p50 {result['p50_ms']} ms, "
                        f"p99 {result['p99_ms']} ms, max {result['max_ms']} ms, lost {result['lost']}"
                    )
        finally:
            await close_sessions(opened)
    finally:
        server.stop()
        model.close()
    medians = {kind: median_of(kind_runs) for kind, kind_runs in runs.items()}
    return {
        "sessions": settings["sessions"],
        "picture_bytes": len(picture),
        **medians,
        "upload_over_text": {f: ratio(medians["upload"][f], medians["text"][f]) for f in FIGURES},
        "runs": [run for kind_runs in runs.values() for run in kind_runs],
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time for a picture upload to reach every tab, against a text line."
    )
    parser.add_argument("--sessions", type=int, default=50, help="tabs in the room (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each kind (default 3)")
    parser.add_argument(
        "--megabytes", type=float, default=5.0, help="size of the picture in MB (default 5)"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "uploads.json", help="where to write the JSON"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    settings = {
        "sessions": args.sessions,
        "repeat": args.repeat,
        "megabytes": args.megabytes,
        # Room for the picture whatever the server's default limit.
        "server_env": {"CHAT_MAX_UPLOAD_MB": str(max(10, math.ceil(args.megabytes * 2)))},
        "compression": "deflate",
        "confab_commit": checkout_commit(ROOT),
    }
    log = bench_log()
    measure = lambda work_dir: compare(settings, work_dir, log)
    measure_and_report("bench.uploads " + " ".join(argv), settings, measure, args.output, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
