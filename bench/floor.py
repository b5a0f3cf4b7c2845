"""The physical floor for the fan-out benchmark: the least a server can do to relay a chat line.

A bare Starlette WebSocket endpoint under the same uvicorn settings as
Confab and the textbook chat. A client connects to `/ws?name=...`, is told
it joined, and sends each chat line as one msgpack string; the server
stamps a sequence number and sends one msgpack frame,
`{"seq", "author", "text"}`, to every connected client, the sender
included. No controls, no diffing, no storage: what is left is the
WebSocket framing, permessage-deflate and the event loop, which is the
cost any chat server pays per delivery on this machine.

    python -m bench.floor --port 8552
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

import msgpack
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

UNSUPPORTED_DATA = 1003
"""WebSocket close code for a frame that is not a msgpack string."""
POLICY_VIOLATION = 1008
"""WebSocket close code for a connection without a name."""


def joined_frame(name: str) -> bytes:
    """What a client gets once it is among the receivers: it may post from then on."""
    return msgpack.packb({"joined": name})


class Room:
    """Everyone connected, and the order their lines go out in."""

    def __init__(self) -> None:
        self.receivers: set[WebSocket] = set()
        self.seq = 0
        # One broadcast reaches every receiver before the next starts (a send may
        # wait for a slow socket), so every receiver sees the same order.
        self._sending = asyncio.Lock()

    async def join(self, websocket: WebSocket, name: str) -> None:
        """Count `websocket` in, and tell it so before any broadcast reaches it."""
        async with self._sending:
            self.receivers.add(websocket)
            await websocket.send_bytes(joined_frame(name))

    async def broadcast(self, author: str, text: str) -> None:
        """One frame, encoded once, sent to every receiver."""
        async with self._sending:
            self.seq += 1
            frame = msgpack.packb({"seq": self.seq, "author": author, "text": text})
            for receiver in list(self.receivers):
                try:
                    await receiver.send_bytes(frame)
                except (WebSocketDisconnect, WebSocketDisconnected):
                    self.receivers.discard(receiver)  # gone mid-send; its own handler ends it


def chat_line(message: dict) -> str | None:
    """The text of a received WebSocket message, or None unless it is one msgpack string."""
    raw = message.get("bytes")
    if raw is None:
        return None
    try:
        text = msgpack.unpackb(raw)
    except ValueError:  # msgpack's FormatError, ExtraData and StackError
        return None
    return text if isinstance(text, str) else None


def create_app() -> Starlette:
    room = Room()

    async def chat(websocket: WebSocket) -> None:
        name = websocket.query_params.get("name", "")
        await websocket.accept()
        if not name:
            await websocket.close(POLICY_VIOLATION, "join with /ws?name=<your name>")
            return
        try:
            await room.join(websocket, name)
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = chat_line(message)
                if text is None:
                    await websocket.close(
                        UNSUPPORTED_DATA, "send each chat line as one msgpack string"
                    )
                    return
                await room.broadcast(name, text)
        except WebSocketDisconnect:
            pass
        finally:
            room.receivers.discard(websocket)

    async def alive(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"floor: {len(room.receivers)} connected")

    return Starlette(routes=[Route("/", alive), WebSocketRoute("/ws", chat)])


def serve(port: int) -> None:
    """Serve with the same uvicorn settings as Confab's main.py and the textbook chat."""
    import uvicorn

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(create_app(), host="127.0.0.1", port=port, ws="websockets-sansio", log_level="info")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CHAT_PORT", "8552")))
    serve(parser.parse_args().port)
