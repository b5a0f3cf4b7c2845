"""The ChatterBot offline brain (CHAT_OFFLINE_BRAIN=chatterbot), trained for real under tmp."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import asynccontextmanager, closing
from pathlib import Path

import pytest

from chat.bot.offline import (
    DATABASE_NAME,
    IMAGINE_UNSUPPORTED,
    TRAINED_TABLE,
    OfflineBrain,
    question_from,
)
from chat.bot.provider import BrainError, Turn

TRAINING_LOG = "Training the offline bot"


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory) -> Path:
    """One data dir trained once and shared by the module, to keep the suite fast."""
    data_dir = tmp_path_factory.mktemp("offline-brain")

    async def train() -> None:
        async with open_brain(data_dir) as brain:
            await brain.warm_up()

    asyncio.run(train())
    return data_dir


@asynccontextmanager
async def open_brain(data_dir: Path, **options):
    brain = OfflineBrain(data_dir, **options)
    try:
        yield brain
    finally:
        await brain.aclose()


async def ask(brain: OfflineBrain, content: str) -> list[str]:
    return [chunk async for chunk in brain.stream([Turn("user", content)])]


def statement_count(data_dir: Path) -> int:
    with closing(sqlite3.connect(data_dir / DATABASE_NAME)) as db:
        return db.execute("SELECT count(*) FROM statement").fetchone()[0]


def training_marks(data_dir: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(data_dir / DATABASE_NAME)) as db:
        return db.execute(f"SELECT corpus, trained_at FROM {TRAINED_TABLE}").fetchall()


def trainings_logged(caplog) -> int:
    return sum(record.getMessage().startswith(TRAINING_LOG) for record in caplog.records)


@pytest.mark.asyncio
async def test_greeting_is_answered_offline_in_streamed_words(trained_dir):
    async with open_brain(trained_dir) as brain:
        chunks = await ask(brain, "Alice: @bot Hello, how are you?")

    assert len(chunks) > 1
    assert all(chunk.endswith(" ") and chunk.strip() for chunk in chunks)
    assert "".join(chunks).strip()


@pytest.mark.asyncio
async def test_second_start_on_same_dir_does_not_retrain(trained_dir, caplog):
    caplog.set_level(logging.INFO, logger="chat.bot.offline")
    rows, marks = statement_count(trained_dir), training_marks(trained_dir)

    async with open_brain(trained_dir) as brain:
        await brain.warm_up()
        await ask(brain, "Bob: @bot what is AI?")

    assert trainings_logged(caplog) == 0
    assert len(marks) == 1
    assert training_marks(trained_dir) == marks
    assert statement_count(trained_dir) == rows  # read-only: chatting teaches it nothing


@pytest.mark.asyncio
async def test_concurrent_first_calls_train_once(tmp_path, trained_dir, caplog):
    caplog.set_level(logging.INFO, logger="chat.bot.offline")

    async with open_brain(tmp_path, word_delay=0) as brain:
        first, second = await asyncio.gather(
            ask(brain, "Alice: @bot hello"), ask(brain, "Bob: @bot good morning")
        )

    assert first and second
    assert trainings_logged(caplog) == 1
    assert len(training_marks(tmp_path)) == 1
    assert statement_count(tmp_path) == statement_count(trained_dir)


@pytest.mark.asyncio
async def test_interrupted_training_is_redone(tmp_path, trained_dir, caplog):
    caplog.set_level(logging.INFO, logger="chat.bot.offline")
    with closing(sqlite3.connect(tmp_path / DATABASE_NAME)) as db, db:  # half-written, unmarked
        db.execute("CREATE TABLE statement (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO statement (text) VALUES ('left over')")

    async with open_brain(tmp_path) as brain:
        await brain.warm_up()

    assert trainings_logged(caplog) == 1
    assert len(training_marks(tmp_path)) == 1
    assert statement_count(tmp_path) == statement_count(trained_dir)


@pytest.mark.asyncio
async def test_imagine_explains_how_to_get_images(trained_dir):
    async with open_brain(trained_dir) as brain:
        with pytest.raises(BrainError) as raised:
            await brain.imagine("a cat")

    assert str(raised.value) == IMAGINE_UNSUPPORTED
    assert "OPENAI_BASE_URL" in brain.description


@pytest.mark.asyncio
async def test_unusable_data_dir_is_a_brain_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")

    async with open_brain(blocker) as brain:
        with pytest.raises(BrainError, match="could not start"):
            await ask(brain, "Alice: @bot hello")


@pytest.mark.parametrize(
    ("content", "question"),
    [
        ("Alice: @bot hello", "hello"),
        ("@bot  what is   AI?", "what is AI?"),
        ("Alice: hi all\nBob: @bot tell me a joke", "tell me a joke"),
        ("Mary Ann: ask @bot: see http://x.org/a", "ask : see http://x.org/a"),
        ("Alice: @bot", ""),
        ("mail me at a@b.org", "mail me at a@b.org"),
    ],
)
def test_question_is_the_last_user_turn_without_name_or_mentions(content, question):
    history = [Turn("user", "Zed: older"), Turn("assistant", "reply"), Turn("user", content)]
    assert question_from(history) == question


@pytest.mark.asyncio
async def test_fuzzy_brain_is_on_topic_at_least_as_often_as_chatterbot(trained_dir):
    """The 20 fixed questions of bench/offline_brains.py, asked of both offline brains."""
    import random

    from bench.offline_brains import QUESTIONS, on_topic
    from chat.bot.fuzzy import FuzzyBrain

    async def hits(brain) -> int:
        count = 0
        for question, keywords in QUESTIONS:
            count += on_topic("".join(await ask(brain, f"Alice: @bot {question}")), keywords)
        return count

    async with open_brain(trained_dir, word_delay=0) as chatterbot:
        chatterbot_hits = await hits(chatterbot)
    fuzzy_hits = await hits(FuzzyBrain(word_delay=0, rng=random.Random(0)))

    assert chatterbot_hits > 0
    assert fuzzy_hits >= chatterbot_hits, (fuzzy_hits, chatterbot_hits)
