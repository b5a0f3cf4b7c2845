"""Flet's WebSocket wire protocol, as far as Confab's socket guard needs to know it.

Everything here is Flet knowledge that is not public API: the frame layout,
the action numbers, the shape of the register message and of the answers the
web client shows as an error. It was read from flet and flet-web 1.0.5
(`flet/messaging/protocol.py`, `flet_web/fastapi/flet_app.py`) and from that
version's web client.

On an upgrade, re-check:
- `FletApp.handle` in flet_web/fastapi/flet_app.py: in 1.0.5 a socket that ends
  or sends anything but a valid register message before registering leaves the
  handler awaiting its send loop forever (the socket stays open, uvicorn's
  shutdown waits for it). tests/test_socket_guard.py has a strict xfail that
  starts passing when Flet fixes this; the guard could then hand sockets over
  sooner.
- `FletApp.send_message` (same file): in 1.0.5 it raises AttributeError once the
  socket's send loop has ended, so every event handler still running for a
  closed socket (a flood leaves hundreds queued) logs a traceback when it
  updates the page. `drop_sends_after_close()` makes such sends a no-op.
- `FletApp.__on_message` (same file): in 1.0.5 each CONTROL_EVENT becomes its own
  asyncio task, kept in the private set `__running_tasks`, and the receive loop
  reads on at once. A flooder's burst thus became hundreds of tasks queued ahead
  of everyone else's work. `expose_events_in_flight()` hands that set to the
  socket guard, which hands Flet a socket's next frame only while few of its
  events are still running (tests/test_socket_flood.py counts them).
- `get_event_field_type` in flet/controls/control_event.py, as imported by
  flet/controls/base_control.py: in 1.0.5 every event re-reads the annotations
  of the control's whole class hierarchy to find the event's payload type
  (0.3-0.9 ms an event here). `cache_event_types()` keeps the answer per
  control class and handler name; tests/test_flet_event_types.py checks it.
- the frame layout (type byte, msgpack `[action, body]`), the action numbers,
  `RegisterClientRequestBody`'s fields, and that the client shows the `error`
  of a register answer and the `message` of SESSION_CRASHED.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgpack

from chat.version_check import warn_unless_checked

CHECKED_WITH = "1.0.5"
"""The flet-web version this module was checked against."""

SOCKET_PATH_SUFFIX = "/ws"
"""Flet's web client opens its WebSocket at <page>/ws."""

FRAME_MSGPACK = 0x00
FRAME_DATA_CHANNEL = 0x01

REGISTER_CLIENT = 1
CONTROL_EVENT = 3
UPDATE_CONTROL_PROPS = 4
INVOKE_METHOD = 5
SESSION_CRASHED = 6

CLIENT_ACTIONS = frozenset({REGISTER_CLIENT, CONTROL_EVENT, UPDATE_CONTROL_PROPS, INVOKE_METHOD})
"""Actions a client may send (the others go from server to client)."""

EVENTS_SCOPE_KEY = "confab.events_in_flight"
"""An ASGI scope key: an `EventWatcher` there is shown the socket's running event handlers."""

MAX_REGISTER_BYTES = 64 * 1024
"""A real register message (route, sizes, platform, media) is well under 4 KB."""


class EventWatcher(Protocol):
    """Told which set holds the asyncio tasks of a socket's event handlers still running."""

    def watch(self, tasks: set[Any]) -> None: ...


class BadFrame(ValueError):
    """A frame that is not a well-formed Flet client message; the text says why."""


INSTALLED = warn_unless_checked(
    "flet-web",
    CHECKED_WITH,
    "chat/flet_wire.py",
    "Re-check what its docstring lists before relying on the socket guard.",
)


def decode(raw: bytes) -> tuple[int, Any]:
    """(action, body) of a msgpack frame; BadFrame if it is not one a client may send."""
    if not raw:
        raise BadFrame("empty frame")
    if raw[0] == FRAME_DATA_CHANNEL:
        return FRAME_DATA_CHANNEL, None  # raw bytes for a data channel; Flet drops unknown channels
    if raw[0] != FRAME_MSGPACK:
        raise BadFrame(f"unknown frame type 0x{raw[0]:02x}")
    try:
        message = msgpack.unpackb(raw[1:], strict_map_key=False)
    except (msgpack.exceptions.UnpackException, ValueError, TypeError) as exc:
        raise BadFrame(f"not msgpack ({type(exc).__name__})") from None
    if not isinstance(message, list) or len(message) != 2:
        raise BadFrame("not an [action, body] pair")
    action, body = message
    if not isinstance(action, int) or isinstance(action, bool) or action not in CLIENT_ACTIONS:
        raise BadFrame(f"action {action!r} is not one a client sends")
    if not isinstance(body, dict):
        raise BadFrame("the body is not a map")
    return action, body


