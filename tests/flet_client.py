"""Headless asyncio client for Flet 1.0 web apps, speaking the real protocol.

It does what the Flutter web client does on the wire, minus the painting:

* opens ``ws://host:port/ws`` and registers (action 1);
* mirrors the control tree: the register response's page, then every
  PATCH_CONTROL (action 2), applied the way the Dart client's
  ``Control.applyPatch`` does (see ``apply_patch`` below);
* answers every INVOKE_METHOD (action 5) from the server (``focus()``,
  scrolling...), because server handlers await the answer;
* sends control events (action 3) and control prop updates (action 4).

Used by integration tests and by a load benchmark with hundreds of clients in
one process. For the benchmark pass ``track_controls=False``: PATCH_CONTROL
frames are then not even decoded (the action is peeked from the raw bytes),
and ``on_frame(raw, received_at)`` sees every raw frame first.

    async with FletClient.connect("http://127.0.0.1:8550") as c:
        field = await c.wait_for(lambda: c.find_one("TextField", label="Name"))
        await c.submit(field, "hello")
        await c.wait_for(lambda: "hello" in c.texts())

Wire format: one WebSocket binary frame = one byte of packet type (0x00 =
msgpack protocol frame, 0x01 = data-channel frame) + msgpack
``[action, body]``.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgpack
import websockets
from websockets.asyncio.client import ClientConnection

__all__ = [
    "FletClient",
    "FletSessionCrashed",
    "PatchError",
    "apply_patch",
    "build_index",
    "merge_props",
    "REGISTER_CLIENT",
    "PATCH_CONTROL",
    "CONTROL_EVENT",
    "UPDATE_CONTROL_PROPS",
    "INVOKE_METHOD",
    "SESSION_CRASHED",
]

# MessageAction (flet/messaging/protocol.py)
REGISTER_CLIENT = 1
PATCH_CONTROL = 2
CONTROL_EVENT = 3
UPDATE_CONTROL_PROPS = 4
INVOKE_METHOD = 5
SESSION_CRASHED = 6

# Operation (flet/controls/object_patch.py)
OP_REPLACE = 0
OP_ADD = 1
OP_REMOVE = 2
OP_MOVE = 3

_FRAME_MSGPACK = 0x00
_FIXARRAY_2 = 0x92  # msgpack header of the 2-element [action, body] list

# Controls whose string "value" is text a user sees (texts()).
TEXT_VALUE_TYPES = frozenset(
    {
        "Text",
        "Markdown",
        "TextField",
        "CupertinoTextField",
        "SelectableText",
        "AutoComplete",
    }
)
# Overlay-style controls that are only on screen while "open" is true.
OPENABLE_TYPES = frozenset(
    {
        "AlertDialog",
        "CupertinoAlertDialog",
        "BottomSheet",
        "CupertinoBottomSheet",
        "SnackBar",
        "Banner",
        "NavigationDrawer",
        "DatePicker",
        "TimePicker",
    }
)


class PatchError(Exception):
    """A patch did not fit the mirrored tree (the mirror has diverged)."""


class FletSessionCrashed(Exception):
    """The server sent SESSION_CRASHED (an unhandled error in the app)."""


def _ext_hook(code: int, data: bytes) -> Any:
    # Same codes as flet.messaging.protocol.decode_ext_from_msgpack, without
    # importing flet (Duration is given as a timedelta).
    if code == 1:
        return datetime.datetime.fromisoformat(data.decode("utf-8"))
    if code == 2:
        return datetime.time(*map(int, data.decode("utf-8").split(":")))
    if code == 3:
        return datetime.timedelta(microseconds=int(data))
    if code == 4:
        return data.decode("utf-8")
    return msgpack.ExtType(code, data)


def decode_frame(raw: bytes) -> list[Any] | None:
    """``[action, body]`` of a protocol frame; None for other packet types."""
    if not raw or raw[0] != _FRAME_MSGPACK:
        return None
    return msgpack.unpackb(
        memoryview(raw)[1:], strict_map_key=False, ext_hook=_ext_hook
    )


def encode_frame(action: int, body: Any) -> bytes:
    return b"\x00" + msgpack.packb([action, body])


def peek_action(raw: bytes) -> int | None:
    """The action of a protocol frame without decoding it (None if unsure).

    Frames are ``0x00, 0x92 (2-element array), <positive fixint action>``.
    """
    if len(raw) > 2 and raw[0] == _FRAME_MSGPACK and raw[1] == _FIXARRAY_2:
        action = raw[2]
        if action < 0x80:
            return action
    return None


# --------------------------------------------------------------------------
# Mirror maintenance


_CONTAINERS = (dict, list)


def _iter_control_dicts(value: Any) -> Iterator[dict]:
    """Every control dict (a dict with "_c") inside value, pre-order."""
    stack = [value]
    pop, push_all = stack.pop, stack.extend
    while stack:
        v = pop()
        if type(v) is dict:
            if "_c" in v:
                yield v
            push_all([x for x in reversed(v.values()) if type(x) in _CONTAINERS])
        elif type(v) is list:
            push_all([x for x in reversed(v) if type(x) in _CONTAINERS])


def _register(index: dict[int, dict] | None, value: Any) -> None:
    if index is None or type(value) not in (dict, list):
        return
    for c in _iter_control_dicts(value):
        cid = c.get("_i")
        if cid is not None:
            index[cid] = c


def build_index(root: Any) -> dict[int, dict]:
    """control id -> control dict for every control inside root."""
    index: dict[int, dict] = {}
    _register(index, root)
    return index


def _unregister(index: dict[int, dict] | None, value: Any) -> None:
    # Only drop an entry that still points at *this* dict: a patch can add a
    # control (same _i, new dict) before it removes the old one elsewhere.
    if index is None or type(value) not in (dict, list):
        return
    for c in _iter_control_dicts(value):
        cid = c.get("_i")
        if cid is not None and index.get(cid) is c:
            del index[cid]


def apply_patch(
    root: dict, patch: list, index: dict[int, dict] | None = None
) -> None:
    """Apply one PATCH_CONTROL ``patch`` to ``root`` (a control dict), in place.

    Format (ObjectPatch.to_message in flet/controls/object_patch.py, applied
    like Control.applyPatch in the Flutter client)::

        patch := [path_tree, op, op, ...]
        path_tree := [node_index] | [node_index, {key: path_tree, ...}]
        op := [0, node, key, value]     replace: container[key] = value
            | [1, node, key, value]     add: list.insert(key, value) /
                                             dict[key] = value
            | [2, node, key]            remove: list.pop(key) / dict.pop(key)
            | [3, node, key, node2, key2]
                                        move: container2 insert/set at key2
                                              the item popped at container[key]

    ``node`` indexes the path tree: node 0 is ``root`` itself, a child node's
    path is its parent's plus the map key (a prop name, dict key, or list
    position). Each op's container is found by walking its path from root at
    the time of the op, so indices are "live" (after the previous ops).
    Values are plain msgpack data; a dict with "_c" is a control.

    ``index`` (control id -> dict) is kept in step: controls in added or
    replacing values are registered, those in removed or replaced ones
    unregistered.
    """
    if type(patch) is not list or not patch:
        raise PatchError(f"patch must be a non-empty list: {patch!r}")
    paths: dict[int, tuple] = {}
    stack: list[tuple[list, tuple]] = [(patch[0], ())]
    while stack:
        node, path = stack.pop()
        paths[node[0]] = path
        if len(node) > 1 and type(node[1]) is dict:
            for k, child in node[1].items():
                stack.append((child, path + (k,)))

    def target(n: int) -> Any:
        obj: Any = root
        try:
            for p in paths[n]:
                obj = obj[p]
        except (KeyError, IndexError, TypeError) as e:
            raise PatchError(
                f"path {paths.get(n)!r} not found in control {root.get('_i')}"
            ) from e
        return obj

    for op in patch[1:]:
        kind = op[0]
        try:
            if kind == OP_REPLACE:
                obj, key, value = target(op[1]), op[2], op[3]
                if type(obj) is list:
                    old = obj[key]
                else:
                    old = obj.get(key)
                obj[key] = value
                _unregister(index, old)
                _register(index, value)
            elif kind == OP_ADD:
                obj, key, value = target(op[1]), op[2], op[3]
                if type(obj) is list:
                    if not 0 <= key <= len(obj):
                        raise IndexError(key)
                    obj.insert(key, value)
                elif type(obj) is dict:
                    _unregister(index, obj.get(key))
                    obj[key] = value
                else:
                    raise PatchError(f"add needs a list or dict: {op!r}")
                _register(index, value)
            elif kind == OP_REMOVE:
                obj, key = target(op[1]), op[2]
                if type(obj) is list:
                    old = obj.pop(key)
                elif type(obj) is dict:
                    old = obj.pop(key, None)
                else:
                    raise PatchError(f"remove needs a list or dict: {op!r}")
                _unregister(index, old)
            elif kind == OP_MOVE:
                src, skey = target(op[1]), op[2]
                dst, dkey = target(op[3]), op[4]
                if type(src) is list and type(dst) is list:
                    item = src.pop(skey)
                    if not 0 <= dkey <= len(dst):
                        raise IndexError(dkey)
                    dst.insert(dkey, item)
                elif type(src) is dict and type(dst) is dict:
                    dst[dkey] = src.pop(skey)
                else:
                    raise PatchError(f"move needs two lists or two dicts: {op!r}")
            else:
                raise PatchError(f"unknown patch operation: {op!r}")
        except PatchError:
            raise
        except (IndexError, KeyError, TypeError, AttributeError) as e:
            raise PatchError(f"cannot apply {op!r}: {e!r}") from e


def merge_props(
    dst: dict, src: dict, index: dict[int, dict] | None = None
) -> None:
    """Merge a props map into a control, like the Dart Control.update().

    Nested plain maps merge key by key; a nested control with the same "_i"
    merges into the existing one; anything else replaces. "_i"/"_c" are never
    overwritten. Used for the register response and local prop updates.
    """
    for key, value in src.items():
        old = dst.get(key)
        if type(old) is dict and type(value) is dict:
            if "_c" not in old or old.get("_i") == value.get("_i"):
                merge_props(old, value, index)
                continue
        if key in ("_i", "_c") or (key in dst and old == value):
            continue
        dst[key] = value
        _unregister(index, old)
        _register(index, value)


def _matches(c: dict, type_: str | None, props: dict[str, Any]) -> bool:
    if type_ is not None and c.get("_c") != type_:
        return False
    for k, want in props.items():
        got = c.get(k)
        if callable(want):
            if not want(got):
                return False
        elif got != want:
            return False
    return True


def _control_id(control: int | dict) -> int:
    if type(control) is dict:
        return control["_i"]
    return int(control)


def _ws_url(url: str) -> str:
    """http(s)://host:port[/prefix] -> ws(s)://host:port[/prefix]/ws."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/")
    if not path.endswith("/ws"):
        path += "/ws"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


