"""Benchmark sessions: real WebSocket clients that join, post and time arrivals.

A Flet session (`BenchSession`) mirrors the control tree only while joining
(to find the name field and the composer), then switches to FletClient's
cheap mode: patches are never decoded and `on_frame` scans the raw bytes for
message tokens. msgpack stores strings verbatim, so a token in a message's
text shows up as the same bytes in every frame that carries it. A client of
the floor server (`FloorSession`, bench/floor.py) sends and receives plain
msgpack frames instead, and is timed and scored by the same code.
"""

from __future__ import annotations

import abc
import asyncio
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import msgpack
import websockets
from websockets.asyncio.client import ClientConnection

from bench.floor import joined_frame
from tests.flet_client import FletClient

TOKEN = re.compile(rb"zq(\d+)k(\d+)qz")
"""A message token: zq<sender>k<index>qz (no Markdown meaning, survives verbatim)."""

FILLER = "a quick note about the release plan, nothing urgent"


def message_token(sender: int, index: int) -> str:
    return f"zq{sender}k{index}qz"


def message_text(sender: int, index: int) -> str:
    """A typical chat line carrying its token."""
    return f"{FILLER} {message_token(sender, index)}"


@dataclass
class Arrivals:
    """What one session saw: first arrival time of each token, in arrival order."""

    first_seen: dict[tuple[int, int], float] = field(default_factory=dict)
    order: list[tuple[int, int]] = field(default_factory=list)
    frames: int = 0
    bytes: int = 0


class TimedSession(abc.ABC):
    """One client's traffic: every frame it receives goes through `_on_frame` with its arrival time."""

    def __init__(self, number: int, compression: str | None):
        self.number = number
        self.compression = compression
        self.arrivals = Arrivals()
        self.recording = False
        self.watch: dict[bytes, asyncio.Future] = {}
        """Raw byte patterns someone awaits (a sender's own token); resolved on first sight."""
        self.frame_hook = None
        """Optional extra `hook(raw, t)` for scenario-specific scanning (a bot stream)."""
        self.connected_at = 0.0
        self.ready_at = 0.0

    @abc.abstractmethod
    async def open_and_join(self, url: str, name: str, timeout: float = 60.0) -> None:
        """Connect to the server at `url` and join as `name`: ready to post once it returns."""

    @abc.abstractmethod
    async def post(self, text: str) -> None:
        """Send one chat line."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Leave: close the connection."""

    def start_recording(self) -> None:
        self.arrivals = Arrivals()
        self.recording = True

    def stop_recording(self) -> None:
        self.recording = False

    def _on_frame(self, raw: bytes, received_at: float) -> None:
        if self.recording:
            arrivals = self.arrivals
            arrivals.frames += 1
            arrivals.bytes += len(raw)
            if b"zq" in raw:
                seen = arrivals.first_seen
                for match in TOKEN.finditer(raw):
                    key = (int(match.group(1)), int(match.group(2)))
                    if key not in seen:
                        seen[key] = received_at
                        arrivals.order.append(key)
            if self.frame_hook is not None:
                self.frame_hook(raw, received_at)
        if self.watch:
            for pattern in [p for p in self.watch if p in raw]:
                future = self.watch.pop(pattern)
                if not future.done():
                    future.set_result(received_at)

    def expect(self, pattern: bytes) -> asyncio.Future:
        """A future resolved with the arrival time of the first frame containing `pattern`."""
        future = asyncio.get_running_loop().create_future()
        self.watch[pattern] = future
        return future


