"""Run `python main.py` as a real server process for tests that need one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests import live_servers
from tests.flet_server import free_port

ROOT = Path(__file__).resolve().parent.parent


class AppProcess:
    """One Confab server process on a free port, with its log captured to a file."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "CHAT_DATA_DIR": str(data_dir),
            "CHAT_PORT": str(self.port),
            "CHAT_RATE_PER_SECOND": "1000",
            "CHAT_RATE_BURST": "1000",
            # Every test client comes from 127.0.0.1: per-address limits off unless a test sets them.
            "CHAT_ADDRESS_RATE_PER_SECOND": "1000",
            "CHAT_ADDRESS_RATE_BURST": "1000",
            "CHAT_FLAP_WINDOW": "0",
            "CHAT_MAX_SESSIONS_PER_IP": "1000",
            "FLET_FORCE_WEB_SERVER": "1",
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> AppProcess:
        """Start the server and wait until /healthz answers."""
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    live_servers.RUNNING.add(self.process)
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server did not answer within {timeout}s:\n{self.log()}")

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait for the exit code."""
        assert self.process is not None
        live_servers.RUNNING.discard(self.process)
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL: the process dies without any clean-up."""
        if self.process is not None and self.process.poll() is None:
            live_servers.RUNNING.discard(self.process)
            self.process.kill()
            self.process.wait()
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
