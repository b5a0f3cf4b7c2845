"""Tokens counted from the server's usage chunk (else estimated), daily budgets, and @bot /usage."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import REGISTRY

from chat.bot.budget import DailyBudget
from chat.config import Settings
from chat.domain import MessageKind
from tests.bot_helpers import (
    KEY,
    all_messages,
    bot_room,
    close_all,
    final_replies,
    open_people,
    sees_line,
)
from tests.fake_openai import FakeOpenAI

BOT = """\
[[bot]]
handle = "bot"
display_name = "Budget Bot"
brain = "openai"
base_url = "{url}"
model = "fake-model-1"
api_key_env = "BOT_KEY"
person_daily_tokens = {person}
room_daily_tokens = {room}
"""


def budgeted(fake: FakeOpenAI, tmp_path: Path, person: int, room: int):
    path = tmp_path / "bots.toml"
    path.write_text(BOT.format(url=fake.base_url, person=person, room=room), encoding="utf-8")
    env = {"CHAT_BOTS_FILE": str(path), "BOT_KEY": KEY}
    return Settings.from_env(env, env_file=None).bots


def tokens(direction: str) -> float:
    found = REGISTRY.get_sample_value(
        "confab_bot_tokens_total", {"bot": "bot", "direction": direction}
    )
    return found or 0.0


async def test_daily_budgets_per_person_and_per_room_are_enforced_with_a_notice(
    fake_openai: FakeOpenAI, tmp_path
):
    for _ in range(4):
        fake_openai.reply("four words of answer", usage=(2, 3))  # 5 tokens a reply
    async with bot_room(None, tmp_path, bots=budgeted(fake_openai, tmp_path, 8, 14)) as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        prompt_before, completion_before = tokens("prompt"), tokens("completion")
        await alice.say("@bot one")
        await final_replies(served, 1)
        await alice.say("@bot two")
        await final_replies(served, 2)
        assert (tokens("prompt") - prompt_before, tokens("completion") - completion_before) == (
            4,
            6,
        )
        await alice.say("@bot three")
        await sees_line(bob, "Alice, you have used today's 10 tokens with @bot")
        await alice.say("@bot /usage")
        usage = (await final_replies(served, 3))[-1]
        assert "you have **0** tokens left today (used 10)" in usage.text
        assert "this room has **4** left (used 10)" in usage.text

        await bob.say("@bot four")  # Bob has his own budget, and the room 4 tokens left
        await final_replies(served, 4)
        await bob.say("@bot five")
        await sees_line(alice, "Bob, this room has used today's 15 tokens with @bot")
        assert len(fake_openai.chat_requests) == 3
        assert all(
            r.body["stream_options"] == {"include_usage": True} for r in fake_openai.chat_requests
        )
        refused = REGISTRY.get_sample_value(
            "confab_bot_budget_refusals_total", {"bot": "bot", "budget": "room"}
        )
        assert refused and refused >= 1
        await close_all(alice, bob)


async def test_without_a_usage_chunk_tokens_are_estimated_from_the_text(
    fake_openai: FakeOpenAI, tmp_path
):
    answer = "x" * 41  # 11 tokens at 4 characters a token
    fake_openai.reply(answer, send_usage=False)
    async with bot_room(None, tmp_path, bots=budgeted(fake_openai, tmp_path, 1000, 0)) as served:
        (alice,) = await open_people(served, "Alice")
        await alice.say("@bot say x")
        await final_replies(served, 1)
        await alice.say("@bot /usage")
        usage = (await final_replies(served, 2))[-1].text
        sent = fake_openai.chat_requests[0].body["messages"]
        prompt = -(-sum(len(m["content"]) for m in sent) // 4)
        used = prompt + 11
        assert f"you have **{1000 - used:,}** tokens left today (used {used})" in usage
        assert f"this room has no daily limit (used {used} tokens today)" in usage
        await close_all(alice)


def test_a_budget_starts_again_each_day():
    today = ["2026-12-01"]
    budget = DailyBudget(10, 0, today=lambda: today[0])  # type: ignore[arg-type, return-value]
    budget.spend("person:a", "general", 12)
    assert budget.left("person:a", "general").person == 0
    assert budget.left("person:b", "general").person == 10
    assert budget.left("person:a", "general").room is None
    today[0] = "2026-12-02"
    assert budget.left("person:a", "general").person == 10


async def test_usage_and_help_answer_even_when_the_budget_is_spent(
    fake_openai: FakeOpenAI, tmp_path
):
    fake_openai.reply("spent", usage=(5, 5))
    async with bot_room(None, tmp_path, bots=budgeted(fake_openai, tmp_path, 5, 0)) as served:
        (alice,) = await open_people(served, "Alice")
        await alice.say("@bot spend it all")
        await final_replies(served, 1)
        await alice.say("@bot /help")
        await alice.say("@bot /usage")
        help_reply, usage = (await final_replies(served, 3))[1:]
        assert "/usage" in help_reply.text and "**0** tokens left" in usage.text
        kinds = [m.kind for m in await all_messages(served)]
        assert kinds.count(MessageKind.BOT) == 3
        await close_all(alice)
