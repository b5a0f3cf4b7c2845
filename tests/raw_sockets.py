"""Raw WebSocket frames for attacking the server the way a hostile client would."""

from __future__ import annotations

import asyncio
import contextlib
import os

import msgpack
import websockets
from websockets.asyncio.client import ClientConnection

from tests.flet_client import _ws_url

REGISTER = [1, {"session_id": "", "page_name": "", "page": {"route": "/", "width": 1280, "height": 800, "web": True}}]


def frame(message) -> bytes:
    return b"\x00" + msgpack.packb(message)


MALFORMED_FIRST_FRAMES: dict[str, bytes | str] = {
    "garbage bytes": os.urandom(64),
    "bad msgpack": b"\x00\xc1\xc1\xc1",
    "truncated msgpack": frame(REGISTER)[:20],
    "empty frame": b"",
    "unknown frame type": b"\x07" + frame(REGISTER)[1:],
    "not a pair": frame([1, {}, 3]),
    "wrong action": frame([3, {"target": 1, "name": "click", "data": None}]),
    "unknown action": frame([99, {}]),
    "register without a page": frame([1, {"session_id": "", "page_name": ""}]),
    "register with extra fields": frame([1, {**REGISTER[1], "evil": 1}]),
    "register with a list page": frame([1, {"session_id": "", "page_name": "", "page": [1, 2]}]),
    "register with a text width": frame([1, {"session_id": "", "page_name": "", "page": {"width": "wide"}}]),
    "text frame": "hello",
    "huge frame": b"\x00" + msgpack.packb([1, {"session_id": "x" * 2_000_000, "page_name": "", "page": {}}]),
}


async def open_raw(url: str, **options) -> ClientConnection:
    """A bare WebSocket to the app's /ws, nothing sent yet."""
    options.setdefault("compression", None)
    return await websockets.connect(_ws_url(url), max_size=None, open_timeout=10, **options)


async def closed_within(ws: ClientConnection, seconds: float) -> int | None:
    """The close code the server sent within `seconds`, or None if the socket is still open."""
    try:
        await asyncio.wait_for(ws.wait_closed(), seconds)
    except asyncio.TimeoutError:
        return None
    return ws.close_code


async def send_and_wait_for_close(url: str, payload: bytes | str, seconds: float = 5.0) -> int | None:
    """Open, send one frame, and return the close code (None: still open after `seconds`)."""
    ws = await open_raw(url)
    try:
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.send(payload)
        return await closed_within(ws, seconds)
    finally:
        await ws.close()
