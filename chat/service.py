"""The room: joining, posting, history and presence. Owns publish-after-commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass

from chat.bus.base import Bus, BusUnavailable
from chat.config import Settings
from chat.domain import (
    BusEvent,
    Draft,
    Message,
    MessageChanged,
    MessageKind,
    MessagePosted,
    MessageStatus,
    StopRequested,
)
from chat.limits import BucketsByKey
from chat.presence import PresenceBook
from chat.relay import Fanout, RoomRelay
from chat.rules import Rejected, clean_message, clean_name
from chat.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)

CATCH_UP_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Health:
    """Each dependency's state, as /healthz reports it."""

    store: str
    bus: str

    @property
    def ok(self) -> bool:
        """True when the store answers (the room can work without the bus for a while)."""
        return self.store == "ok"


class ChatService:
    """One process's handle on the room; every UI action goes through here."""

    def __init__(self, settings: Settings, store: Store, bus: Bus, node: str | None = None):
        self.settings = settings
        self.store = store
        self.bus = bus
        self.node = node or secrets.token_hex(4)
        self.room = settings.room
        self.presence = PresenceBook(self.node, settings.presence_ttl)
        self.relay = RoomRelay(store, self.presence, rooms=(self.room,))
        self._post_lock = asyncio.Lock()
        self._send_rate = BucketsByKey(settings.rate_per_second, settings.rate_burst)
        self._connections: dict[str, str] = {}  # session id -> client address
        self._ticker: asyncio.Task | None = None

    # ---- life cycle

    async def start(self, fanout: Fanout) -> None:
        """Start relaying bus events to `fanout` (Flet's pubsub `send_all`)."""
        await self.relay.start(fanout)
        await self.bus.start(self.relay.deliver)
        self._ticker = asyncio.create_task(self._tick(), name="presence-and-catch-up")
        await self._publish_presence()

    async def close(self) -> None:
        """Stop background work; leave the store and bus to their owner."""
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await self.bus.close()
        await self.relay.close()

    async def _tick(self) -> None:
        # Presence reports expire unless refreshed; a periodic catch-up also
        # recovers a message whose bus event was lost with nothing after it.
        while True:
            await asyncio.sleep(min(self.settings.presence_ttl / 3, CATCH_UP_SECONDS))
            with contextlib.suppress(BusUnavailable):
                await self._publish_presence(local_announce=False)
            if self.presence.expire():
                self.relay.announce_presence()
            await self.relay.catch_up()

    # ---- people

    def connect(self, session_id: str, client_ip: str, returning: bool = False) -> None:
        """Count a connected tab; Rejected past the per-address limit (a returning tab is let back)."""
        same_address = sum(1 for ip in self._connections.values() if ip == client_ip)
        if not returning and same_address >= self.settings.max_sessions_per_ip:
            raise Rejected(
                f"Too many open sessions from your address (limit {self.settings.max_sessions_per_ip}). "
                "Close a tab and reload."
            )
        self._connections[session_id] = client_ip

    def disconnect(self, session_id: str) -> None:
        """Stop counting a tab whose connection dropped."""
        self._connections.pop(session_id, None)

    def check_name(self, raw: str) -> str:
        """The cleaned name if it can join now; Rejected otherwise."""
        name = clean_name(
            raw, max_chars=self.settings.max_name_chars, reserved=self.reserved_names()
        )
        if self.presence.is_taken(name):
            raise Rejected(f"“{name}” is already in the room. Please pick another name.")
        return name

    def reserved_names(self) -> tuple[str, ...]:
        """Names nobody may take: the bot's handle and display name, and 'system'."""
        return (self.settings.bot_name, self.settings.bot_display_name, "system")

    async def join(self, session_id: str, raw_name: str) -> str:
        """Enter the room as `raw_name` (cleaned); Rejected if it cannot be used."""
        name = self.check_name(raw_name)
        self.presence.add(session_id, name)
        await self._publish_presence()
        await self._announce(f"{name} joined")
        return name

    async def enter_as_bot(self, session_id: str) -> None:
        """List the bot as online (it is exempt from the name rules that reserve its name)."""
        self.presence.add(session_id, self.settings.bot_name)
        await self._publish_presence()

    async def leave(self, session_id: str) -> None:
        """Leave the room; nothing happens for a session that never joined."""
        name = self.presence.remove(session_id)
        self._send_rate.forget(session_id)
        if name is None:
            return
        await self._publish_presence()
        await self._announce(f"{name} left")

    def online(self) -> tuple[str, ...]:
        """Everyone online on every process."""
        return self.presence.names()

    # ---- messages

    async def post_message(
        self, session_id: str, author: str, raw_text: str, client_id: str | None = None
    ) -> Message | None:
        """Store and publish a message; None if blank, Rejected if too long or too fast."""
        text = clean_message(raw_text, max_chars=self.settings.max_message_chars)
        if text is None:
            return None
        wait = self._send_rate.take(session_id)
        if wait > 0:
            raise Rejected(f"Slow down a little: you can send again in {wait:.1f} s.")
        draft = Draft(self.room, author, text, client_id=client_id, meta={"node": self.node})
        try:
            return await self._post(draft)
        except StoreUnavailable as exc:
            log.warning("a message was not saved: %s", exc)
            raise Rejected(
                "Your message was not sent: the database is not answering. "
                "It is still here; try again in a moment."
            ) from exc

    async def post_system(self, text: str) -> Message:
        """A system line (joined, left, notices)."""
        return await self._post(Draft(self.room, "system", text, kind=MessageKind.SYSTEM))

    async def _announce(self, text: str) -> None:
        # Joining and leaving still work while the database is down; only the line is lost.
        try:
            await self.post_system(text)
        except StoreUnavailable as exc:
            log.warning("could not store %r: %s", text, exc)

    async def begin_reply(self, author: str, claim: str, **meta: str) -> Message:
        """Open a streaming bot message; `claim` makes it one per claim across processes."""
        draft = Draft(
            self.room,
            author,
            "",
            kind=MessageKind.BOT,
            status=MessageStatus.STREAMING,
            client_id=claim,
            meta={**meta, "node": self.node},
        )
        return await self._post(draft)

    async def stream_reply(self, message: Message, text: str) -> Message:
        """Show `text` as the reply so far, everywhere, without storing it."""
        updated = message.with_text(text)
        await self._publish(MessageChanged(updated))
        return updated

    async def finish_reply(
        self, message: Message, text: str, status: MessageStatus, **meta: str
    ) -> Message:
        """Store the reply's final text and status, then show it everywhere."""
        final = await self.store.update_message(
            message.id, text, status, {**message.meta, **meta}
        )
        await self._publish(MessageChanged(final))
        return final

    async def settle_orphans(self) -> list[Message]:
        """End replies still "writing…" whose process is gone (it crashed mid-reply)."""
        live = self.presence.live_nodes()
        settled = []
        for message in await self.store.unfinished_messages():
            if message.meta.get("node") not in live:
                error = "The server writing this stopped unexpectedly."
                settled.append(
                    await self.finish_reply(message, message.text, MessageStatus.INTERRUPTED, error=error)
                )
        return settled

    async def request_stop(self, message_id: str, by: str) -> None:
        """Ask whichever process writes reply `message_id` to stop it."""
        await self._publish(StopRequested(message_id, by))

    async def _post(self, draft: Draft) -> Message:
        # Holding the lock from commit to publish keeps this process's events in seq order.
        async with self._post_lock:
            message = await self.store.add_message(draft)
            await self._publish(MessagePosted(message))
        return message

    async def _publish(self, event: BusEvent) -> None:
        try:
            await self.bus.publish(event)
        except BusUnavailable as exc:
            # Committed already: local sessions have it and other processes catch up from the store.
            log.warning("bus unavailable, other processes will catch up from the store: %s", exc)

    async def _publish_presence(self, local_announce: bool = True) -> None:
        if local_announce:
            self.relay.announce_presence()
        await self._publish(self.presence.snapshot())

    # ---- reading

    async def history(self, before_seq: int | None = None) -> list[Message]:
        """A page of messages before `before_seq` (default: the newest), oldest first."""
        return self._with_live_text(
            await self.store.history(self.room, before_seq, self.settings.history_page)
        )

    async def history_after(self, after_seq: int) -> list[Message]:
        """Everything after `after_seq` (what a reconnecting page missed), oldest first."""
        return self._with_live_text(
            await self.store.history_after(self.room, after_seq, 10 * self.settings.history_page)
        )

    def _with_live_text(self, messages: list[Message]) -> list[Message]:
        live = self.relay.live_replies()
        return [live.get(m.id, m) if not m.status.is_final else m for m in messages]

    async def health(self) -> Health:
        """Whether the store and the bus answer."""
        return Health(store=await _probe(self.store.ping), bus=await _probe(self.bus.ping))

    async def stats(self) -> dict[str, int]:
        """Numbers for /api/stats."""
        return {
            "online": len(self.online()),
            "sessions": len(self._connections),
            "messages": await self.store.count_messages(),
        }


async def _probe(ping) -> str:
    try:
        await asyncio.wait_for(ping(), timeout=2.0)
    except (StoreUnavailable, BusUnavailable, TimeoutError, OSError) as exc:
        return f"down: {exc}" if str(exc) else "down"
    return "ok"
