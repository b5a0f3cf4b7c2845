"""The two apps under test, each started as its own server process with benchmark settings."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.servers import ROOT, ServerProcess

BASELINE = "baseline"
CONFAB = "confab"


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


def server_for(app: str, work_dir: Path, model_url: str, confab_root: Path = ROOT) -> ServerProcess:
    if app == CONFAB:
        return confab_server(work_dir, model_url, root=confab_root)
    return baseline_server(work_dir, model_url)


def checkout_commit(root: Path) -> str:
    """The commit a checkout is at (with '+changes' if its working tree differs), for the record."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")
