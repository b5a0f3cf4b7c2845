"""An ASGI middleware in front of Flet's WebSocket: bad or flooding sockets are closed, not served.

Flet 1.0.5 serves every socket itself, and a socket that ends or sends
anything but a register message first is never closed or freed (see
chat/flet_wire.py). So the guard accepts the socket, reads the first frame
within a deadline and hands Flet only sockets whose first frame is a valid
register message; everything else is closed here and Flet never sees it.

After that, each inbound frame must be well formed and is paid for from the
connection's token bucket (one token, plus one per 16 KB). A connection
whose bucket is empty is not closed at once: its next frames are handed to
Flet only as the bucket refills, so a backlog (an honest client's frames that
piled up while the server stalled, read all at once) is slowed down, not
punished. Unread frames stay in the kernel, which pushes back on the sender.
Only a connection that stays over the limit for as long as its burst lasts at
the limit (burst / rate: 2 s by default) is told why (the web client shows
it), closed with code 1008, and its address waits a while before it is served
again (chat/offences.py), so the client's automatic reconnect cannot turn
into a loop; let back in, it starts with half the burst per strike. After that close, the socket is no longer read at all
(chat/socket_transport.py): parsing the frames a flooder still has in flight
was the largest cost of a flood.

Paying for frames bounds how many a connection sends, not how many of its
events wait for the CPU at once: Flet runs each event in a task of its own and
reads on, so a burst handed over at once queued hundreds of handlers ahead of
everyone else's deliveries. So a reader task reads, checks and pays for each
frame as it arrives (the limit sees what the client sends, however slowly its
events run), and Flet is handed the next one only while fewer than
`events_in_flight` of that connection's handlers are still running (Flet shows
the guard their set, chat/flet_wire.py). Frames waiting in between are at most
a burst; past that the reader waits and the kernel pushes back on the sender.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from chat import flet_wire, socket_transport
from chat.config import Settings
from chat.events_in_flight import EventsInFlight, Inbox
from chat.limits import TokenBucket
from chat.offences import CoolDowns, OffenceLog
from chat.socket_notices import SocketNotices

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BYTES_PER_TOKEN = 16 * 1024
"""A big frame costs one more token per this many bytes."""
OVER_LIMIT_ENDS_AFTER = 1.0
"""Seconds without an empty bucket that end a stretch over the limit (a sleep may overshoot; a burst may not)."""
CLOSE_GRACE = 1.0
"""Seconds a flooder's socket stays open, unread, after its close frame: time to read why."""
MAX_HELD_PER_ADDRESS = 8
"""Sockets of a cooling-down address kept open to show why; more are closed at once."""

PROTOCOL_ERROR = 1002
UNSUPPORTED_DATA = 1003
POLICY_VIOLATION = 1008
TOO_BIG = 1009
TRY_AGAIN_LATER = 1013

_SIZE_IN_REASON = re.compile(r"(\d+) bytes exceeds")
"""The frame's size in the reason the websockets library gives for its 1009 close."""


@dataclass(frozen=True, slots=True)
class SocketLimits:
    """What one WebSocket may do (from Settings)."""

    frames_per_second: float
    frame_burst: int
    register_timeout: float
    max_frame_bytes: int
    flood_cooldown: float
    events_in_flight: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SocketLimits:
        return cls(
            frames_per_second=settings.ws_frames_per_second,
            frame_burst=settings.ws_frame_burst,
            register_timeout=settings.ws_register_timeout,
            max_frame_bytes=settings.ws_max_frame_bytes,
            flood_cooldown=settings.ws_flood_cooldown,
            events_in_flight=settings.ws_events_in_flight,
        )


@dataclass(frozen=True, slots=True)
class SocketRecord:
    """How one served socket ended (kept for /api-free inspection in tests and benchmarks)."""

    address: str
    frames: int
    lowest_tokens: float
    closed_for: str | None
    most_events_in_flight: int


