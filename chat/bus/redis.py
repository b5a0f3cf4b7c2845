"""Redis pub/sub bus: carries room events between server processes."""

from __future__ import annotations

import asyncio
import logging
import uuid
from urllib.parse import urlsplit

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from chat.bus.base import BusUnavailable, Deliver
from chat.bus.codec import decode_event, encode_event
from chat.domain import BusEvent

log = logging.getLogger(__name__)

_TIMEOUT = 2.0
"""Seconds to wait for Redis to connect or answer before calling it unreachable."""
_FIRST_BACKOFF, _MAX_BACKOFF = 0.2, 5.0
_POLL = 1.0
"""Longest the reader waits for a message before checking the connection's health."""
_REPEAT_WARNING = 30.0
"""Seconds between repeated warnings while Redis stays unreachable."""
_FAILURES = (RedisError, OSError, asyncio.TimeoutError)


def _server(url: str) -> str:
    """host:port of `url`, without the password, for messages."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def encode_envelope(node: str, event: BusEvent) -> bytes:
    """The wire form: the sending node's id, a space, then the codec's JSON."""
    return node.encode() + b" " + encode_event(event)


def decode_envelope(raw: bytes) -> tuple[str, BusEvent]:
    """The (node, event) that `encode_envelope` made; ValueError for anything else."""
    node, space, body = raw.partition(b" ")
    if not space:
        raise ValueError(f"not a bus envelope: {raw[:80]!r}")
    return node.decode(), decode_event(body)


class RedisBus:
    """Delivers own events at once, publishes them to Redis, and relays other nodes' events."""

    def __init__(self, url: str, channel: str = "confab:events") -> None:
        self.url = url
        self.channel = channel
        self.node = uuid.uuid4().hex
        self._where = _server(url)
        self._deliver: Deliver | None = None
        self._publisher: redis.Redis | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._first_attempt_done = asyncio.Event()
        self._down_since: float | None = None
        self._last_warning = 0.0

    @property
    def connected(self) -> bool:
        """True while the reader is subscribed and receiving other nodes' events."""
        return self._subscribed.is_set()

    def _client(self, retries: int) -> redis.Redis:
        return redis.Redis.from_url(
            self.url,
            socket_connect_timeout=_TIMEOUT,
            socket_timeout=_TIMEOUT,
            # Our own loop reconnects and logs; redis-py's default retries would stall for seconds.
            retry=Retry(NoBackoff(), retries),
            health_check_interval=10,
        )

    def _publisher_client(self) -> redis.Redis:
        if self._publisher is None:
            # One retry: after a Redis restart the pooled connection is dead but a new one works.
            self._publisher = self._client(retries=1)
        return self._publisher

    async def start(self, deliver: Deliver) -> None:
        """Deliver events from now on; returns once subscribed or the first attempt failed."""
        self._deliver = deliver
        if self._reader is None:
            self._reader = asyncio.create_task(
                self._read_forever(), name=f"redis bus reader {self.channel}"
            )
        await self._first_attempt_done.wait()

    async def publish(self, event: BusEvent) -> None:
        # Local sessions see their own events at once, whether or not Redis is up.
        if self._deliver is not None:
            await self._deliver(event)
        try:
            await asyncio.wait_for(
                self._publisher_client().publish(self.channel, encode_envelope(self.node, event)),
                _TIMEOUT * 2,
            )
        except _FAILURES as exc:
            raise self._unavailable("publish", exc) from exc

    async def ping(self) -> None:
        try:
            await asyncio.wait_for(self._publisher_client().ping(), _TIMEOUT)
        except _FAILURES as exc:
            raise self._unavailable("ping", exc) from exc

    async def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            try:
                await reader
            except asyncio.CancelledError:
                pass
        self._subscribed.clear()
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.aclose()
        self._deliver = None

    def _unavailable(self, action: str, exc: BaseException) -> BusUnavailable:
        detail = str(exc).strip() or "no answer"
        return BusUnavailable(
            f"could not {action}: Redis at {self._where} is unreachable "
            f"({type(exc).__name__}: {detail[:160]})"
        )

    async def _read_forever(self) -> None:
        """Subscribe and relay; reconnect with backoff whenever Redis goes away."""
        backoff = _FIRST_BACKOFF
        while True:
            client = self._client(retries=0)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                await self._relay(pubsub)
            except _FAILURES as exc:
                if self._subscribed.is_set():
                    backoff = _FIRST_BACKOFF  # it was working: the first retry comes quickly
                self._subscribed.clear()
                self._log_outage(exc, backoff)
            finally:
                self._first_attempt_done.set()
                await self._quietly_close(pubsub, client)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF)

    def _log_outage(self, exc: BaseException, backoff: float) -> None:
        now = asyncio.get_running_loop().time()
        if self._down_since is None:
            self._down_since = now
            log.warning(
                "Redis bus at %s is unreachable (%s: %s); events from other processes "
                "will not arrive until it is back. Reconnecting.",
                self._where,
                type(exc).__name__,
                exc,
            )
        else:
            # Repeat the warning now and then, not on every retry of a long outage.
            quiet = now - self._last_warning < _REPEAT_WARNING
            log.log(
                logging.DEBUG if quiet else logging.WARNING,
                "Redis bus at %s still unreachable after %.0fs (%s); retrying in %.1fs",
                self._where,
                now - self._down_since,
                type(exc).__name__,
                backoff,
            )
            if quiet:
                return
        self._last_warning = now

    async def _relay(self, pubsub: redis.client.PubSub) -> None:
        """Hand other nodes' events to `deliver`, in order, until the connection fails."""
        while True:
            message = await pubsub.get_message(timeout=_POLL)
            if message is None:
                continue
            if message["type"] == "message":
                await self._handle(message["data"])
            elif message["type"] == "subscribe":
                self._subscribed.set()
                self._first_attempt_done.set()
                if self._down_since is not None:
                    log.warning(
                        "Redis bus at %s is back after %.0fs; events other processes sent "
                        "meanwhile were missed here (clients catch up from the store)",
                        self._where,
                        asyncio.get_running_loop().time() - self._down_since,
                    )
                    self._down_since = None

    async def _handle(self, raw: bytes) -> None:
        try:
            node, event = decode_envelope(raw)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring a malformed bus message on %s: %s", self.channel, exc)
            return
        if node == self.node or self._deliver is None:
            return  # our own echo: publish() already delivered it
        try:
            await self._deliver(event)
        except Exception:
            # One failing subscriber must not stop every later event from arriving.
            log.exception("delivering a bus event failed: %r", event)

    @staticmethod
    async def _quietly_close(pubsub: redis.client.PubSub, client: redis.Redis) -> None:
        try:
            await pubsub.aclose()
            await client.aclose()
        except _FAILURES:
            pass  # the connection is already gone; nothing to release
