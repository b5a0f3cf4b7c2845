"""Start the app under test as its own process and read its CPU time and memory from /proc."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.flet_server import free_port

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ServerProcess:
    """One server subprocess: its URL, and /proc readings of it alone."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    cwd: Path = ROOT
    """The checkout the server runs from (another one compares versions of Confab)."""
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Launch and wait until it answers HTTP on its port."""
        self.port = self.port or free_port()
        env = {**os.environ, **self.env, "CHAT_PORT": str(self.port), "FLET_FORCE_WEB_SERVER": "1"}
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, *self.command, "--port", str(self.port)],
            cwd=self.cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer on {self.url} within {timeout}s")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far (all its threads)."""
        return process_cpu_seconds(self.pid)

    def rss_bytes(self) -> int:
        """Resident memory now."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0


def process_cpu_seconds(pid: int | str = "self") -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def settle(
    server: ServerProcess, quiet_share: float = 0.05, window: float = 0.5, limit: float = 60.0
) -> float:
    """Wait until the server is nearly idle (CPU below `quiet_share` of one core); return seconds waited."""
    import asyncio

    started = time.monotonic()
    before = server.cpu_seconds()
    while time.monotonic() - started < limit:
        await asyncio.sleep(window)
        now = server.cpu_seconds()
        if now - before <= quiet_share * window:
            break
        before = now
    return time.monotonic() - started


def machine_description() -> dict[str, object]:
    """CPU model, core count, memory, kernel and Python: what the numbers were measured on."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        with open("/proc/meminfo") as meminfo:
            memory_gb = int(meminfo.readline().split()[1]) / 1024 / 1024
    except OSError:
        pass
    import platform

    import flet

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "flet": getattr(flet, "__version__", "?"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


Log = Callable[[str], None]


def bench_log(prefix: str = "bench") -> Log:
    """Progress lines on stderr, stamped with the time (stdout carries the JSON report)."""
    return lambda text: print(
        f"[{prefix} {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True
    )


def measure_and_report(
    command: str, settings: dict, measure: Callable[[Path], Awaitable[dict]], output: Path, log: Log
) -> dict:
    """Run `measure(work_dir)` in a fresh folder, then print and save its report (save_report).

    The collector is frozen first: the sessions' many long-lived objects would otherwise
    make the client's own collector pause mid-measurement (runs are short; memory is no concern).
    """
    machine = machine_description()
    started = time.monotonic()
    work_dir = Path(tempfile.mkdtemp(prefix=f"confab-{command.split()[0].removeprefix('bench.')}-"))
    gc.freeze()
    try:
        results = asyncio.run(measure(work_dir))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    report = save_report(command, started, machine, settings, results, output)
    log(f"wrote {output} in {report['duration_s']} s")
    return report


def save_report(
    command: str, started: float, machine: dict, settings: dict, results: dict, output: Path
) -> dict:
    """Print the run's JSON report and write it to `output`; the report.

    Its head says what ran (`command`, after `python -m`), when, for how long, on
    what machine (with the load at the end), and with what settings.
    """
    import json
    from datetime import UTC, datetime

    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report = {
        "command": f"python -m {command}",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - started, 1),
        "machine": machine,
        "settings": settings,
        **results,
    }
    text = json.dumps(report, indent=2)
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n")
    return report
