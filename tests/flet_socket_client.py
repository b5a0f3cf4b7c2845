"""The headless Flet client over the desktop transport: a Unix socket or local TCP, not a WebSocket.

In desktop mode (`ft.run(view=FLET_APP)`) Flet serves its protocol on a Unix
socket (or `tcp://localhost:PORT`) for the desktop client it launches. Frames
are the WebSocket ones with a 4-byte little-endian length in front
(flet/messaging/flet_socket_server.py). Everything above the transport is
FletClient's.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from tests.flet_client import REGISTER_CLIENT, FletClient, encode_frame


class SocketFrames:
    """A length-prefixed frame stream with the little of a WebSocket that FletClient uses."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader, self._writer = reader, writer

    @classmethod
    async def open(cls, address: str, timeout: float) -> SocketFrames:
        if address.startswith("tcp://"):
            host, port = address[len("tcp://"):].rsplit(":", 1)
            opening = asyncio.open_connection(host, int(port))
        else:
            opening = asyncio.open_unix_connection(address)
        reader, writer = await asyncio.wait_for(opening, timeout)
        return cls(reader, writer)

    async def send(self, frame: bytes) -> None:
        self._writer.write(len(frame).to_bytes(4, "little") + frame)
        await self._writer.drain()

    def __aiter__(self) -> SocketFrames:
        return self

    async def __anext__(self) -> bytes:
        try:
            length = int.from_bytes(await self._reader.readexactly(4), "little")
            return await self._reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            raise StopAsyncIteration from None

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()


class DesktopClient(FletClient):
    """A FletClient that registers over the desktop transport, as the desktop client does."""

    @classmethod
    async def connect_socket(cls, address: str, timeout: float = 10.0, **page: Any) -> DesktopClient:
        client = cls()
        page = {"route": "/", "width": 1280, "height": 800, "platform": "linux", "web": False, **page}
        client._ws = await SocketFrames.open(address, timeout)  # type: ignore[assignment]
        loop = asyncio.get_running_loop()
        client._registered = loop.create_future()
        client.page = {"_c": "Page", "_i": 1, **page}
        client.controls = {1: client.page}
        client._recv_task = asyncio.create_task(client._receive_loop())
        try:
            await client._ws.send(encode_frame(REGISTER_CLIENT, {"session_id": "", "page_name": "", "page": page}))
            await asyncio.wait_for(asyncio.shield(client._registered), timeout)
        except BaseException:
            await client.close()
            raise
        return client