class Refused(Exception):
    """Close the socket: `code` and `reason` go in the close frame; `shown` to the person, if registered."""

    def __init__(self, code: int, reason: str, shown: str | None = None):
        super().__init__(reason)
        self.code, self.reason, self.shown = code, reason, shown


class SocketGuard:
    """Shared state of the guard: limits, cool-downs, the offence log and a few counters."""

    def __init__(self, limits: SocketLimits, notices: SocketNotices | None = None):
        self.limits = limits
        self.notices = notices or SocketNotices()
        """Why a tab's socket was closed, for its page to say again once the tab is back."""
        self.cooldowns = CoolDowns(limits.flood_cooldown)
        self.offences = OffenceLog()
        self.closed: Counter[str] = Counter()
        """Sockets the guard closed, by kind: malformed, silent, flood, cooling, too_big."""
        self.recent: deque[SocketRecord] = deque(maxlen=200)
        """The last served sockets, as they ended."""
        self.held: Counter[str] = Counter()

    def refuse(self, address: str, kind: str, what: str) -> None:
        self.closed[kind] += 1
        self.offences.report(address, what)


class SocketGuardMiddleware:
    """Wraps the ASGI app; only Flet's WebSocket (…/ws) is guarded."""

    def __init__(self, app, guard: SocketGuard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or not scope["path"].endswith(flet_wire.SOCKET_PATH_SUFFIX):
            await self.app(scope, receive, send)
            return
        guard, limits = self.guard, self.guard.limits
        address = (scope.get("client") or ("", 0))[0] or ""
        connect = await receive()
        if connect["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        try:
            first = await asyncio.wait_for(receive(), limits.register_timeout)
        except TimeoutError:
            guard.refuse(
                address, "silent", f"no register message within {limits.register_timeout:g} s"
            )
            await _close(send, POLICY_VIOLATION, "No register message")
            return
        if first["type"] != "websocket.receive":
            return  # gone before registering: nothing was made for it
        try:
            session_id = flet_wire.check_register(_frame_bytes(first))
        except (flet_wire.BadFrame, Refused) as bad:
            guard.refuse(address, "malformed", f"first frame: {bad}")
            await _close(send, getattr(bad, "code", PROTOCOL_ERROR), "Not a Flet register message")
            return
        wait = guard.cooldowns.remaining(address)
        if wait > 0:
            await self._hold(address, session_id, wait, receive, send)
            return
        socket = GuardedSocket(guard, address, receive, send, [connect, first], session_id)
        scope = {**scope, flet_wire.EVENTS_SCOPE_KEY: socket.events}
        try:
            await self.app(scope, socket.receive, socket.send)
        finally:
            socket.stop()
            guard.recent.append(socket.record())

    async def _hold(
        self, address: str, session_id: str, wait: float, receive: Receive, send: Send
    ) -> None:
        """Answer the register message with why, keep the socket quiet until the pause ends, then close it.

        Holding it is what stops the web client from reconnecting every half second.
        """
        guard = self.guard
        guard.closed["cooling"] += 1
        text = (
            "This address sent too many messages, so the server paused it. "
            f"The page reconnects by itself in {wait:.0f} s."
        )
        await send(
            {"type": "websocket.send", "bytes": flet_wire.register_refusal(session_id, text)}
        )
        if guard.held[address] >= MAX_HELD_PER_ADDRESS:
            await _close(send, TRY_AGAIN_LATER, f"Paused for {wait:.0f} s")
            return
        guard.held[address] += 1
        try:
            await asyncio.wait_for(_until_gone(receive), wait)
        except TimeoutError:
            await _close(send, TRY_AGAIN_LATER, "Pause over")
        finally:
            guard.held[address] -= 1
            if not guard.held[address]:
                del guard.held[address]


class GuardedSocket:
    """One registered socket as Flet sees it: checked, paid-for frames in; nothing out after a close."""

    def __init__(
        self,
        guard: SocketGuard,
        address: str,
        receive: Receive,
        send: Send,
        replay: list[Message],
        session_id: str = "",
    ):
        self.guard = guard
        self.address = address
        self.session_id = session_id
        """The Flet session it resumes, or (a new one) the id Flet's answer to its register names."""
        self._answer_seen = False
        self._receive, self._send = receive, send
        self._replay = replay
        limits = guard.limits
        # An address that flooded lately starts with a smaller allowance (halved per strike): a
        # flooder let back in would otherwise spend a whole burst at once, every time.
        first = limits.frame_burst / 2 ** guard.cooldowns.strikes(address)
        self.budget = TokenBucket(
            limits.frames_per_second, limits.frame_burst, initial=max(1.0, first)
        )
        self.grace = (
            limits.frame_burst / limits.frames_per_second if limits.frames_per_second > 0 else 0.0
        )
        """How long a connection may stay over the limit (slowed down) before it is closed."""
        self.throttled_since: float | None = None
        self.last_over = 0.0
        self.frames = 0
        self.lowest = float(limits.frame_burst)
        self.closed_for: str | None = None
        self._close_code: int | None = None
        self.events = EventsInFlight()
        self._inbox = Inbox(self.events, limits.events_in_flight, limits.frame_burst)
        """Checked, paid-for frames Flet has not taken yet."""
        self._reader: asyncio.Task | None = None

    async def receive(self) -> Message:
        if self._replay:
            return self._replay.pop(0)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read())
        self._inbox.uncapped = self._close_code is not None
        return await self._inbox.get()

    def stop(self) -> None:
        """Stop reading (Flet is done with the socket)."""
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        """Read, check and pay for each frame as it comes; the inbox ends with a disconnect."""
        try:
            gone = await self._read_until_gone()
        except Exception:
            # Flet must still see the socket end; the error itself stays on this task, for asyncio to log.
            self._inbox.end({"type": "websocket.disconnect", "code": 1011})
            raise
        await self._inbox.put(gone, is_event=False)

    async def _read_until_gone(self) -> Message:
        while True:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                if message.get("code") == TOO_BIG:
                    self._refused_by_server(str(message.get("reason") or ""))
                return message
            try:
                action, cost = self._check(message)
                await self._pay(cost)
            except (flet_wire.BadFrame, Refused) as bad:
                await self._refuse(bad)
                self._inbox.drop()  # a closed socket's frames are not handled
                return {"type": "websocket.disconnect", "code": self._close_code}
            await self._inbox.put(message, is_event=action == flet_wire.CONTROL_EVENT)

    async def send(self, message: Message) -> None:
        if message["type"] == "websocket.accept":
            return  # the guard accepted already
        if self._close_code is not None:
            return  # closed by the guard: Flet's send loop may still flush a frame or two
        if message["type"] == "websocket.close":
            self._close_code = message.get("code", 1000)
        elif not self._answer_seen and message.get("bytes"):
            self._answer_seen = True  # Flet's first frame answers the register message
            self.session_id = (
                self.session_id or flet_wire.registered_session(message["bytes"]) or ""
            )
        try:
            await self._send(message)
        except (
            OSError
        ):  # uvicorn's ClientDisconnected: the client left while Flet was still sending
            self._close_code = self._close_code or 1006

    def record(self) -> SocketRecord:
        return SocketRecord(
            self.address, self.frames, self.lowest, self.closed_for, self.events.most
        )

    def _check(self, message: Message) -> tuple[int, int]:
        """The frame's action and cost in tokens; BadFrame or Refused if it is malformed or too big."""
        raw = _frame_bytes(message)
        limits = self.guard.limits
        if len(raw) > limits.max_frame_bytes:
            raise Refused(
                TOO_BIG,
                f"frame of {len(raw):,} bytes",
                shown=too_big_words(len(raw), limits.max_frame_bytes),
            )
        action, _ = flet_wire.decode(raw)
        self.frames += 1
        return action, 1 + len(raw) // BYTES_PER_TOKEN

    async def _pay(self, cost: int) -> None:
        """Wait until the bucket holds `cost`; Refused once the connection has been over the limit for `grace`."""
        while (wait := self.budget.take(cost)) > 0:
            now = time.monotonic()
            if self.throttled_since is None or now - self.last_over > OVER_LIMIT_ENDS_AFTER:
                self.throttled_since = now
            self.last_over = now
            if now + wait - self.throttled_since > self.grace:
                rate = self.guard.limits.frames_per_second
                raise Refused(
                    POLICY_VIOLATION,
                    f"more than {rate:g} messages a second",
                    shown=f"This tab sent more than {rate:g} messages a second, so the server closed it.",
                )
            await asyncio.sleep(wait)
        self.lowest = min(self.lowest, self.budget.tokens)

    def _refused_by_server(self, reason: str) -> None:
        """The server (uvicorn's ws_max_size) closed the socket for a frame too big: remember why.

        The socket is closed already, so nothing can be said now; the page says it once back.
        """
        size = _SIZE_IN_REASON.search(reason)
        shown = too_big_words(
            int(size.group(1)) if size else None, self.guard.limits.max_frame_bytes
        )
        self.closed_for = "too_big"
        self.guard.refuse(
            self.address, "too_big", f"frame {self.frames + 1}: {reason or 'too big'}"
        )
        self.guard.notices.tell(self.session_id, shown)

    async def _refuse(self, bad: Exception) -> None:
        guard = self.guard
        if isinstance(bad, Refused) and bad.code == TOO_BIG and bad.shown is not None:
            # An honest mistake (a big paste): said, and said again when the tab is back; no pause.
            kind, reason, shown = "too_big", "Frame too big", bad.shown
            what = f"frame {self.frames + 1}: {bad}"
            guard.notices.tell(self.session_id, shown)
        elif isinstance(bad, Refused) and bad.shown is not None:
            kind = "flood"
            pause = guard.cooldowns.punish(self.address)
            reason = f"Too many messages; reconnect in {pause:.0f} s"
            shown = f"{bad.shown} It reconnects by itself in {pause:.0f} s."
            what = f"{bad} after {self.frames} frames; paused {pause:.0f} s"
        else:
            kind = "malformed"
            reason = "Not a Flet message" if isinstance(bad, flet_wire.BadFrame) else str(bad)
            shown = None
            what = f"frame {self.frames + 1}: {bad}"
        self.closed_for = kind
        guard.refuse(self.address, kind, what)
        code = bad.code if isinstance(bad, Refused) else PROTOCOL_ERROR
        self._close_code = (
            code  # from now on Flet's sends are dropped, not sent into a closing socket
        )
        if shown is not None:
            await _quietly(
                self._send({"type": "websocket.send", "bytes": flet_wire.session_ended(shown)})
            )
        await _close(self._send, code, reason)
        # What it still sends would only be parsed and dropped: stop reading it.
        socket_transport.stop_reading(self._receive, close_after=CLOSE_GRACE)


def too_big_words(size: int | None, limit: int) -> str:
    """What a tab is told when it sent more at once than one frame may hold (`size`: None, unknown)."""
    sent = f"{_megabytes(size)} at once" if size is not None else "too much at once"
    return (
        f"This tab sent {sent}, more than the server takes in one go "
        f"({_megabytes(limit)}), so it was not kept. Send large pictures and files with the "
        "Attach button (the paper clip), and paste long text in parts."
    )


def _megabytes(size: int) -> str:
    return f"{round(size / 1_000_000, 1):g} MB"


def _frame_bytes(message: Message) -> bytes:
    raw = message.get("bytes")
    if raw is None:
        raise Refused(UNSUPPORTED_DATA, "a text frame (Flet speaks binary)")
    return raw


async def _close(send: Send, code: int, reason: str) -> None:
    await _quietly(send({"type": "websocket.close", "code": code, "reason": reason[:120]}))


async def _quietly(sending: Awaitable[None]) -> None:
    try:
        await sending
    except (OSError, RuntimeError):  # the client went away first: nothing left to tell it
        pass


async def _until_gone(receive: Receive) -> None:
    while (await receive())["type"] != "websocket.disconnect":
        pass  # a paused socket's frames are read and dropped
