"""The apps under test, each started as its own server process with benchmark settings.

Confab and the textbook Flet chat run every scenario; the floor (a bare
Starlette WebSocket relay, bench/floor.py) runs the fan-out only, as the
physical limit the other two are measured against.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.servers import ROOT, ServerProcess
from bench.sessions import BenchSession, FloorSession, TimedSession

BASELINE = "baseline"
CONFAB = "confab"
FLOOR = "floor"


def confab_server(
    work_dir: Path, model_url: str, database: Path | None = None, root: Path = ROOT, **settings: str
) -> ServerProcess:
    """Confab exactly as `python main.py` runs it (from checkout `root`), with limits raised for one-address load."""
    data_dir = Path(tempfile.mkdtemp(prefix="confab-", dir=work_dir))
    env = {
        "CHAT_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{database or data_dir / 'confab.db'}",
        # Every benchmark session comes from 127.0.0.1 and talkers post as fast as they can.
        "CHAT_MAX_SESSIONS_PER_IP": "100000",
        "CHAT_RATE_PER_SECOND": "1000",
        "CHAT_RATE_BURST": "1000",
        "CHAT_ADDRESS_RATE_PER_SECOND": "100000",
        "CHAT_ADDRESS_RATE_BURST": "100000",
        "CHAT_FLAP_WINDOW": "0",  # every join line at once, however many come from one address
        # The LLM brain against the bench's fake model: no offline-brain training eats CPU.
        "OPENAI_BASE_URL": model_url,
        "OPENAI_API_KEY": "bench",
        **settings,
    }
    return ServerProcess(CONFAB, ["main.py"], env, log_path=data_dir / "server.log", cwd=root)


def baseline_server(work_dir: Path, model_url: str) -> ServerProcess:
    """The textbook chat (bench/textbook.py), served with the same uvicorn settings."""
    data_dir = Path(tempfile.mkdtemp(prefix="baseline-", dir=work_dir))
    env = {"OPENAI_BASE_URL": model_url, "OPENAI_API_KEY": "bench"}
    return ServerProcess(BASELINE, ["-m", "bench.textbook"], env, log_path=data_dir / "server.log")


def floor_server(work_dir: Path) -> ServerProcess:
    """The floor (bench/floor.py), served with the same uvicorn settings."""
    data_dir = Path(tempfile.mkdtemp(prefix="floor-", dir=work_dir))
    return ServerProcess(FLOOR, ["-m", "bench.floor"], log_path=data_dir / "server.log")


def server_for(app: str, work_dir: Path, model_url: str, confab_root: Path = ROOT) -> ServerProcess:
    if app == CONFAB:
        return confab_server(work_dir, model_url, root=confab_root)
    if app == FLOOR:
        return floor_server(work_dir)
    return baseline_server(work_dir, model_url)


def session_type_for(app: str) -> type[TimedSession]:
    """The client an app speaks to: Flet's protocol, or the floor's plain msgpack frames."""
    return FloorSession if app == FLOOR else BenchSession


def checkout_commit(root: Path) -> str:
    """The commit a checkout is at (with '+changes' if its working tree differs), for the record."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")
