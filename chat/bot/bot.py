"""The bot: a room participant that answers @mentions by streaming a reply."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from contextlib import aclosing

from chat.bot.context import asks_for_help, build_context, imagine_prompt, mentions
from chat.bot.images import ImageStore
from chat.bot.provider import Brain, BrainError
from chat.bot.slots import Place, ReplySlots
from chat.bot.writer import ReplyWriter
from chat.config import Settings
from chat.domain import (
    Message,
    MessageKind,
    MessagePosted,
    MessageStatus,
    RoomEvent,
    StopRequested,
)
from chat.limits import BucketsByKey
from chat.service import ChatService
from chat.store.base import StoreUnavailable

log = logging.getLogger(__name__)

SHUTDOWN_ERROR = "The server stopped while writing this."
BUG_ERROR = "Something went wrong on our side while writing this."


class Bot:
    """Subscribes to the room, answers mentions one reply each, within its limits."""

    def __init__(self, service: ChatService, brain: Brain, images: ImageStore, settings: Settings):
        self.service = service
        self.brain = brain
        self.images = images
        self.settings = settings
        self.handle = settings.bot_name
        self.session_id = f"bot-{service.node}"
        self._slots = ReplySlots(settings.bot_max_concurrent)
        per_minute = settings.bot_mentions_per_minute
        self._mention_rate = BucketsByKey(rate=per_minute / 60, burst=per_minute)
        self._told_until: dict[str, float] = {}
        self._replies: dict[str, asyncio.Task] = {}
        self._stopped_by: dict[str, str] = {}
        self._tasks: set[asyncio.Task] = set()
        self._orphan_watch: asyncio.Task | None = None
        self._handlers = {MessagePosted: self._on_posted, StopRequested: self._on_stop}

    async def start(self, subscribe) -> None:
        """Subscribe with `subscribe(session_id, handler)`, appear online, watch for orphans."""
        subscribe(self.session_id, self.on_event)
        await self.service.enter_as_bot(self.session_id)
        self._orphan_watch = asyncio.create_task(self._settle_orphans(), name="bot-orphans")

    async def _settle_orphans(self) -> None:
        # Wait for every live process to report in once, so only dead ones' replies are ended.
        ttl = self.settings.presence_ttl
        while True:
            await asyncio.sleep(1.5 * ttl)
            try:
                await self.service.settle_orphans()
            except StoreUnavailable as exc:
                log.warning("could not check for replies left behind: %s", exc)
            await asyncio.sleep(0.5 * ttl)

    def _spawn(self, coroutine, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def on_event(self, event: RoomEvent) -> None:
        """Pubsub handler: every room event passes here."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _on_posted(self, event: MessagePosted) -> None:
        message = event.message
        if (
            message.kind is not MessageKind.CHAT  # never itself, another bot, or a system line
            or message.meta.get("node") != self.service.node  # the sender's process answers
            or not mentions(message.text, self.handle)
        ):
            return
        self._spawn(self._answer(message), f"bot-answer-{message.id}")

    def _on_stop(self, event: StopRequested) -> None:
        task = self._replies.get(event.message_id)
        if task is None or task.done() or event.message_id in self._stopped_by:
            return  # written by another process, already over, or already stopping
        self._stopped_by[event.message_id] = event.by
        task.cancel()

    async def _answer(self, mention: Message) -> None:
        if not await self._within_limit(mention.author):
            return
        place = self._slots.claim()  # decided now, so the places in line are exact
        try:
            if place.number:
                await self._notice(
                    f"{mention.author}, @{self.handle} is busy with other answers; "
                    f"you are number {place.number} in line."
                )
            # The reply shows at once (with Stop) even while it waits for its turn.
            reply = await self.service.begin_reply(
                self.handle, claim=f"reply:{mention.id}", reply_to=mention.id
            )
            if reply.meta.get("node") != self.service.node or reply.status.is_final:
                return  # another process (or an earlier attempt) has this one
            await self._reply(mention, reply, place)
        except StoreUnavailable as exc:
            log.warning("could not store the bot's reply to %s: %s", mention.id, exc)
        finally:
            place.release()

    async def _within_limit(self, author: str) -> bool:
        """Spend one of `author`'s mentions; if none is left, say so once per wait."""
        key = author.casefold()
        wait = self._mention_rate.take(key)
        if wait <= 0:
            return True
        now = time.monotonic()
        if self._told_until.get(key, 0.0) <= now:
            self._told_until = {k: t for k, t in self._told_until.items() if t > now}
            self._told_until[key] = now + wait
            await self._notice(self._limit_notice(author, wait))
        return False

    def _limit_notice(self, author: str, wait: float) -> str:
        per_minute = self.settings.bot_mentions_per_minute
        if per_minute <= 0 or math.isinf(wait):
            return f"{author}, @{self.handle} is not taking questions here."
        times = "once" if per_minute == 1 else f"{per_minute} times"
        return (
            f"{author}, you can ask @{self.handle} {times} a minute; "
            f"try again in {math.ceil(wait)} s."
        )

    async def _reply(self, mention: Message, reply: Message, place: Place) -> None:
        writer = ReplyWriter(self.service, reply, self.settings.bot_updates_per_second)
        self._replies[reply.id] = asyncio.current_task()
        try:
            if place.number:
                await writer.note(f"Waiting for my turn: number {place.number} in line…")
                await place.wait()
                await writer.note("")
            prompt = imagine_prompt(mention.text, self.handle)
            if asks_for_help(mention.text, self.handle):
                await writer.finish(MessageStatus.DONE, text=self.help_text())
            elif prompt is not None:
                await self._draw(writer, prompt)
            else:
                await self._write(writer, mention)
        except asyncio.CancelledError:
            by = self._stopped_by.get(reply.id)
            if by is None:  # cancelled by shutdown, not by a person
                await writer.finish(self._ended_status(writer), error=SHUTDOWN_ERROR)
                raise
            asyncio.current_task().uncancel()
            await writer.finish(MessageStatus.STOPPED, stopped_by=by)
        except BrainError as exc:
            await writer.finish(self._ended_status(writer), error=str(exc))
        except StoreUnavailable:
            raise  # the store is down: nothing more can be saved, and _answer says so
        except Exception:
            # A bug, not an upstream fault: log it whole, and never leave the reply "writing…".
            log.exception("the reply to %s failed", mention.id)
            await writer.finish(self._ended_status(writer), error=BUG_ERROR)
        finally:
            self._replies.pop(reply.id, None)
            self._stopped_by.pop(reply.id, None)

    @staticmethod
    def _ended_status(writer: ReplyWriter) -> MessageStatus:
        """INTERRUPTED when part of an answer is shown, FAILED when there is none."""
        return MessageStatus.INTERRUPTED if writer.text else MessageStatus.FAILED

    async def _write(self, writer: ReplyWriter, mention: Message) -> None:
        # The page that ends with the mention, even if newer messages came while it waited in line.
        recent = await self.service.history(before_seq=mention.seq + 1)
        turns = build_context(
            self.settings.bot_system_prompt,
            self.handle,
            recent,
            max_messages=self.settings.bot_context_messages,
            max_tokens=self.settings.bot_context_tokens,
        )
        # aclosing: on Stop the model's stream is closed now, not when it is garbage collected.
        async with aclosing(self.brain.stream(turns)) as chunks:
            async for chunk in chunks:
                await writer.add(chunk)
        await writer.finish(MessageStatus.DONE)

    async def _draw(self, writer: ReplyWriter, prompt: str) -> None:
        if not prompt:
            raise BrainError(f"Tell me what to draw: @{self.handle} /imagine a lighthouse at dusk")
        await writer.note(f"Drawing *{prompt}*…")
        png = await self.brain.imagine(prompt)
        try:
            url = self.images.save(png)
        except (OSError, ValueError) as exc:
            raise BrainError(f"The picture could not be saved ({exc}).") from exc
        await writer.finish(MessageStatus.DONE, text=f"*{prompt}*", image=url)

    def help_text(self) -> str:
        """Who the bot is, which brain answers, and what it can be asked."""
        handle = self.handle
        return (
            f"I'm **{self.settings.bot_display_name}**, answering with the {self.brain.description}.\n\n"
            f"- `@{handle} <question>`: I answer here, for everyone, as I write.\n"
            f"- `@{handle} /imagine <prompt>`: I draw a picture (needs an OpenAI-compatible server).\n"
            f"- `@{handle} /help`: this note."
        )

    async def _notice(self, text: str) -> None:
        await self.service.post_system(text)

    async def close(self, deadline: float) -> None:
        """Let replies in flight finish for up to `deadline` seconds, then interrupt them."""
        if self._orphan_watch is not None:
            self._orphan_watch.cancel()
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=deadline)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
