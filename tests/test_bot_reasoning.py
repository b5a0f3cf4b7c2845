"""Reasoning models: "thinking… Ns" while they reason; the reasoning shown and stored only if asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat.bot.thinking import ThinkSplitter
from chat.config import Settings
from tests.bot_helpers import KEY, bot_room, close_all, final_replies, open_people
from tests.fake_openai import FakeOpenAI, split_words

THINKER = """\
[[bot]]
handle = "bot"
brain = "openai"
base_url = "{url}"
model = "think-1"
api_key_env = "BOT_KEY"
show_reasoning = {show}
"""
SECRET = "the user wants a haiku so I count syllables"


def thinker(fake: FakeOpenAI, tmp_path: Path, show: bool):
    path = tmp_path / "bots.toml"
    path.write_text(THINKER.format(url=fake.base_url, show=str(show).lower()), encoding="utf-8")
    return Settings.from_env({"CHAT_BOTS_FILE": str(path), "BOT_KEY": KEY}, env_file=None).bots


def every_text_seen(person) -> str:
    """Everything any frame showed this session, joined."""
    return "\n".join(text for _, values in person.frames.markdown for text in values)


async def test_reasoning_content_shows_thinking_seconds_and_is_never_shown_or_stored(
    fake_openai: FakeOpenAI, tmp_path
):
    fake_openai.reply("Autumn moon rises.", reasoning=split_words(SECRET), reasoning_gap=0.25)
    async with bot_room(None, tmp_path, bots=thinker(fake_openai, tmp_path, False)) as served:
        alice, bob = await open_people(served, "Alice", "Bob", frames=True)
        await alice.say("@bot a haiku please")
        await bob.client.wait_for(lambda: "*thinking… 1s*" in bob.bodies(), timeout=5)
        (reply,) = await final_replies(served, 1)
        assert reply.text == "Autumn moon rises."
        await bob.sees("Autumn moon rises.")
        for person in (alice, bob):
            seen = every_text_seen(person)
            assert "thinking… 0s" in seen and "syllables" not in seen
        await close_all(alice, bob)


async def test_think_tags_split_across_chunks_are_taken_out_of_the_answer(
    fake_openai: FakeOpenAI, tmp_path
):
    pieces = ["<thi", "nk>secret ", "plan</th", "ink>The ", "answer."]
    fake_openai.reply("", pieces=pieces)
    async with bot_room(None, tmp_path, bots=thinker(fake_openai, tmp_path, False)) as served:
        (alice,) = await open_people(served, "Alice", frames=True)
        await alice.say("@bot go")
        (reply,) = await final_replies(served, 1)
        assert reply.text == "The answer."
        await alice.sees("The answer.")
        seen = every_text_seen(alice)
        assert "secret" not in seen and "think>" not in seen
        await close_all(alice)


async def test_a_bot_configured_to_show_reasoning_shows_and_keeps_it_quoted(
    fake_openai: FakeOpenAI, tmp_path
):
    fake_openai.reply("Autumn moon rises.", reasoning=split_words(SECRET), reasoning_gap=0.1)
    async with bot_room(None, tmp_path, bots=thinker(fake_openai, tmp_path, True)) as served:
        (alice,) = await open_people(served, "Alice")
        await alice.say("@bot a haiku please")
        (reply,) = await final_replies(served, 1)
        assert reply.text == f"> {SECRET}\n\nAutumn moon rises."
        await close_all(alice)


@pytest.mark.parametrize(
    ("pieces", "answer", "reasoning"),
    [
        (["<think>a</think>b"], "b", "a"),
        (["<", "think", ">", "a", "</", "think", ">", "b"], "b", "a"),
        (["x <think>a", "b</thi", "nk> y"], "x  y", "ab"),
        (["a < b and <thin"], "a < b and <thin", ""),  # not a tag after all: shown at the end
        (["<think>never closed"], "", "never closed"),
    ],
)
def test_think_splitter(pieces, answer, reasoning):
    splitter = ThinkSplitter()
    said, thought = "", ""
    for piece in pieces:
        a, t = splitter.feed(piece)
        said, thought = said + a, thought + t
    a, t = splitter.flush()
    assert (said + a, thought + t) == (answer, reasoning)
