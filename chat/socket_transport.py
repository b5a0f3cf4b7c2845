"""Reaching under ASGI to a WebSocket's TCP transport, to stop reading a socket the guard has closed.

Why: after the app sends `websocket.close`, uvicorn keeps reading, parsing and
discarding the client's frames until the client's close reply arrives or its
close timer (10 s) fires. A flooder has megabytes of tiny frames in flight by
then, and parsing them (websockets' `Frame.parse`, one call per frame) was the
largest single cost of a flood in a profile of the server. Pausing the
transport's reading costs nothing: the close frame still goes out, the kernel
pushes back on the flooder, and uvicorn's close timer still closes the socket.

Checked with uvicorn 0.54.0 and its `websockets-sansio` protocol (the one
chat/cli.py selects). On an upgrade, re-check that:
- the `receive` callable the app gets is the protocol's bound `receive` method
  (middlewares in between pass it on unchanged);
- the protocol keeps its asyncio transport in `.transport`;
- closing the transport ourselves after the close frame is harmless to the
  protocol (it is what its own close timer does).
If any of this changes, `stop_reading` returns False and the guard works as
before, only paying for the discarded frames.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from chat.version_check import warn_unless_checked

CHECKED_WITH = "0.54.0"
"""The uvicorn version this module was checked against."""


INSTALLED = warn_unless_checked(
    "uvicorn", CHECKED_WITH, "chat/socket_transport.py", "Re-check what its docstring lists."
)


def _transport_of(receive: Callable[..., Any]) -> Any | None:
    protocol = getattr(receive, "__self__", None)
    transport = getattr(protocol, "transport", None)
    if transport is None or not hasattr(transport, "pause_reading"):
        return None
    return transport


def stop_reading(receive: Callable[..., Any], close_after: float) -> bool:
    """Stop reading the socket behind `receive` (call after sending its close), and close it `close_after` s later.

    Unread, the client's close reply never arrives, so waiting for it (uvicorn
    waits 10 s) would only keep the client's side hanging; `close_after` leaves
    the client time to read the close frame first. False if the socket cannot be reached.
    """
    transport = _transport_of(receive)
    if transport is None or transport.is_closing():
        return False
    try:
        transport.pause_reading()
    except RuntimeError:  # already paused, or closing: either way nothing more is read
        pass
    asyncio.get_running_loop().call_later(close_after, transport.close)
    return True
