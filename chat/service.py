"""The room: joining, posting, history and presence. Owns publish-after-commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo

from chat import metrics
from chat.arrivals import Arrivals, Visitor
from chat.asker_zone import utc_offset
from chat.attachments import Attachment
from chat.bus.base import Bus, BusUnavailable
from chat.config import Settings
from chat.domain import (
    EVERY_ROOM,
    BusEvent,
    CatchUpRequested,
    CatchUpShown,
    Draft,
    Message,
    MessageChanged,
    MessageKind,
    MessagePosted,
    MessageStatus,
    PersonBanned,
    Reactions,
    ReadMoved,
    StopRequested,
    Typer,
)
from chat.edits import Edits
from chat.limits import BucketsByKey, take_from_all
from chat.message_meta import NO_META, MessageMeta
from chat.moderation import Moderation
from chat.names import clean_name, reserved_names
from chat.permissions import may_stop_reply
from chat.presence import PresenceBook
from chat.reacting import Reacting
from chat.relay import Fanout, RoomRelay
from chat.replying import Replying
from chat.rooms import RoomDirectory
from chat.rules import Rejected, TooFast, clean_message
from chat.search import MessageSearch
from chat.socket_notices import SocketNotices
from chat.store.base import Store, StoreUnavailable
from chat.typing_indicator import TypingThrottle
from chat.typing_signals import TypingSender
from chat.uploads import Uploads

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
    """One process's handle on every room; every UI action goes through here, naming its room."""

    def __init__(self, settings: Settings, store: Store, bus: Bus, node: str | None = None):
        self.settings = settings
        self.store = store
        self.bus = bus
        self.node = node or secrets.token_hex(4)
        self.presence = PresenceBook(self.node, settings.presence_ttl)
        self.relay = RoomRelay(store, self.presence, settings.typing_expiry_seconds)
        self.directory = RoomDirectory(
            store,
            self._publish,
            self._announce,
            tuple(bot.handle for bot in settings.roster),
            settings.room,
        )
        """Rooms: creating them, who may see them, invitations."""
        self.search = MessageSearch(store, self.directory)
        """Search in the rooms a person may read."""
        self.moderation = Moderation(settings, store, self._publish, self._announce)
        """Deleting, muting, removing, locking, banning; the checks before each post."""
        self.edits = Edits(
            settings,
            store,
            self._publish,
            self.moderation,
            self.directory.check,
            node=self.node,
        )
        """Edits and deletions by a message's author; earlier versions, for moderators."""
        self.reacting = Reacting(settings, store, self.directory, self.moderation, self._publish)
        """Emoji reactions on messages."""
        self.replying = Replying(store, self.directory, self._publish)
        """Replies: what they answer, their counts, threads."""
        self.files: Uploads | None = None
        """Uploaded files (set by the composition root): upload URLs, read keys, pastes."""
        self.socket_notices = SocketNotices()
        """Why the socket guard closed a tab's socket, for its page to say once it is back."""
        self._post_lock = asyncio.Lock()
        # Send limits follow the person and the address, so rejoining or renaming resets nothing.
        self._send_rate = BucketsByKey(settings.rate_per_second, settings.rate_burst)
        self._address_rate = BucketsByKey(
            settings.address_rate_per_second, settings.address_rate_burst
        )
        self.arrivals = Arrivals(settings, self._announce, self._recent)
        """Join and leave lines, told where a person arrived."""
        self._connections: dict[str, str] = {}  # session id -> client address, while connected
        self._visitors: dict[str, Visitor] = {}  # session id -> who, until the session ends
        self._ticker: asyncio.Task | None = None
        self.typing = TypingSender(
            self._publish,
            TypingThrottle(settings.typing_signal_seconds, settings.typing_idle_seconds),
        )
        """Keystrokes into throttled "typing" signals on the bus (never stored)."""

    # ---- life cycle

    async def start(self, fanout: Fanout) -> None:
        """Start relaying bus events to `fanout(room, event)` (a room's viewers only)."""
        await self.relay.start(fanout)
        await self.moderation.rules.refresh()
        await self.bus.start(self._deliver)
        self._ticker = asyncio.create_task(self._tick(), name="presence-and-catch-up")
        await self._publish_presence(EVERY_ROOM)

    async def close(self) -> None:
        """Stop background work; leave the store and bus to their owner."""
        self.arrivals.close()
        await self.typing.close()
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
                for room in self.presence.local_rooms():
                    await self._publish_presence(room, local_announce=False)
            self.relay.announce_presence(self.presence.expire())
            await self.relay.catch_up()
            with contextlib.suppress(StoreUnavailable):
                # What a lost bus event did not say, and bans from the command line.
                for person_id in await self.moderation.rules.refresh():
                    await self.relay.deliver(PersonBanned(person_id))

    async def _deliver(self, event: BusEvent) -> None:
        self.moderation.rules.observe(event)  # locks, mutes and bans hold here at once
        await self.relay.deliver(event)

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
        if session_id not in self._visitors:
            self._visitors[session_id] = Visitor(client_ip, f"session:{session_id}")

    async def identify(self, session_id: str, browser_id: str) -> None:
        """Key `session_id`'s limits by the browser it runs in (a reload or another name is the same person)."""
        visitor = self._visitor(session_id)
        before, visitor.person = visitor.person, f"browser:{browser_id}"
        await self.arrivals.same_person(before, visitor.person)

    def api_session(self, person_id: str, address: str) -> str:
        """The session id person `person_id` posts under through the HTTP API, from `address`.

        Its limits are the person's (as in every browser of theirs) and the address's.
        """
        session_id = f"api:{person_id}"
        self._visitors[session_id] = Visitor(address, session_id, person_id)
        return session_id

    def _visitor(self, session_id: str) -> Visitor:
        visitor = self._visitors.get(session_id)
        if visitor is None:
            visitor = self._visitors[session_id] = Visitor("", f"session:{session_id}")
        return visitor

    def _person_of(self, session_id: str) -> str | None:
        """The person id `session_id` joined as; None for a session unknown here."""
        visitor = self._visitors.get(session_id)
        return visitor.person_id if visitor is not None else None

    def disconnect(self, session_id: str) -> None:
        """Stop counting a tab whose connection dropped."""
        self._connections.pop(session_id, None)

    def session_count(self) -> int:
        """Tabs connected to this process."""
        return len(self._connections)

    def check_name(self, raw: str, person_id: str | None = None) -> str:
        """The cleaned name if it can join now; Rejected otherwise.

        A person owns their name (chat.people), so they may be online in several
        tabs at once; a session of no person may not use, or imitate, a name someone online
        in any room uses.
        """
        return clean_name(
            raw,
            max_chars=self.settings.max_name_chars,
            reserved=reserved_names(self.settings),
            taken=() if person_id is not None else self.presence.every_name(),
        )

    async def join(
        self,
        room: str,
        session_id: str,
        raw_name: str,
        person_id: str | None = None,
        moving: bool = False,
    ) -> str:
        """Enter `room` as `raw_name` (cleaned), person `person_id`; Rejected if it cannot be used.

        Who owns the name is chat.people's business: pass the person it let in.
        A private room or DM lets its members in only (NotAMember). `moving`: the
        tab comes from another room, so no room is told anyone arrived.
        """
        name = self.check_name(raw_name, person_id)
        await self.directory.check(room, person_id)
        self.presence.add(room, session_id, name)
        await self._publish_presence(room)
        visitor = self._visitor(session_id)
        visitor.person_id = person_id
        await self.arrivals.arrived(visitor, room, name, moving)
        return name

    async def _recent(self, room: str) -> list[Message]:
        return await self.store.history(room, None, self.settings.history_page)

    async def enter_as_bot(
        self, session_id: str, handle: str | None = None, rooms: tuple[str, ...] = ()
    ) -> None:
        """List bot `handle` (default CHAT_BOT_NAME) online in `rooms`, or every room for none.

        Bots are exempt from the name rules that reserve their names.
        """
        for room in rooms or (EVERY_ROOM,):
            self.presence.add(room, session_id, handle or self.settings.bot_name)
            await self._publish_presence(room)

    async def leave(
        self, room: str, session_id: str, ended: bool = False, moving: bool = False
    ) -> None:
        """Leave `room` (`ended`: the session is gone for good); nothing happens for one that never joined.

        `moving`: the tab goes to another room; the person has not left, so nobody is told.
        Otherwise the room that heard they arrived hears they left.
        """
        self.stop_typing(room, session_id)
        name = self.presence.remove(room, session_id)
        visitor = self._visitors.pop(session_id, None) if ended else self._visitors.get(session_id)
        if name is None:
            return
        await self._publish_presence(room)
        self.presence.forget_empty(room)
        if visitor is not None and not moving:
            await self.arrivals.left(visitor)

    def online(self, room: str) -> tuple[str, ...]:
        """Everyone in `room` on every process."""
        return self.presence.names(room)

    # ---- typing

    def typing_in(self, room: str, session_id: str) -> None:
        """A keystroke in `room`'s composer of `session_id`: the room's other tabs see its person
        typing (throttled; nothing for a session that has not joined as a person)."""
        name = self.presence.name_of(room, session_id)
        person_id = self._person_of(session_id)
        if name is not None and person_id is not None:
            self.typing.keystroke(room, person_id, name)

    def stop_typing(self, room: str, session_id: str) -> None:
        """`session_id` sent its message (or left `room`): its person no longer shows as typing."""
        person_id = self._person_of(session_id)
        if person_id is not None:
            self.typing.stopped(room, person_id)

    def typers(self, room: str) -> tuple[Typer, ...]:
        """Who is typing in `room` now, on any process."""
        return self.relay.typing.typers(room)

    # ---- messages

    async def post_message(
        self,
        room: str,
        session_id: str,
        author: str,
        raw_text: str,
        client_id: str | None = None,
        reply_to: str | None = None,
        attachments: Sequence[Attachment] = (),
        asker_zone: tzinfo | None = None,
    ) -> Message | None:
        """Store and publish a message in `room`; None if blank, Rejected if too long or too fast.

        `asker_zone`: the writer's tab's zone, kept with a message to a bot (which reads a time
        of day such as "since 9:00" in it).

        `reply_to`: the id of the message of `room` it replies to (Rejected, nothing stored,
        when that one is gone, deleted or elsewhere); every tab then hears its count of replies.
        A message with `attachments` (files kept by `files` first) may have no text.
        """
        text = clean_message(raw_text, max_chars=self.settings.max_message_chars)
        if text is None and not attachments:
            return None
        visitor = self._visitor(session_id)
        await self.directory.check(room, visitor.person_id)
        try:
            if reply_to is not None:
                await self.replying.original(room, reply_to, visitor.person_id)
        except StoreUnavailable as exc:
            raise Rejected(
                "Your reply was not sent: the database is not answering. "
                "It is still here; try again in a moment."
            ) from exc
        buckets = [self._send_rate.bucket(visitor.person)]
        if visitor.person_id is not None:  # the person's limit follows them to every browser
            buckets.append(self._send_rate.bucket(f"person:{visitor.person_id}"))
        if visitor.address:  # a session that never connected (a test, a script) has no address
            buckets.append(self._address_rate.bucket(visitor.address))
        wait = take_from_all(*buckets)
        if wait > 0:
            raise TooFast(f"Slow down a little: you can send again in {wait:.1f} s.", wait)
        draft = Draft(
            room,
            author,
            text or "",
            client_id=client_id,
            meta=MessageMeta(
                node=self.node,
                attachments=tuple(attachments),
                asker_utc_offset=utc_offset(asker_zone),
            ),
            author_id=visitor.person_id,
            reply_to=reply_to,
        )
        try:
            await self.moderation.check_may_post(room, visitor.person_id)
            message = await self._post(draft)
        except StoreUnavailable as exc:
            log.warning("a message was not saved: %s", exc)
            raise Rejected(
                "Your message was not sent: the database is not answering. "
                "It is still here; try again in a moment."
            ) from exc
        if reply_to is not None:
            await self.replying.counted(room, reply_to)
        return message

    async def thread(
        self, room: str, message_id: str, session_id: str, before_seq: int | None = None
    ) -> tuple[Message, list[Message]]:
        """Message `message_id` of `room` and a page of its replies (the newest, or the newest
        before `before_seq`), oldest first, for `session_id`'s person."""
        original, replies = await self.replying.thread(
            room, message_id, self._person_of(session_id), before_seq
        )
        return original, self._with_live_text(await self.reacting.attach(replies))

    async def reply_counts(
        self, room: str, message_ids: list[str], session_id: str
    ) -> dict[str, int]:
        """The counts of replies of `room`'s messages `message_ids` now (a tab catching up)."""
        return await self.replying.counts(room, message_ids, self._person_of(session_id))

    async def find_message(self, room: str, message_id: str, session_id: str) -> Message:
        """Message `message_id` of `room` for `session_id`'s person (a reply's original, to jump
        to); Rejected when they may not read it or it is not in the room."""
        return await self.replying.readable(room, message_id, self._person_of(session_id))

    async def post_integration(
        self, room: str, name: str, hook_id: str, raw_text: str
    ) -> Message | None:
        """Store and publish a message from webhook `hook_id` (integration `name`); None if blank.

        The caller checked the name (chat.webhooks) and limits the webhook's rate.
        """
        text = clean_message(raw_text, max_chars=self.settings.max_message_chars)
        if text is None:
            return None
        meta = MessageMeta(node=self.node, webhook=hook_id)
        return await self._post(Draft(room, name, text, kind=MessageKind.INTEGRATION, meta=meta))

    async def post_system(self, room: str, text: str) -> Message:
        """A system line in `room` (joined, left, notices)."""
        return await self._post(Draft(room, "system", text, kind=MessageKind.SYSTEM))

    async def _announce(self, room: str, text: str) -> None:
        # Joining and leaving still work while the database is down; only the line is lost.
        try:
            await self.post_system(room, text)
        except StoreUnavailable as exc:
            log.warning("could not store %r: %s", text, exc)

    async def begin_reply(
        self,
        room: str,
        author: str,
        claim: str,
        in_thread: str | None = None,
        meta: MessageMeta = NO_META,
    ) -> Message:
        """Open a streaming bot message in `room`; `claim` makes it one per claim across processes.

        `in_thread`: the id of the message of `room` whose thread it answers in (a reply to it);
        `meta`: who asked and what (this process is set as its node).
        """
        draft = Draft(
            room,
            author,
            "",
            kind=MessageKind.BOT,
            status=MessageStatus.STREAMING,
            client_id=claim,
            meta=meta.merged(MessageMeta(node=self.node)),
            reply_to=in_thread,
        )
        reply = await self._post(draft)
        if in_thread is not None:
            await self.replying.counted(room, in_thread)
        return reply

    async def stream_reply(self, message: Message, text: str) -> Message:
        """Show `text` as the reply so far, everywhere, without storing it."""
        updated = message.with_text(text)
        await self._publish(MessageChanged(updated))
        return updated

    async def checkpoint_reply(self, message: Message, text: str) -> bool:
        """Save the reply's text so far, still streaming, so a crash cannot lose it all."""
        return await self.store.checkpoint_message(message.id, text)

    async def finish_reply(
        self, message: Message, text: str, status: MessageStatus, meta: MessageMeta = NO_META
    ) -> Message:
        """Store the reply's final text and status (and the fields `meta` sets), then show it."""
        final = await self.store.update_message(message.id, text, status, message.meta.merged(meta))
        await self._publish(MessageChanged(final))
        return final

    async def settle_orphans(self) -> list[Message]:
        """End replies still "writing…" whose process is gone (it crashed mid-reply)."""
        live = self.presence.live_nodes()
        settled = []
        for message in await self.store.unfinished_messages():
            if message.meta.node not in live:
                error = "The server writing this stopped unexpectedly."
                settled.append(
                    await self.finish_reply(
                        message, message.text, MessageStatus.INTERRUPTED, MessageMeta(error=error)
                    )
                )
        return settled

    def may_stop(self, reply: Message, person_id: str | None, moderator: bool = False) -> bool:
        """True when person `person_id` may stop `reply` (who asked for it, or a moderator)."""
        return may_stop_reply(reply, person_id, moderator)

    async def request_stop(self, room: str, message_id: str, session_id: str) -> None:
        """Ask whichever process writes reply `message_id` in `room` to stop it, for `session_id`.

        Who asks is the person the session joined `room` as here, never what
        a client says; Rejected unless that person may stop the reply.
        """
        person = self.presence.name_of(room, session_id)
        person_id = self._visitor(session_id).person_id if person is not None else None
        await self.directory.check(room, self._person_of(session_id))
        reply = self.relay.live_replies().get(message_id) or await self.store.get_message(
            message_id
        )
        if reply is None or reply.room != room or reply.status.is_final:
            return  # finished meanwhile: nothing to stop
        moderator = await self.moderation.may_moderate(room, person_id)
        if person is None or not may_stop_reply(reply, person_id, moderator):
            asker = reply.meta.asked_by
            log.warning("refused %r's stop of reply %s, asked by %r", person, message_id, asker)
            raise Rejected(
                f"Only {asker}, who asked, can stop this reply."
                if asker
                else "You cannot stop this reply."
            )
        await self._publish(StopRequested(room, message_id, person, person_id, moderator))

    async def react(self, room: str, message_id: str, session_id: str, emoji: str) -> Reactions:
        """Toggle `emoji` on message `message_id` of `room` for the person `session_id` joined as.

        Who reacts is never what a client says; Rejected as Reacting.toggle says.
        """
        return await self.reacting.toggle(room, message_id, self._person_of(session_id), emoji)

    async def _post(self, draft: Draft) -> Message:
        # Holding the lock from commit to publish keeps this process's events in seq order.
        async with self._post_lock:
            message = await self.store.add_message(draft)
            metrics.message_posted(message.kind.value)
            await self._publish(MessagePosted(message))
        return message

    async def request_catch_up(
        self, room: str, session_id: str, handle: str, after_seq: int
    ) -> CatchUpRequested:
        """Ask bot `handle` to catch this session's person up on `room` after `after_seq`.

        Who asks is the session's person, never what a client says; the answer is shown in
        their tabs only (CatchUpShown), and neither is stored.
        """
        person_id = self._person_of(session_id)
        if person_id is None:
            raise Rejected("Join the room first.")
        await self.directory.check(room, person_id)
        arrived = self._visitor(session_id).arrived_in
        name = arrived[1] if arrived is not None else ""
        request = CatchUpRequested(
            room, person_id, name, handle, max(after_seq, 0), self.node, secrets.token_hex(8)
        )
        await self._publish(request)
        return request

    async def show_catch_up(self, shown: CatchUpShown) -> None:
        """Show a catch-up (or how far it is) in its person's tabs, on every process."""
        await self._publish(shown)

    async def publish_read(self, read: ReadMoved) -> None:
        """Tell every process a person's read position moved (it is saved already)."""
        await self._publish(read)

    async def _publish(self, event: BusEvent) -> None:
        if isinstance(event, MessageChanged) and event.message.is_deleted:
            event = MessageChanged(await self._without_files(event.message))
        try:
            await self.bus.publish(event)
        except BusUnavailable as exc:
            # Committed already: local sessions have it and other processes catch up from the store.
            log.warning("bus unavailable, other processes will catch up from the store: %s", exc)

    async def _without_files(self, tombstone: Message) -> Message:
        """A deleted message's files go with it, thumbnails too: its id reads them for no one."""
        files = list(tombstone.meta.attachments)
        if not files or self.files is None:
            return tombstone
        meta = replace(tombstone.meta, attachments=())
        try:
            await self.files.forget(files)
            return await self.store.update_message(tombstone.id, "", tombstone.status, meta)
        except StoreUnavailable as exc:
            log.warning("the files of deleted message %s were not removed: %s", tombstone.id, exc)
            return tombstone

    async def _publish_presence(self, room: str, local_announce: bool = True) -> None:
        if local_announce:
            self.relay.announce_presence({room})
        await self._publish(self.presence.snapshot(room))

    # ---- reading

    async def history(
        self, room: str, before_seq: int | None = None, *, session_id: str | None = None
    ) -> list[Message]:
        """A page of `room`'s messages before `before_seq` (default: the newest), oldest first.

        For a tab's `session_id`, whose person must be a member of a private room (NotAMember);
        None reads for this process itself (the bot, the shared rendering).
        """
        if session_id is not None:
            await self.directory.check(room, self._person_of(session_id))
        page = await self.store.history(room, before_seq, self.settings.history_page)
        return self._with_live_text(await self.replying.attach(await self.reacting.attach(page)))

    async def history_after(
        self, room: str, after_seq: int, limit: int | None = None, *, session_id: str | None = None
    ) -> list[Message]:
        """Up to `limit` of `room`'s messages after `after_seq` (default: what a reconnecting
        page may have missed), oldest first; `session_id` as for history."""
        if session_id is not None:
            await self.directory.check(room, self._person_of(session_id))
        limit = 10 * self.settings.history_page if limit is None else limit
        page = await self.store.history_after(room, after_seq, limit)
        return self._with_live_text(await self.replying.attach(await self.reacting.attach(page)))

    def _with_live_text(self, messages: list[Message]) -> list[Message]:
        live = self.relay.live_replies()
        return [
            replace(live[m.id], reactions=m.reactions, reply_count=m.reply_count)
            if not m.status.is_final and m.id in live
            else m
            for m in messages
        ]

    async def health(self) -> Health:
        """Whether the store and the bus answer."""
        return Health(store=await _probe(self.store.ping), bus=await _probe(self.bus.ping))

    async def stats(self) -> dict[str, int]:
        """Numbers for /api/stats."""
        return {
            "online": len(
                {n for room in (*self.presence.rooms(), EVERY_ROOM) for n in self.online(room)}
            ),
            "sessions": len(self._connections),
            "messages": await self.store.count_messages(),
        }


async def _probe(ping) -> str:
    try:
        await asyncio.wait_for(ping(), timeout=2.0)
    except (StoreUnavailable, BusUnavailable, TimeoutError, OSError) as exc:
        return f"down: {exc}" if str(exc) else "down"
    return "ok"
