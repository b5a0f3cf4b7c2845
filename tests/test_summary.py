"""Summaries: chunks within a budget, citations renumbered, the extractive summary, and
map-reduce against the loopback fake OpenAI server (prompt sizes, citations parsed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chat.bot.context import CHARS_PER_TOKEN
from chat.bot.fuzzy import FuzzyBrain
from chat.bot.openai import OpenAIBrain
from chat.bot.summarising import MAP_PROMPT, REDUCE_PROMPT, Summariser
from chat.bot.summary import (
    chunks,
    cited_numbers,
    extractive,
    extractive_text,
    numbered,
    with_citations,
)
from chat.config import Settings
from chat.domain import Message, MessageKind, MessageStatus
from tests.fake_openai import FakeOpenAI

KEY = "sk-test-summary"


def message(seq: int, author: str, text: str, **extra) -> Message:
    return Message(
        id=f"m{seq}",
        room="general",
        seq=seq,
        author=author,
        text=text,
        created_at=datetime(2026, 1, 1, 12, seq % 60, tzinfo=UTC),
        **extra,
    )


def test_chunks_keep_order_stay_within_the_budget_and_cut_a_line_too_long():
    lines = [f"line {i} " + "x" * 30 for i in range(10)]
    groups = chunks(lines, 100)
    assert [line for group in groups for line in group] == lines
    assert all(sum(len(line) + 1 for line in group) <= 100 for group in groups)
    assert len(groups) == 5
    [[cut]] = chunks(["y" * 500], 100)
    assert len(cut) < 100 and cut.endswith("…")


def test_only_settled_words_of_people_and_bots_are_numbered():
    messages = [
        message(1, "Alice", "hello"),
        message(2, "system", "Bob joined", kind=MessageKind.SYSTEM),
        message(3, "bot", "half a repl", kind=MessageKind.BOT, status=MessageStatus.STREAMING),
        message(4, "Bob", "   "),
        message(5, "Bob", "the release is friday"),
    ]
    assert [(n.number, n.message.seq) for n in numbered(messages)] == [(1, 1), (2, 5)]
    assert numbered(messages)[1].line() == "[2] Bob: the release is friday"


def test_citations_are_renumbered_in_reading_order_and_invented_ones_dropped():
    sources = numbered([message(i, "A", f"text {i}") for i in range(1, 8)])
    summary = with_citations("- Deploy moved [5][2]\n- Food [99] ordered [7]\n- Again [5]", sources)
    assert summary.text == "- Deploy moved [1][2]\n- Food ordered [3]\n- Again [1]"
    assert [(c.number, c.message_id) for c in summary.citations] == [
        (1, "m5"),
        (2, "m2"),
        (3, "m7"),
    ]
    assert cited_numbers(summary.text) == [1, 2, 3]


def test_the_extractive_summary_keeps_the_informative_messages_in_order():
    texts = [
        "ok",
        "We agreed the database migration runs on Friday after the backup",
        "lol",
        "thanks",
        "Who owns the migration rollback plan for Friday?",
        "yes",
        "The backup finished; the migration can start Friday morning",
    ]
    sources = numbered([message(i, "Ann" if i % 2 else "Ben", t) for i, t in enumerate(texts, 1)])
    picks = extractive(sources, keep=3)
    assert [p.number for p in picks] == [2, 5, 7]
    text = extractive_text(picks)
    assert text.splitlines()[0] == (
        "- Ben: We agreed the database migration runs on Friday after the backup [2]"
    )


def test_a_run_of_messages_saying_the_same_adds_nothing_to_an_extractive_summary():
    texts = ["Apricot kiln firing moved to Thursday because the glaze arrives late"]
    texts += [f"fresh line {n}" for n in range(2, 31)]
    sources = numbered([message(i, "Bob", t) for i, t in enumerate(texts, 1)])
    assert [p.number for p in extractive(sources)] == [1]


@pytest.mark.asyncio
async def test_an_offline_brain_summarises_a_long_span_in_chunks_with_progress():
    messages = [message(i, f"P{i % 3}", f"point {i} about topic{i % 4} " * 6) for i in range(1, 61)]
    summariser = Summariser(FuzzyBrain(), context_tokens=300)
    said: list[str] = []

    async def progress(text: str) -> None:
        said.append(text)

    summary = await summariser.summarise(messages, progress)
    total = len(chunks([n.line() for n in numbered(messages)], summariser.budget_chars("")))
    assert total > 2
    assert said == [f"Summarising {i} of {total}…" for i in range(1, total + 1)] + [
        "Putting it together…"
    ]
    assert 1 <= len(summary.citations) <= 8
    assert cited_numbers(summary.text) == [c.number for c in summary.citations]
    assert summariser.cost.total > 0  # counted against budgets, like any answer


@pytest.mark.asyncio
async def test_map_reduce_prompts_fit_the_context_budget_and_citations_are_parsed(
    fake_openai: FakeOpenAI,
):
    messages = [message(i, "Alice" if i % 2 else "Bob", f"message {i} " * 20) for i in range(1, 41)]
    context_tokens = 400
    lines = [n.line() for n in numbered(messages)]
    summariser = Summariser(_brain(fake_openai), context_tokens=context_tokens)
    parts = len(chunks(lines, summariser.budget_chars(MAP_PROMPT)))
    assert parts >= 3
    for part in range(parts):
        fake_openai.reply(f"- part {part} said things [{part * 4 + 1}]", usage=(100, 10))
    fake_openai.reply("- all of it [9] and [1], also [777]", usage=(50, 5))
    said: list[str] = []

    async def progress(text: str) -> None:
        said.append(text)

    try:
        summary = await summariser.summarise(messages, progress)
    finally:
        await summariser.brain.aclose()
    requests = fake_openai.chat_requests
    assert len(requests) == parts + 1
    for request in requests:
        sent = sum(len(m["content"]) for m in request.body["messages"])
        assert sent <= context_tokens * CHARS_PER_TOKEN
    assert requests[0].body["messages"][0]["content"] == MAP_PROMPT
    assert requests[-1].body["messages"][0]["content"] == REDUCE_PROMPT
    assert "- part 0 said things [1]" in requests[-1].body["messages"][1]["content"]
    assert said[:parts] == [f"Summarising {i} of {parts}…" for i in range(1, parts + 1)]
    assert summary.text == "- all of it [1] and [2], also"
    assert [(c.number, c.message_id, c.author) for c in summary.citations] == [
        (1, "m9", "Alice"),
        (2, "m1", "Alice"),
    ]
    assert summariser.cost.prompt == 100 * parts + 50  # the server's counts
    assert summariser.cost.completion == 10 * parts + 5


def _brain(fake: FakeOpenAI) -> OpenAIBrain:
    return OpenAIBrain(
        Settings(
            openai_api_key=KEY,
            openai_base_url=fake.base_url,
            bot_model="fake-model-1",
            bot_total_timeout=5.0,
            bot_idle_timeout=2.0,
        )
    )
