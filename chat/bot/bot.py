"""The bot: a room participant that answers @mentions by streaming a reply."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC

from chat import metrics
from chat.asker_zone import asker_zone
from chat.bot.answer_stream import AnswerStream
from chat.bot.asking import AskingRate
from chat.bot.budget import DailyBudget, refusal, usage_text
from chat.bot.catch_up_desk import CatchUpDesk
from chat.bot.catching_up import CatchingUp, asks_to_catch_up, summary_span
from chat.bot.commands import draw_picture, help_text
from chat.bot.context import asks_for_help, asks_for_usage, build_context, imagine_prompt
from chat.bot.gate import WakeGate
from chat.bot.images import ImageStore
from chat.bot.provider import Brain, BrainError
from chat.bot.roster import BotSpec
from chat.bot.slots import Place, ReplySlots
from chat.bot.vision import recent_pictures
from chat.bot.writer import ReplyWriter
from chat.config import Settings
from chat.domain import (
    CatchUpRequested,
    Message,
    MessageChanged,
    MessageKind,
    MessagePosted,
    MessageStatus,
    RegenerateRequested,
    RoomEvent,
    StopRequested,
    utc_now,
)
from chat.events import EventRoutes
from chat.message_meta import MessageMeta
from chat.permissions import may_stop_reply
from chat.service import ChatService
from chat.store.base import StoreUnavailable

log = logging.getLogger(__name__)

SHUTDOWN_ERROR = "The server stopped while writing this."
BUG_ERROR = "Something went wrong on our side while writing this."


class Bot:
    """Subscribes to the room, answers mentions one reply each, within its limits."""

    def __init__(
        self,
        service: ChatService,
        brain: Brain,
        images: ImageStore,
        settings: Settings,
        spec: BotSpec | None = None,
    ):
        """`settings` as this bot sees them (chat.bot.bot_settings), `spec` its entry in the roster."""
        self.service = service
        self.brain = brain
        self.images = images
        self.settings = settings
        self.spec = spec or settings.default_bot()
        self.handle = self.spec.handle
        self.session_id = f"bot-{self.handle}-{service.node}"
        self.gate = WakeGate(self.spec, service.directory, service.store)
        self.company: tuple[Bot, ...] = (self,)
        """Every bot of this process, for /help (set by whoever builds them)."""
        self.secrets: tuple[str, ...] = (settings.openai_api_key, settings.api_token)
        """Never shown nor stored in a reply: every bot's key, and the API token."""
        self.budget = DailyBudget(self.spec.person_daily_tokens, self.spec.room_daily_tokens)
        """Tokens spent today on this bot, per person and per room (this process's count)."""
        self.catching_up = CatchingUp(
            brain, service.store, self.budget, self.handle, settings.bot_context_tokens
        )
        """/catchup (for the asker alone) and /summarize (for the room)."""
        self._slots: dict[str, ReplySlots] = {}  # room -> its line of replies
        self._asking = AskingRate(self.handle, settings.bot_mentions_per_minute)
        self.catch_up_desk = CatchUpDesk(
            self.handle, service, self.gate, self._asking, self.catching_up
        )
        """Takes catch-up requests from tabs and from the room."""
        self._replies: dict[str, asyncio.Task] = {}
        self._reply_messages: dict[str, Message] = {}
        self._stopped_by: dict[str, str] = {}
        self._tasks: set[asyncio.Task] = set()
        self._routes = EventRoutes[None](
            {
                MessagePosted: self._on_posted,
                MessageChanged: self._on_changed,
                StopRequested: self._on_stop,
                RegenerateRequested: self._on_regenerate,
                CatchUpRequested: self._on_catch_up,
            }
        )

    async def start(self, subscribe) -> None:
        """Subscribe with `subscribe(session_id, handler)` and appear online where it sits."""
        subscribe(self.session_id, self.on_event)
        await self.service.enter_as_bot(self.session_id, self.handle, self.spec.rooms)

    def _spawn(self, coroutine, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def on_event(self, event: RoomEvent) -> None:
        """Pubsub handler: every room event passes here."""
        self._routes(event)

    def _on_posted(self, event: MessagePosted) -> None:
        message = event.message
        if (
            message.kind is not MessageKind.CHAT  # never itself, another bot, or a system line
            or message.meta.node != self.service.node  # the sender's process answers
        ):
            return
        self._spawn(self._consider(message), f"bot-{self.handle}-{message.id}")

    def _on_changed(self, event: MessageChanged) -> None:
        reply = event.message
        if (
            not self.spec.answers_bots
            or reply.kind is not MessageKind.BOT
            or reply.status is not MessageStatus.DONE
            or reply.meta.node != self.service.node  # the writer's process answers
        ):
            return  # finish_reply publishes a DONE reply once: it is considered once
        self._spawn(self._consider(reply), f"bot-{self.handle}-{reply.id}")

    async def _consider(self, message: Message) -> None:
        """Answer `message` if it wakes this bot; tell a person who may not wake it why."""
        try:
            wake = await self.gate.wakes(message)
        except StoreUnavailable as exc:
            log.warning("could not tell whether %s asks @%s: %s", message.id, self.handle, exc)
            return
        if wake.answer:
            await self._answer(message)
        elif wake.refusal and await self._within_limit(message):
            await self._notice(message.room, wake.refusal)

    def _on_catch_up(self, event: CatchUpRequested) -> None:
        if event.handle != self.handle or event.node != self.service.node:
            return  # for another bot, or for this bot on the asking tab's process
        name = f"bot-{self.handle}-catchup-{event.request_id}"
        self._spawn(self.catch_up_desk.asked(event), name)

    def _on_stop(self, event: StopRequested) -> None:
        task = self._replies.get(event.message_id)
        if task is None or task.done() or event.message_id in self._stopped_by:
            return  # written by another process, already over, or already stopping
        reply = self._reply_messages[event.message_id]
        if not may_stop_reply(reply, event.by_id, event.by_moderator):
            # The service refuses these; one on the bus was not sent by it.
            log.warning(
                "ignored a stop of reply %s by %r, who did not ask", event.message_id, event.by
            )
            return
        self._stopped_by[event.message_id] = event.by
        task.cancel()

    def _on_regenerate(self, event: RegenerateRequested) -> None:
        self._spawn(self._regenerate(event), f"bot-{self.handle}-again-{event.message_id}")

    async def _regenerate(self, event: RegenerateRequested) -> None:
        """Write reply `event.message_id` again, in place (the service reopened it, empty)."""
        try:
            reply = await self.service.store.get_message(event.message_id)
            if (
                reply is None
                or reply.kind is not MessageKind.BOT
                or reply.author != self.handle
                or reply.meta.node != self.service.node  # the reopening process writes it
                or reply.status.is_final
                or reply.id in self._replies
            ):
                return
            asked = reply.meta.answers
            mention = await self.service.store.get_message(asked) if asked else None
            if mention is None or mention.is_deleted:
                error = "The question was deleted: there is nothing to answer again."
                await self.service.finish_reply(
                    reply, "", MessageStatus.FAILED, MessageMeta(error=error)
                )
                return
            spent = refusal(
                self.budget.left(_asker(mention), mention.room), mention.author, self.handle
            )
            if spent is not None:
                await self.service.finish_reply(
                    reply, "", MessageStatus.FAILED, MessageMeta(error=spent)
                )
                return
        except StoreUnavailable as exc:
            log.warning("could not write reply %s again: %s", event.message_id, exc)
            return
        place = self._room_slots(reply.room).claim()
        try:
            await self._reply(mention, reply, place)
        except StoreUnavailable as exc:
            log.warning("could not store the bot's reply %s again: %s", reply.id, exc)
        finally:
            place.release()

    async def _answer(self, mention: Message) -> None:
        room = mention.room
        if not await self._within_limit(mention):
            return
        if asks_to_catch_up(mention.text, self.handle):
            await self.catch_up_desk.asked_in_room(mention)  # shown to the asker alone
            return
        if not asks_for_help(mention.text, self.handle) and not asks_for_usage(
            mention.text, self.handle
        ):
            left = self.budget.left(_asker(mention), room)
            spent = refusal(left, mention.author, self.handle)
            if spent is not None:
                metrics.bot_budget_refused(self.handle, "person" if left.person == 0 else "room")
                await self._notice(room, spent)
                return
        place = self._room_slots(room).claim()  # decided now, so the places in line are exact
        try:
            if place.number:
                await self._notice(
                    room,
                    f"{mention.author}, @{self.handle} is busy with other answers; "
                    f"you are number {place.number} in line.",
                )
            # The reply shows at once (with Stop, for the asker) even while it waits for its turn.
            reply = await self.service.begin_reply(
                room,
                self.handle,
                claim=f"reply:{self.handle}:{mention.id}",  # each bot answers once
                # A question asked in a thread is answered in that thread.
                in_thread=mention.reply_to,
                meta=MessageMeta(
                    answers=mention.id,
                    asked_by=mention.author,
                    asked_by_id=_person_behind(mention),
                    bot_name=self.spec.display_name,
                ),
            )
            if reply.meta.node != self.service.node or reply.status.is_final:
                return  # another process (or an earlier attempt) has this one
            await self._reply(mention, reply, place)
        except StoreUnavailable as exc:
            log.warning("could not store the bot's reply to %s: %s", mention.id, exc)
        finally:
            place.release()

    def _room_slots(self, room: str) -> ReplySlots:
        """Each room has its own line: a busy room does not hold up another's answers."""
        slots = self._slots.get(room)
        if slots is None:
            slots = self._slots[room] = ReplySlots(self.settings.bot_max_concurrent)
        return slots

    async def _within_limit(self, mention: Message) -> bool:
        """Spend one of the asker's mentions in their room; if none is left, say so once per wait."""
        notice = self._asking.take(f"{mention.room}\n{_asker(mention)}", mention.author)
        if notice is None:
            return True
        metrics.bot_reply_ended("rate_limited")
        if notice:
            await self._notice(mention.room, notice)
        return False

    async def _reply(self, mention: Message, reply: Message, place: Place) -> None:
        settings = self.settings
        writer = ReplyWriter(
            self.service,
            reply,
            settings.bot_updates_per_second,
            max_chars=settings.bot_max_reply_chars,
            secrets=self.secrets,
            checkpoint_every=settings.bot_checkpoint_seconds,
        )
        this_task = asyncio.current_task()
        assert this_task is not None  # a coroutine run by _spawn, always in a task
        self._replies[reply.id] = this_task
        self._reply_messages[reply.id] = reply
        try:
            if place.number:
                await writer.note(f"Waiting for my turn: number {place.number} in line…")
                await place.wait()
                await writer.note("")
            prompt = imagine_prompt(mention.text, self.handle)
            zone = asker_zone(mention) or UTC  # a time of day is the asker's
            span = summary_span(mention.text, self.handle, utc_now(), zone)
            if asks_for_help(mention.text, self.handle):
                await writer.finish(MessageStatus.DONE, text=self.help_text())
            elif asks_for_usage(mention.text, self.handle):
                left = self.budget.left(_asker(mention), mention.room)
                text = usage_text(left, mention.author, self.handle)
                await writer.finish(MessageStatus.DONE, text=text)
            elif prompt is not None:
                await self._draw(writer, prompt)
            elif span is not None:
                await self.catching_up.summarize(writer, mention, span, _asker(mention))
            else:
                await self._write(writer, mention)
        except asyncio.CancelledError:
            by = self._stopped_by.get(reply.id)
            if by is None:  # cancelled by shutdown, not by a person
                await writer.finish(
                    self._ended_status(writer), meta=MessageMeta(error=SHUTDOWN_ERROR)
                )
                raise
            this_task.uncancel()
            await writer.finish(MessageStatus.STOPPED, meta=MessageMeta(stopped_by=by))
        except BrainError as exc:
            await writer.finish(self._ended_status(writer), meta=MessageMeta(error=str(exc)))
        except StoreUnavailable:
            raise  # the store is down: nothing more can be saved, and _answer says so
        except Exception:
            # A bug, not an upstream fault: log it whole, and never leave the reply "writing…".
            log.exception("the reply to %s failed", mention.id)
            await writer.finish(self._ended_status(writer), meta=MessageMeta(error=BUG_ERROR))
        finally:
            # Not left retrying when the reply ended without its final save (the store is down).
            await writer.stop_checkpoints()
            self._replies.pop(reply.id, None)
            self._reply_messages.pop(reply.id, None)
            self._stopped_by.pop(reply.id, None)

    async def _pictures(self, recent: list[Message]) -> dict[str, str]:
        """The room's newest pictures for a bot with vision (none for one without)."""
        files = self.service.files
        if not self.spec.vision or files is None or self.settings.bot_vision_images == 0:
            return {}
        return await recent_pictures(
            recent,
            files.blobs,
            most=self.settings.bot_vision_images,
            max_bytes=self.settings.bot_vision_bytes,
        )

    @staticmethod
    def _ended_status(writer: ReplyWriter) -> MessageStatus:
        """INTERRUPTED when part of an answer is shown, FAILED when there is none."""
        return MessageStatus.INTERRUPTED if writer.text else MessageStatus.FAILED

    async def _write(self, writer: ReplyWriter, mention: Message) -> None:
        # The page that ends with the mention, even if newer messages came while it waited in line.
        recent = await self.service.history(mention.room, before_seq=mention.seq + 1)
        turns = build_context(
            self.settings.bot_system_prompt,
            self.handle,
            recent,
            max_messages=self.settings.bot_context_messages,
            max_tokens=self.settings.bot_context_tokens,
            pictures=await self._pictures(recent[-self.settings.bot_context_messages :]),
        )
        answer = AnswerStream(self.brain, writer, show_reasoning=self.spec.show_reasoning)
        try:
            await answer.run(turns)
        finally:  # tokens a failed or stopped answer used are spent too
            prompt, completion = answer.tokens(turns)
            metrics.bot_tokens(self.handle, prompt, completion)
            self.budget.spend(_asker(mention), mention.room, prompt + completion)
        if writer.cut:
            limit = self.settings.bot_max_reply_chars
            await writer.finish(
                MessageStatus.INTERRUPTED,
                meta=MessageMeta(
                    error=f"Cut here: a reply may be at most {limit:,} characters long."
                ),
            )
        else:
            await writer.finish(MessageStatus.DONE)

    async def _draw(self, writer: ReplyWriter, prompt: str) -> None:
        await draw_picture(writer, self.brain, self.images, self.settings, prompt)

    def help_text(self) -> str:
        """Who the bot is, which brain answers, what it can be asked, and the other bots here."""
        others = [(b.handle, b.spec.display_name, b.brain.description) for b in self.company]
        me = (self.handle, self.spec.display_name, self.brain.description)
        return help_text(me, [other for other in others if other != me])

    async def _notice(self, room: str, text: str) -> None:
        await self.service.post_system(room, text)

    async def close(self, deadline: float) -> None:
        """Let replies in flight finish for up to `deadline` seconds, then interrupt them."""
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=deadline)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)


def _person_behind(mention: Message) -> str | None:
    """Who asked: the author, or for another bot's reply the person who asked that bot."""
    return mention.author_id or mention.meta.asked_by_id


def _asker(mention: Message) -> str:
    """The person, whatever name they write under now; a message from no person by its name."""
    person = _person_behind(mention)
    return f"person:{person}" if person else f"name:{mention.author.casefold()}"
