"""The hostile tab of bench/flood.py, in its own process (as an attacker would be).

In the benchmark's own process, a client sending frames as fast as it can
competes for the event loop with the sessions whose latency is measured, and
the benchmark would charge the server for the client's own delays. Run as:

    python -m bench.flood_attacker URL [FRAMES_PER_SECOND]

It prints one line `admitted` each time the server lets it in and it starts
flooding, and, when its stdin closes, a JSON line with its counts.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import websockets

from tests.flet_client import FletClient, FletSessionCrashed, encode_frame

RECONNECT_DELAY = 0.5
"""What Flet's web client waits before reconnecting (read from its compiled code)."""


class Flooder:
    """One hostile tab: registers, then sends keystroke frames (and a submit now and then)."""

    def __init__(self, url: str, frames_per_second: float | None):
        self.url = url
        self.pace = frames_per_second
        """None: as fast as the socket takes them; else this many frames a second."""
        self.sent = 0
        self.closed_by_server = 0
        self.refused = 0
        self.flooding = asyncio.Event()
        """Set once the first flood is under way (a paused address may wait a while)."""
        self.admissions = 0
        """Times the server let this tab in and it started flooding."""
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict:
        self._stop.set()
        if self._task is not None:
            await self._task
        return {
            "frames_sent": self.sent,
            "closed_by_server": self.closed_by_server,
            "reconnects_refused": self.refused,
        }

    async def _run(self) -> None:
        session_id = ""
        while not self._stop.is_set():
            try:
                client = await FletClient.connect(self.url, session_id=session_id, timeout=30)
            except (FletSessionCrashed, ConnectionError, OSError, asyncio.TimeoutError):
                self.refused += 1  # paused: try again as the web client would
                await self._pause()
                continue
            session_id = client.session_id or ""
            try:
                composer = await client.wait_for(
                    lambda c=client: c.find_one("TextField", hint_text="Write a message..."), timeout=30
                )
                await self._flood(client, composer["_i"])
            except (ConnectionError, websockets.ConnectionClosed):
                pass  # closed by the server
            finally:
                if not self._stop.is_set():
                    self.closed_by_server += 1
                await client.close()
            await self._pause()

    async def _pause(self) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), RECONNECT_DELAY)
        except asyncio.TimeoutError:
            pass

    async def _flood(self, client: FletClient, composer: int) -> None:
        self.flooding.set()
        self.admissions += 1
        print("admitted", flush=True)
        ws = client._ws
        batch = 10 if self.pace is None else max(1, round(self.pace / 50))
        started, n = time.perf_counter(), 0
        while not self._stop.is_set() and not client.closed:
            for _ in range(batch):
                text = f"flood {n}"
                if n % 10 == 9:
                    await ws.send(encode_frame(3, {"target": composer, "name": "submit", "data": text}))
                elif n % 2:
                    await ws.send(encode_frame(3, {"target": composer, "name": "change", "data": text}))
                else:
                    await ws.send(encode_frame(4, {"id": composer, "props": {"value": text}}))
                n += 1
                self.sent += 1
            if self.pace is None:
                await asyncio.sleep(0)  # read what the server says (its close) between batches
            else:
                await asyncio.sleep(max(0.0, started + n / self.pace - time.perf_counter()))




async def _main(url: str, pace: float | None) -> None:
    flooder = Flooder(url, pace)
    flooder.start()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes our stdin
    print(json.dumps(await flooder.stop()), flush=True)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None))
