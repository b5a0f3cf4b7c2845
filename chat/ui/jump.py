"""Showing one message in context in one tab: page its history in, scroll to it, mark it briefly.

Used by search (and anything else that points at a message). The tab's list
must be its own (not the shared one): the mark and the scroll are for this
tab only. Rows are paged in contiguously, from the message (and a few before
it) up to the oldest row shown, so "Load earlier" and new messages go on as
before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import flet as ft

from chat.domain import Message
from chat.ui.follow import FollowLatest
from chat.ui.message_list import MessageList

CONTEXT_BEFORE = 5
"""Messages shown above the one jumped to, when they have to be paged in."""
MAX_PAGED_IN = 2000
"""A message further back than this many rows is not paged in (the list would grow too long)."""
MARK_SECONDS = 3.0
"""How long the message jumped to stays marked."""
MARK_COLOR = ft.Colors.TERTIARY_CONTAINER
SCROLL_SETTLE_SECONDS = (0.0, 0.4, 1.0, 2.0, 3.0)
"""Pauses before each scroll to the row: rows paged in are laid out over a few frames, and a
busy phone took over 1.4 s (a jump on CI's phone run stopped short of the row)."""
ESTIMATED_ROW_PX = 56.0
"""A row's height, roughly: where to scroll first so that the client lays out the row's
neighbourhood (a scroll to a key finds only rows the client has laid out)."""

FetchAfter = Callable[[int, int], Awaitable[list[Message]]]
"""Messages of the room after a seq, up to a count, oldest first (ChatService.history_after)."""


def scroll_key(message_id: str) -> str:
    """The key a row jumped to carries (as a ScrollKey), so the list can scroll to it."""
    return f"m-{message_id}"


async def page_in(conversation: MessageList, target: Message, fetch_after: FetchAfter) -> bool:
    """Bring `target` into `conversation`, paging in what lies between; False if it cannot be."""
    if target.id in conversation.rows:
        return True
    oldest = conversation.oldest_seq
    if oldest is not None and target.seq > oldest:
        return False  # newer than the oldest row yet not shown: not arrived, or gone
    start = max(0, target.seq - CONTEXT_BEFORE - 1)
    wanted = (oldest - 1 - start) if oldest is not None else CONTEXT_BEFORE * 4
    if wanted > MAX_PAGED_IN:
        return False
    older = [m for m in await fetch_after(start, wanted) if oldest is None or m.seq < oldest]
    if oldest is None:
        for message in older:
            conversation.posted(message)
    else:
        conversation.extra_rows += len(older)
        conversation.prepend(older)
    return target.id in conversation.rows


def estimated_offset(view: ft.ListView, row: ft.Control) -> float:
    """Roughly where `row` sits in `view`, in pixels from the top, a little above it."""
    index = next((i for i, control in enumerate(view.controls) if control is row), 0)
    return max(0.0, (index - 2) * ESTIMATED_ROW_PX)


async def scroll_into_view(view: ft.ListView, message_id: str, near: float) -> None:
    """Scroll `view` to the row of `message_id`.

    Flutter lays out a long list lazily, and a scroll to the key of a row it has not laid
    out does nothing. So the list first moves to `near` (an estimate of the row's offset):
    the client lays out the rows there, the row among them. Then it scrolls to the key, and
    again while the rows just paged in settle.
    """
    await view.scroll_to(offset=near, duration=0)
    for settle in SCROLL_SETTLE_SECONDS:
        await asyncio.sleep(settle)
        await view.scroll_to(scroll_key=scroll_key(message_id), duration=0)


def mark(conversation: MessageList, message_id: str, on: bool) -> None:
    """Tint the row of `message_id` (or take the tint off) and key it for scrolling, in place.

    In place, not rebuilt: a row replaced while someone clicks its "1 reply" lost the click
    (Flet drops an event for a control it no longer has), seen in CI's thread-after-jump test.
    """
    row = conversation.rows.get(message_id)
    if row is None:
        return
    row.tint(MARK_COLOR if on else None, key=scroll_key(message_id))
    conversation.restyled(row)


async def unmark_later(
    conversation: MessageList, message_id: str, send: Callable[[], None]
) -> None:
    """Take the mark off after MARK_SECONDS (if the row is still there)."""
    await asyncio.sleep(MARK_SECONDS)
    row = conversation.rows.get(message_id)
    if row is not None and row.bgcolor == MARK_COLOR:
        mark(conversation, message_id, on=False)
        send()


class Jump:
    """One tab's jump to a message of the room it shows, in its own list."""

    def __init__(
        self,
        conversation: MessageList,
        send: Callable[[], None],
        follow: FollowLatest,
    ):
        self.conversation = conversation
        self._send, self._follow = send, follow

    async def to(
        self,
        message: Message,
        fetch_after: FetchAfter,
        run_task: Callable[..., object],
    ) -> bool:
        """Page `message` in, mark it, scroll to it; False if it cannot be shown."""
        conversation = self.conversation
        if not await page_in(conversation, message, fetch_after):
            return False
        # The row must be built to be scrolled to, and a list following its end scrolls
        # nowhere else: it follows again once the reader is back at the end.
        conversation.view.build_controls_on_demand = False
        conversation.view.auto_scroll = False
        self._follow.on_follow = self._follow_end_again
        self._follow.moving = True
        try:
            mark(conversation, message.id, on=True)
            self._send()
            near = estimated_offset(conversation.view, conversation.rows[message.id])
            await scroll_into_view(conversation.view, message.id, near)
        finally:
            self._follow.moving = False
        self._follow.scrolled_up()  # the reader is at the message now, above the newest
        run_task(unmark_later, conversation, message.id, self._send)
        return True

    def _follow_end_again(self) -> None:
        self.conversation.view.auto_scroll = True
        self.conversation.list_changed = True
        self._send()
