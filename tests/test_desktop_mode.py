"""`main.py --desktop` with the window's launch suppressed, driven over the desktop client's socket.

The desktop client itself cannot run here (flet-desktop downloads it on first
run, and these machines have no internet), so this proves everything up to
it: the server Flet starts for the window, its transport, and the app on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

from tests.app_process import ROOT
from tests.confab_harness import Person
from tests.flet_socket_client import DesktopClient

PREFIX = "CONFAB-DESKTOP-URL"


async def test_desktop_mode_serves_the_app_on_the_socket_the_window_would_use(tmp_path):
    socket_path = tmp_path / "flet.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "FLET_"))}
    env.update(
        CHAT_DATA_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        # Flet treats Linux without DISPLAY as a headless server and serves the web app instead.
        DISPLAY=env.get("DISPLAY", ":0"),
        # With a display-URL prefix Flet prints where the window should connect and launches
        # nothing (flet/app.py, run_async); the path is where it listens.
        FLET_DISPLAY_URL_PREFIX=PREFIX,
        FLET_SERVER_UDS_PATH=str(socket_path),
        # An LLM brain that is never asked: the offline brain's training thread, which exit
        # waits for, takes 10-30 s on a loaded machine and is not what this test is about.
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "main.py"), "--desktop",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output: list[str] = []
    try:
        address = await asyncio.wait_for(_announced_address(process, output), 60)
        assert address == str(socket_path), output
        alice = Person(await DesktopClient.connect_socket(address))
        await alice.client.wait_for(lambda: alice.name_field is not None, timeout=15)
        await alice.join("Alice")
        await alice.say("hello from the desktop transport")
        assert "Alice joined" in " ".join(alice.lines())
        await alice.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            exit_code = await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            raise AssertionError("--desktop did not exit within 30 s of SIGTERM") from None
    assert exit_code == 0, output
    assert (tmp_path / "confab.db").is_file()


async def _announced_address(process: asyncio.subprocess.Process, output: list[str]) -> str:
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode()
        if not line:
            raise AssertionError("the desktop server exited:\n" + "".join(output))
        output.append(line)
        if line.startswith(PREFIX + " "):
            _, address, view = line.split()
            assert view == "flet_app"
            return address
