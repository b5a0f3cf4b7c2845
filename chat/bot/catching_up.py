"""`@bot /catchup` (shown to the asker alone) and `@bot /summarize [last N | since TIME]`
(posted to the room): which messages they cover, and how they are written and shown."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from chat import metrics
from chat.bot.budget import DailyBudget, refusal
from chat.bot.context import strip_mention
from chat.bot.provider import Brain, BrainError
from chat.bot.summarising import Summariser
from chat.bot.summary import Summary
from chat.bot.writer import ReplyWriter
from chat.domain import CatchUpRequested, CatchUpShown, Message, MessageStatus
from chat.store.base import Store

CATCH_UP_COMMAND = "/catchup"
SUMMARIZE_COMMANDS = ("/summarize", "/summarise")
DEFAULT_LAST = 50
"""Messages /summarize covers when not told, and a catch-up with nothing missed."""
MAX_SPAN = 2000
"""Most messages one summary reads (the newest of a longer span)."""
PAGE = 500
UP_TO_DATE = "You have read everything here; the latest in brief:"
SUMMARIZE_USAGE = "Try `@{handle} /summarize`, `/summarize last 100` or `/summarize since 2h`."

Show = Callable[[CatchUpShown], Awaitable[None]]


def asks_to_catch_up(text: str, handle: str) -> bool:
    """True for `@bot /catchup`."""
    words = strip_mention(text, handle).lower().split()
    return bool(words) and words[0] == CATCH_UP_COMMAND


@dataclass(frozen=True, slots=True)
class Span:
    """Which messages /summarize covers: the last `last`, or those since `since`."""

    last: int = DEFAULT_LAST
    since: datetime | None = None


def summary_span(text: str, handle: str, now: datetime, zone: tzinfo = UTC) -> Span | None:
    """The span of `@bot /summarize [last N | since TIME]`; None for another message.

    TIME is a duration back from now (`30m`, `2h`, `1d`), a time of day (`14:05`, the last
    one passed) or an ISO date and time, both read in the asker's `zone` unless the ISO
    time names its own. BrainError says how to ask when it is neither.
    """
    words = strip_mention(text, handle).split()
    if not words or words[0].lower() not in SUMMARIZE_COMMANDS:
        return None
    rest = words[1:]
    if not rest:
        return Span()
    how, value = rest[0].lower(), " ".join(rest[1:])
    if how == "last" and value.isdigit() and int(value) > 0:
        return Span(last=min(int(value), MAX_SPAN))
    if how == "since" and (since := parse_since(value, now, zone)) is not None:
        return Span(last=MAX_SPAN, since=since)
    raise BrainError("I did not understand that span. " + SUMMARIZE_USAGE.format(handle=handle))


_DURATION = re.compile(r"^(\d{1,4})\s*(m|min|h|d)$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str, now: datetime, zone: tzinfo = UTC) -> datetime | None:
    """The moment `value` names (see summary_span), or None."""
    value = value.strip()
    if match := _DURATION.match(value):
        return now - timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if match := _CLOCK.match(value):
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            return None
        moment = now.astimezone(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
        return moment - timedelta(days=1) if moment > now else moment
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


async def span_messages(
    store: Store, room: str, span: Span, before_seq: int | None
) -> list[Message]:
    """The messages of `span` before `before_seq` (None: up to the newest), oldest first."""
    found: list[Message] = []
    before = before_seq
    while len(found) < span.last:
        page = await store.history(room, before, min(PAGE, span.last - len(found)))
        if span.since is not None:
            page = [m for m in page if m.created_at >= span.since]
        found[:0] = page
        if not page or page[0].seq <= 1 or (span.since and page[0].created_at < span.since):
            break
        before = page[0].seq
    return found[-span.last :]


async def missed_messages(store: Store, room: str, after_seq: int) -> list[Message]:
    """What came after `after_seq` (the newest MAX_SPAN of it), oldest first."""
    found: list[Message] = []
    while True:
        page = await store.history_after(room, after_seq, PAGE)
        found.extend(page)
        if len(page) < PAGE:
            return found[-MAX_SPAN:]
        after_seq = page[-1].seq


def posted_text(summary: Summary) -> str:
    """A summary as a room message: each [n] becomes the name of who said it."""
    text = summary.text
    for citation in summary.citations:
        text = text.replace(f"[{citation.number}]", f" ({citation.author})")
    return re.sub(r" {2,}", " ", text).replace(" )", ")")


class CatchingUp:
    """One bot's catch-ups and room summaries, counted against its daily budgets."""

    def __init__(self, brain: Brain, store: Store, budget: DailyBudget, handle: str, tokens: int):
        """`tokens`: the bot's context budget, per call to its brain."""
        self.brain, self.store, self.budget = brain, store, budget
        self.handle, self.context_tokens = handle, tokens

    async def catch_up(self, request: CatchUpRequested, show: Show) -> None:
        """Summarise what `request`'s person missed, shown (with progress) to them alone."""

        def shown(**fields) -> CatchUpShown:
            return CatchUpShown(
                request.room, request.person_id, request.request_id, self.handle, **fields
            )

        asker = f"person:{request.person_id}"
        spent = refusal(self.budget.left(asker, request.room), request.name, self.handle)
        if spent is not None:
            await show(shown(done=True, error=spent))
            return
        await show(shown(progress="Reading what you missed…"))
        lead = ""
        missed = await missed_messages(self.store, request.room, request.after_seq)
        # What they wrote themselves they did not miss.
        messages = [m for m in missed if m.author_id != request.person_id]
        if not messages:
            lead = UP_TO_DATE + "\n\n"
            messages = await span_messages(self.store, request.room, Span(), before_seq=None)
        try:
            summary = await self._summarise(
                messages, asker, request.room, lambda text: show(shown(progress=text))
            )
        except BrainError as exc:
            await show(shown(done=True, error=str(exc)))
            return
        await show(shown(done=True, text=lead + summary.text, citations=summary.citations))

    async def summarize(
        self, writer: ReplyWriter, mention: Message, span: Span, asker: str
    ) -> None:
        """Post a summary of `span` (before `mention`) as the bot's reply to it, spent by `asker`."""
        messages = await span_messages(self.store, mention.room, span, mention.seq)
        summary = await self._summarise(messages, asker, mention.room, writer.note)
        await writer.note("")
        await writer.finish(MessageStatus.DONE, text=posted_text(summary))

    async def _summarise(
        self,
        messages: list[Message],
        asker: str,
        room: str,
        progress: Callable[[str], Awaitable[object]],
    ) -> Summary:
        summariser = Summariser(self.brain, context_tokens=self.context_tokens)

        async def told(text: str) -> None:
            await progress(text)

        try:
            return await summariser.summarise(messages, told)
        finally:  # what a failed summary used is spent too
            cost = summariser.cost
            metrics.bot_tokens(self.handle, cost.prompt, cost.completion)
            self.budget.spend(asker, room, cost.total)
