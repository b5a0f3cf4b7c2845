"""Jumping to a message in a tab's own list: what is paged in, the mark, and when it cannot be."""

from __future__ import annotations

from datetime import UTC, datetime

import flet as ft
import pytest

from chat.domain import Message
from chat.ui.jump import CONTEXT_BEFORE, MARK_COLOR, MAX_PAGED_IN, mark, page_in, scroll_key
from chat.ui.message_list import MessageList
from chat.ui.message_row import ChatMessage

pytestmark = pytest.mark.asyncio


def message(seq: int) -> Message:
    return Message(
        f"m{seq}", "general", seq, "Ann", f"line {seq}", datetime(2026, 1, 1, tzinfo=UTC)
    )


def make_row(m: Message, grouped: bool, starts_day: bool) -> ChatMessage:
    return ChatMessage(m, own=False, grouped=grouped, starts_day=starts_day)


async def no_earlier(e: ft.Event) -> None:
    return None


def conversation_from(first: int, last: int) -> MessageList:
    conversation = MessageList(make_row, 200, no_earlier)
    conversation.prepend([message(seq) for seq in range(first, last + 1)])
    return conversation


class Fetch:
    """history_after over messages 1..`newest`, recording what was asked."""

    def __init__(self, newest: int):
        self.newest = newest
        self.asked: list[tuple[int, int]] = []

    async def __call__(self, after: int, limit: int) -> list[Message]:
        self.asked.append((after, limit))
        return [message(seq) for seq in range(after + 1, min(after + limit, self.newest) + 1)]


async def test_an_older_message_is_paged_in_with_everything_up_to_the_rows_shown():
    conversation = conversation_from(271, 320)
    fetch = Fetch(320)
    assert await page_in(conversation, message(12), fetch)
    shown = [m.seq for m in conversation.messages()]
    assert shown == list(range(12 - CONTEXT_BEFORE, 321))  # contiguous: Load earlier goes on
    assert conversation.oldest_seq == 12 - CONTEXT_BEFORE
    assert conversation.extra_rows == 271 - (12 - CONTEXT_BEFORE)  # not trimmed away again


async def test_a_message_already_shown_needs_nothing_fetched():
    conversation = conversation_from(1, 50)
    fetch = Fetch(50)
    assert await page_in(conversation, message(20), fetch)
    assert fetch.asked == []


async def test_a_message_too_far_back_is_not_paged_in():
    newest = MAX_PAGED_IN + 500
    conversation = conversation_from(newest - 49, newest)
    fetch = Fetch(newest)
    assert not await page_in(conversation, message(3), fetch)
    assert fetch.asked == [] and len(conversation.messages()) == 50


async def test_the_mark_keys_the_row_for_scrolling_and_comes_off_again_in_place():
    conversation = conversation_from(1, 10)
    conversation.list_sent(freeze=True)
    row = conversation.rows["m4"]
    parts = row.content
    mark(conversation, "m4", on=True)
    assert conversation.rows["m4"] is row  # the same controls: a click on them still lands
    assert row.bgcolor == MARK_COLOR and str(row.key) == scroll_key("m4")
    assert conversation.take_changed() == [row]
    mark(conversation, "m4", on=False)
    assert conversation.rows["m4"] is row and row.bgcolor is None
    assert row.content is parts  # its buttons too
    assert [m.seq for m in conversation.messages()] == list(range(1, 11))
