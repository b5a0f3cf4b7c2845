"""Two bots from a bots file answering in one room, and a reasoning model's "thinking…", in Chromium."""

from __future__ import annotations

import pytest

from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    contexts,
    playwright,
)
from tests.browser_support import artifacts_dir, join, open_confab, run_confab, say, wait_for_text
from tests.fake_openai import FakeOpenAI, split_words

pytestmark = pytest.mark.browser

BOTS = """\
[[bot]]
handle = "sage"
display_name = "Sage"
brain = "openai"
base_url = "{url}"
model = "think-1"
api_key_env = "SAGE_KEY"
colour = "#0E7C86"

[[bot]]
handle = "parrot"
display_name = "Polly"
brain = "openai"
base_url = "{url}"
model = "parrot-1"
colour = "#FDE68A"
"""


@pytest.fixture
def confab_with_bots(bot_dir, tmp_path, request, fake_openai):
    """A fresh Confab with the two bots of a bots file, both aimed at `fake_openai`."""
    bots = tmp_path / "bots.toml"
    bots.write_text(BOTS.format(url=fake_openai.base_url), encoding="utf-8")
    log = artifacts_dir() / f"server-{request.node.name}.log"
    with run_confab(bot_dir, tmp_path, log, CHAT_BOTS_FILE=str(bots), SAGE_KEY="sk-sage") as url:
        yield url


def test_two_bots_answer_in_one_room_and_a_reasoning_model_shows_thinking(
    confab_with_bots, fake_openai: FakeOpenAI, contexts
):
    reasoning = split_words("the person wants a proverb so I weigh a few carefully " * 3)
    fake_openai.reply(
        "Still waters run deep.", model="think-1", reasoning=reasoning, reasoning_gap=0.25
    )
    fake_openai.reply("Pretty bird squawks.", model="parrot-1")
    alice = open_confab(contexts(**SIZES["desktop"]), confab_with_bots)
    rita = open_confab(contexts(**SIZES["desktop"]), confab_with_bots)
    join(alice, "Alice")
    join(rita, "Rita")
    say(alice, "@sage @parrot a proverb and a squawk, please")
    seen = wait_for_text(rita, "thinking", timeout=20)
    assert "weigh" not in seen  # the reasoning itself never shows
    reading = wait_for_text(
        rita, "Still waters run deep", "Pretty bird squawks", "Sage", "Polly", absent=("thinking",)
    )
    assert "weigh" not in reading and "carefully" not in reading
    wait_for_text(alice, "Still waters run deep", "Pretty bird squawks")
    rita.screenshot(path=artifacts_dir() / "two-bots-in-their-colours.png")