class BenchSession(TimedSession):
    """One browser tab's worth of traffic, driven over Flet's real protocol."""

    route = "/"
    """The tab's URL path: "/" opens the default room, /r/NAME room NAME."""

    def __init__(self, number: int, compression: str | None):
        super().__init__(number, compression)
        self.client: FletClient | None = None
        self.composer_id: int | None = None

    async def open_and_join(self, url: str, name: str, timeout: float = 60.0) -> None:
        """Connect, register, wait for the page, join as `name`; then switch to cheap mode."""
        self.connected_at = time.perf_counter()
        self.client = await FletClient.connect(
            url, on_frame=self._on_frame, compression=self.compression, timeout=timeout, route=self.route
        )
        client = self.client
        await client.wait_for(lambda: _name_field(client) is not None and _composer(client) is not None, timeout)
        await client.submit(_name_field(client), name)
        await client.wait_for(lambda: _joined(client), timeout)
        self.composer_id = _composer(client)["_i"]
        self.ready_at = time.perf_counter()
        self.check_joined(client)
        # From here on, patches are never decoded: the mirror goes stale and is dropped.
        client.track_controls = False
        client.controls = {}
        client.page = {}

    def check_joined(self, client: FletClient) -> None:
        """Raise if the joined page is not what this session meant to open (a subclass checks its room)."""

    async def open_only(self, url: str, timeout: float = 60.0) -> None:
        """Connect and register without joining (a reader who has not picked a name)."""
        self.connected_at = time.perf_counter()
        self.client = await FletClient.connect(url, on_frame=self._on_frame, compression=self.compression, timeout=timeout)

    async def post(self, text: str) -> None:
        assert self.client is not None and self.composer_id is not None
        await self.client.submit(self.composer_id, text)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


class FloorSession(TimedSession):
    """A client of the floor server (bench/floor.py): one msgpack string per line sent, plain frames back."""

    def __init__(self, number: int, compression: str | None):
        super().__init__(number, compression)
        self.socket: ClientConnection | None = None
        self._receiving: asyncio.Task | None = None

    async def open_and_join(self, url: str, name: str, timeout: float = 60.0) -> None:
        """Connect (the same socket options as FletClient) and wait until the server counts us in."""
        self.connected_at = time.perf_counter()
        ws_url = url.replace("http", "ws", 1).rstrip("/") + "/ws?" + urlencode({"name": name})
        self.socket = await websockets.connect(
            ws_url,
            compression=self.compression,
            max_size=None,
            ping_interval=None,
            proxy=None,
            open_timeout=timeout,
            close_timeout=5,
        )
        first = await asyncio.wait_for(self.socket.recv(), timeout)
        if first != joined_frame(name):
            await self.socket.close()
            raise ConnectionError(f"the floor server did not let {name} join: {first!r}")
        self.ready_at = time.perf_counter()
        self._receiving = asyncio.create_task(self._receive(self.socket))

    async def _receive(self, socket: ClientConnection) -> None:
        perf = time.perf_counter
        try:
            async for raw in socket:
                self._on_frame(raw if type(raw) is bytes else raw.encode(), perf())
        except websockets.ConnectionClosed:
            pass  # messages it did not receive count as lost

    async def post(self, text: str) -> None:
        assert self.socket is not None
        await self.socket.send(msgpack.packb(text))

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self._receiving is not None:
            await self._receiving


def _name_field(client: FletClient) -> dict | None:
    return client.find_one("TextField", label="Your name")


def _composer(client: FletClient) -> dict | None:
    return client.find_one("TextField", hint_text="Write a message...")


def _joined(client: FletClient) -> bool:
    composer = _composer(client)
    open_dialogs = [d for d in client.find("AlertDialog") if d.get("open")]
    return composer is not None and not composer.get("disabled") and not open_dialogs


async def open_sessions(
    url: str,
    count: int,
    *,
    compression: str | None,
    first_number: int = 0,
    concurrency: int = 8,
    prefix: str = "Person",
    session_type: type[TimedSession] = BenchSession,
) -> list[TimedSession]:
    """`count` sessions of `session_type` joined as Person<n>, a few connecting at a time."""
    sessions = [session_type(first_number + i, compression) for i in range(count)]
    gate = asyncio.Semaphore(concurrency)

    async def join(session: TimedSession) -> None:
        async with gate:
            await session.open_and_join(url, f"{prefix}{session.number}")

    await asyncio.gather(*(join(s) for s in sessions))
    return sessions


async def close_sessions(sessions: list[TimedSession]) -> None:
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