def check_register(raw: bytes) -> str:
    """The session id a first frame asks to resume ("" for a new one); BadFrame if it is no register message."""
    if len(raw) > MAX_REGISTER_BYTES:
        raise BadFrame(f"register message of {len(raw):,} bytes")
    action, body = decode(raw)
    if action != REGISTER_CLIENT:
        raise BadFrame(f"first message is action {action}, not register")
    # RegisterClientRequestBody(**body): exactly these keys, or Flet raises.
    if set(body) != {"session_id", "page_name", "page"}:
        raise BadFrame("register message with the wrong fields")
    session_id, page_name, page = body["session_id"], body["page_name"], body["page"]
    if not isinstance(session_id, (str, type(None))) or not isinstance(page_name, str):
        raise BadFrame("register message with a non-text session id or page name")
    if not isinstance(page, dict) or not all(isinstance(key, str) for key in page):
        raise BadFrame("register message without a page")
    route = page.get("route")
    if route is not None and not isinstance(route, str):
        raise BadFrame("register message with a non-text route")
    for size in ("width", "height"):
        value = page.get(size)
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise BadFrame(f"register message with a non-number {size}")
    return session_id or ""


def encode(action: int, body: Any) -> bytes:
    """A server-to-client frame."""
    return bytes([FRAME_MSGPACK]) + msgpack.packb([action, body])


def register_refusal(session_id: str, text: str) -> bytes:
    """An answer to a register message that the web client shows as an error page."""
    return encode(REGISTER_CLIENT, {"session_id": session_id, "page_patch": {}, "error": text})


def registered_session(raw: bytes) -> str | None:
    """The session id in Flet's answer to a register message; None for any other frame."""
    if not raw or raw[0] != FRAME_MSGPACK:
        return None
    try:
        message = msgpack.unpackb(raw[1:], strict_map_key=False)
    except (msgpack.exceptions.UnpackException, ValueError, TypeError):
        return None
    if not isinstance(message, list) or len(message) != 2 or message[0] != REGISTER_CLIENT:
        return None
    body = message[1]
    session_id = body.get("session_id") if isinstance(body, dict) else None
    return session_id if isinstance(session_id, str) else None


def session_ended(text: str) -> bytes:
    """SESSION_CRASHED: the web client shows `text` in place of the page."""
    return encode(SESSION_CRASHED, {"message": text})


def drop_sends_after_close() -> None:
    """Make Flet drop (not raise on) what a session sends after its socket's send loop has ended."""
    from flet_web.fastapi.flet_app import FletApp

    original = FletApp.send_message
    if getattr(original, "_confab_drops_after_close", False):
        return

    def send_message(self, message) -> None:
        # Flet sets its send queue to None when the send loop ends: the socket is gone.
        if getattr(self, "_FletApp__send_queue", None) is None:
            return
        original(self, message)

    send_message._confab_drops_after_close = True  # type: ignore[attr-defined]  # marks our patch
    FletApp.send_message = send_message


def expose_events_in_flight() -> None:
    """Show the `EventWatcher` at scope[EVENTS_SCOPE_KEY] (if any) Flet's set of a socket's running event tasks."""
    from flet_web.fastapi.flet_app import FletApp

    original = FletApp.handle
    if getattr(original, "_confab_exposes_events", False):
        return

    async def handle(self, websocket) -> None:
        watcher: EventWatcher | None = websocket.scope.get(EVENTS_SCOPE_KEY)
        if watcher is not None:
            # Made in FletApp.__init__; tasks leave it when done (add_done_callback(discard)).
            watcher.watch(self._FletApp__running_tasks)
        await original(self, websocket)

    handle._confab_exposes_events = True  # type: ignore[attr-defined]  # marks our patch
    FletApp.handle = handle


def cache_event_types() -> None:
    """Find a control class's event payload type once per handler name, not on every event."""
    from flet.controls import base_control

    resolve = base_control.get_event_field_type
    if getattr(resolve, "_confab_cached", False):
        return
    known: dict[tuple[type, str], Any] = {}

    def get_event_field_type(control: Any, field_name: str) -> Any:
        key = (type(control), field_name)
        if key not in known:
            # What it reads (class annotations, module globals) is fixed once classes exist.
            known[key] = resolve(control, field_name)
        return known[key]

    get_event_field_type._confab_cached = True  # type: ignore[attr-defined]  # marks our patch
    base_control.get_event_field_type = get_event_field_type