# --------------------------------------------------------------------------
# Client


class _Connect:
    """``await FletClient.connect(...)`` or ``async with FletClient.connect(...)``."""

    def __init__(self, coro_factory: Callable[[], Any]):
        self._factory = coro_factory
        self._client: FletClient | None = None

    def __await__(self):
        return self._factory().__await__()

    async def __aenter__(self) -> FletClient:
        self._client = await self._factory()
        return self._client

    async def __aexit__(self, *exc: Any) -> None:
        assert self._client is not None
        await self._client.close()


class FletClient:
    """One headless Flet session over a real WebSocket.

    State:
      ``session_id``, ``page`` (the mirrored Page control dict),
      ``controls`` (control id -> control dict, every dict includes "_c"
      and "_i"), ``frames_received``, ``bytes_received``,
      ``method_calls`` (recent INVOKE_METHOD requests, newest last),
      ``crash_message`` (SESSION_CRASHED text or None), ``closed``.
    """

    def __init__(
        self,
        *,
        track_controls: bool = True,
        on_frame: Callable[[bytes, float], Any] | None = None,
        on_invoke: Callable[[dict], Any] | None = None,
    ):
        self.track_controls = track_controls
        self.on_frame = on_frame
        self.on_invoke = on_invoke
        self.session_id: str | None = None
        self.page: dict = {}
        self.controls: dict[int, dict] = {}
        self.frames_received = 0
        self.bytes_received = 0
        self.invokes_answered = 0
        self.method_calls: deque[dict] = deque(maxlen=1000)
        self.crash_message: str | None = None
        self.errors: list[BaseException] = []
        self.closed = False
        self._ws: ClientConnection | None = None
        self._recv_task: asyncio.Task | None = None
        self._registered: asyncio.Future | None = None
        self._waiters: list[asyncio.Future] = []
        self._tasks: set[asyncio.Task] = set()

    # -- connecting ---------------------------------------------------------

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        width: int = 1280,
        height: int = 800,
        route: str = "/",
        track_controls: bool = True,
        on_frame: Callable[[bytes, float], Any] | None = None,
        on_invoke: Callable[[dict], Any] | None = None,
        page_props: dict[str, Any] | None = None,
        timeout: float = 10.0,
        compression: str | None = None,
        session_id: str = "",
    ) -> _Connect:
        """Open ``url`` (http://host:port or ws://host:port/ws) and register.

        Returns once the register response has arrived (the app's ``main``
        runs after it, so wait_for the first controls). ``on_invoke(request)``
        answers INVOKE_METHOD calls (request has control_id, call_id, name,
        args); it may return a value or an awaitable, or raise (sent back as
        the error); the default answers ``None``. ``page_props`` are extra
        page fields for the register request (e.g. platform_brightness).
        ``compression="deflate"`` negotiates permessage-deflate like browsers.
        ``session_id`` resumes a session the server still holds, as Flet's web
        client does when its connection comes back after a network blip.
        """

        async def run() -> FletClient:
            client = cls(
                track_controls=track_controls, on_frame=on_frame, on_invoke=on_invoke
            )
            page = {
                "route": route,
                "width": width,
                "height": height,
                "platform": "linux",
                "web": True,
            }
            page.update(page_props or {})
            await client._open(_ws_url(url), page, timeout, compression, session_id)
            return client

        return _Connect(run)

    async def _open(
        self, ws_url: str, page: dict, timeout: float, compression: str | None, session_id: str
    ) -> None:
        self._ws = await websockets.connect(
            ws_url,
            compression=compression,
            max_size=None,
            ping_interval=None,
            proxy=None,
            open_timeout=timeout,
            close_timeout=5,
        )
        loop = asyncio.get_running_loop()
        self._registered = loop.create_future()
        if self.track_controls:
            self.page = {"_c": "Page", "_i": 1, **page}
            self.controls = {1: self.page}
        self._recv_task = asyncio.create_task(self._receive_loop())
        try:
            await self._ws.send(
                encode_frame(
                    REGISTER_CLIENT,
                    {"session_id": session_id, "page_name": "", "page": page},
                )
            )
            await asyncio.wait_for(asyncio.shield(self._registered), timeout)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the WebSocket (normal closure) and stop receiving."""
        ws, task = self._ws, self._recv_task
        if ws is not None:
            try:
                await ws.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
        if task is not None and task is not asyncio.current_task():
            try:
                await asyncio.wait_for(asyncio.shield(task), 5)
            except asyncio.TimeoutError:
                task.cancel()
        self._mark_closed()

    async def __aenter__(self) -> FletClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def _mark_closed(self) -> None:
        self.closed = True
        if self._registered is not None and not self._registered.done():
            self._registered.set_exception(
                ConnectionError("connection closed before registration")
            )
            self._registered.exception()  # mark retrieved
        self._wake()

    # -- receiving ----------------------------------------------------------

    async def _receive_loop(self) -> None:
        ws = self._ws
        assert ws is not None
        perf = time.perf_counter
        try:
            async for raw in ws:
                received_at = perf()
                if type(raw) is str:
                    raw = raw.encode()
                reply = self.process_frame(raw, received_at)
                if reply is not None:
                    await ws.send(reply)
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # noqa: BLE001 - surfaced through wait_for
            self.errors.append(e)
        finally:
            self._mark_closed()

    def process_frame(self, raw: bytes, received_at: float = 0.0) -> bytes | None:
        """Handle one received frame; return a frame to send back, if any.

        Synchronous and free of I/O, so it can be timed or fed recorded
        frames directly.
        """
        self.frames_received += 1
        self.bytes_received += len(raw)
        if self.on_frame is not None:
            try:
                self.on_frame(raw, received_at)
            except Exception as e:  # noqa: BLE001
                self.errors.append(e)
        reply = None
        try:
            if not self.track_controls and peek_action(raw) == PATCH_CONTROL:
                msg = None  # cheap mode: never decode patches
            else:
                msg = decode_frame(raw)  # None for data-channel frames
            if msg is None:
                pass
            elif (action := msg[0]) == PATCH_CONTROL:
                body = msg[1]
                if self.track_controls:
                    target = self.controls.get(body["id"])
                    if target is not None:  # like Dart: unknown id is ignored
                        apply_patch(target, body["patch"], self.controls)
            elif action == INVOKE_METHOD:
                reply = self._answer_invoke(msg[1])
            elif action == REGISTER_CLIENT:
                self._on_registered(msg[1])
            elif action == SESSION_CRASHED:
                self.crash_message = msg[1].get("message", "")
        except Exception as e:  # noqa: BLE001 - surfaced through wait_for
            self.errors.append(e)
        if self._waiters:
            self._wake()
        return reply

    def _on_registered(self, body: dict) -> None:
        self.session_id = body.get("session_id")
        error = body.get("error")
        if self.track_controls and body.get("page_patch"):
            merge_props(self.page, body["page_patch"])
            self.controls = build_index(self.page)
        fut = self._registered
        if fut is not None and not fut.done():
            if error:
                fut.set_exception(FletSessionCrashed(f"register failed: {error}"))
            else:
                fut.set_result(None)

    def _answer_invoke(self, body: dict) -> bytes | None:
        self.method_calls.append(body)
        result, error = None, None
        if self.on_invoke is not None:
            try:
                result = self.on_invoke(body)
            except Exception as e:  # noqa: BLE001 - reported to the server
                error = str(e) or type(e).__name__
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(self._answer_later(body, result))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                return None
        self.invokes_answered += 1
        return self._invoke_reply(body, result, error)

    async def _answer_later(self, body: dict, awaitable: Any) -> None:
        result, error = None, None
        try:
            result = await awaitable
        except Exception as e:  # noqa: BLE001
            error = str(e) or type(e).__name__
        self.invokes_answered += 1
        await self._send(self._invoke_reply(body, result, error))

    @staticmethod
    def _invoke_reply(body: dict, result: Any, error: str | None) -> bytes:
        return encode_frame(
            INVOKE_METHOD,
            {
                "control_id": body.get("control_id"),
                "call_id": body.get("call_id"),
                "result": result,
                "error": error,
            },
        )

    # -- waiting ------------------------------------------------------------

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for f in waiters:
            if not f.done():
                f.set_result(None)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Wait until ``predicate()`` is truthy; return its value.

        Re-checked after every received frame. Raises TimeoutError, or
        FletSessionCrashed / ConnectionError / the mirror's PatchError as
        soon as one happens.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._raise_problems()
            value = predicate()
            if value:
                return value
            if self.closed:
                raise ConnectionError("connection closed while waiting")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"condition not met within {timeout}s; texts: {self.texts()[:20]!r}"
                )
            fut = loop.create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except asyncio.TimeoutError:
                pass

    def _raise_problems(self) -> None:
        if self.errors:
            raise self.errors[0]
        if self.crash_message is not None:
            raise FletSessionCrashed(self.crash_message)

    # -- queries ------------------------------------------------------------

    def get(self, control_id: int) -> dict | None:
        return self.controls.get(control_id)

    def iter_controls(self, root: dict | None = None) -> Iterator[dict]:
        """Controls in tree order (pre-order, props in wire order)."""
        return _iter_control_dicts(self.page if root is None else root)

    def find(self, type: str | None = None, /, **props: Any) -> list[dict]:
        """Controls of ``type`` (the "_c" name) whose props equal ``props``.

        A prop value may be a callable predicate, e.g.
        ``find("Text", value=lambda v: v and "hi" in v)``.
        """
        return [c for c in _iter_control_dicts(self.page) if _matches(c, type, props)]

    def find_one(self, type: str | None = None, /, **props: Any) -> dict | None:
        """The one matching control, None if there is none.

        Raises LookupError if several match (the query is ambiguous).
        """
        found = self.find(type, **props)
        if len(found) > 1:
            raise LookupError(f"{len(found)} controls match {type} {props}")
        return found[0] if found else None

    def texts(self, root: dict | None = None) -> list[str]:
        """Visible text, in tree order.

        The string "value" of Text, Markdown, TextField and other
        TEXT_VALUE_TYPES, the "text" of Text spans, and string "content"
        (button labels). Controls with ``visible: False``, and dialogs that
        are not open, are skipped with their subtrees.
        """
        out: list[str] = []
        stack: list[Any] = [self.page if root is None else root]
        while stack:
            v = stack.pop()
            if type(v) is dict:
                ctype = v.get("_c")
                if ctype is not None:
                    if v.get("visible") is False:
                        continue
                    if ctype in OPENABLE_TYPES and not v.get("open"):
                        continue
                    value = v.get("value")
                    if ctype in TEXT_VALUE_TYPES and type(value) is str and value:
                        out.append(value)
                    content = v.get("content")
                    if type(content) is str and content:
                        out.append(content)
                elif type(v.get("text")) is str and v["text"]:
                    out.append(v["text"])  # TextSpan
                vals = [x for x in v.values() if type(x) in (dict, list)]
                vals.reverse()
                stack.extend(vals)
            elif type(v) is list:
                stack.extend(reversed(v))
        return out

    # -- actions ------------------------------------------------------------

    async def _send(self, frame: bytes) -> None:
        if self._ws is None:
            raise ConnectionError("not connected")
        await self._ws.send(frame)

    async def send_event(
        self, control: int | dict, name: str, data: Any = None
    ) -> None:
        """CONTROL_EVENT: ``[3, {target, name, data}]`` (name without "on_")."""
        await self._send(
            encode_frame(
                CONTROL_EVENT,
                {"target": _control_id(control), "name": name, "data": data},
            )
        )

    async def update_props(self, control: int | dict, props: dict[str, Any]) -> None:
        """UPDATE_CONTROL_PROPS ``[4, {id, props}]``; also applied to the mirror."""
        cid = _control_id(control)
        if self.track_controls and cid in self.controls:
            merge_props(self.controls[cid], props, self.controls)
        await self._send(
            encode_frame(UPDATE_CONTROL_PROPS, {"id": cid, "props": props})
        )

    async def set_value(self, control: int | dict, value: Any) -> None:
        await self.update_props(control, {"value": value})

    async def submit(self, control: int | dict, text: str) -> None:
        """Type ``text`` into a TextField and press Enter."""
        await self.set_value(control, text)
        await self.send_event(control, "submit", text)

    async def click(self, control: int | dict) -> None:
        await self.send_event(control, "click")
