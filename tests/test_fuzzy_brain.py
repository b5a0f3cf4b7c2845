"""The default offline brain: ChatterBot's corpus, fuzzy-matched, with no training."""

from __future__ import annotations

import random

import pytest

from bench.offline_brains import QUESTIONS, on_topic
from chat.bot import choose_brain
from chat.bot.fuzzy import FuzzyBrain, english_corpus_dir, load_corpus
from chat.bot.offline import FALLBACK_REPLY, IMAGINE_UNSUPPORTED, OfflineBrain
from chat.bot.provider import BrainError, Turn
from chat.config import Settings, SettingsError


async def ask(brain, content: str) -> list[str]:
    return [chunk async for chunk in brain.stream([Turn("user", content)])]


def test_corpus_is_read_from_the_installed_package():
    corpus = load_corpus(english_corpus_dir())

    assert len(corpus.statements) > 500
    assert len(corpus.replies) == len(corpus.statements) == len(corpus.categories)
    assert all(replies for replies in corpus.replies)
    assert "greetings" in corpus.categories and "tech_support" in corpus.categories


async def test_greeting_is_answered_in_streamed_words_without_training(tmp_path):
    brain = FuzzyBrain(rng=random.Random(0))
    chunks = await ask(brain, "Alice: @bot Hello, how are you?")

    assert len(chunks) > 1
    assert all(chunk.endswith(" ") and chunk.strip() for chunk in chunks)
    assert "".join(chunks).strip() != FALLBACK_REPLY
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere: no training database


async def test_a_question_far_from_the_corpus_gets_the_fallback():
    brain = FuzzyBrain(word_delay=0)
    for question in ("asdkjh qwe zzv", "the deploy failed with exit code 137"):
        reply = "".join(await ask(brain, f"Alice: @bot {question}")).strip()
        assert reply == FALLBACK_REPLY


async def test_a_question_alike_in_form_but_about_something_else_gets_the_fallback():
    # Seen by hand: "the capital of France" read as "Jordan's capital city", answered "Amman".
    brain = FuzzyBrain(word_delay=0)
    await brain.warm_up()
    corpus = load_corpus(english_corpus_dir())

    assert brain.best_match("what is the capital of France?") is None
    match = brain.best_match("what is the capital of Jordan")
    assert match is not None and "Jordan" in corpus.statements[match]


async def test_close_wording_finds_the_corpus_statement():
    brain = FuzzyBrain(word_delay=0, rng=random.Random(0))
    await brain.warm_up()
    corpus = load_corpus(english_corpus_dir())

    match = brain.best_match("my computer does not turn on")
    assert match is not None and corpus.statements[match] == "My computer won't turn on."
    reply = "".join(await ask(brain, "Bob: @bot I forgot my password!")).strip()
    assert "password" in reply.lower()


async def test_a_missing_corpus_is_a_brain_error(tmp_path):
    brain = FuzzyBrain(corpus_dir=tmp_path / "nowhere")
    with pytest.raises(BrainError, match="could not start"):
        await ask(brain, "Alice: @bot hello")


async def test_imagine_explains_how_to_get_images():
    brain = FuzzyBrain()
    with pytest.raises(BrainError) as raised:
        await brain.imagine("a cat")
    assert str(raised.value) == IMAGINE_UNSUPPORTED
    assert "OPENAI_BASE_URL" in brain.description


async def test_at_least_as_on_topic_as_the_fixed_bar():
    """The 20 fixed questions; the comparison with ChatterBot is in test_offline_brain.py."""
    brain = FuzzyBrain(word_delay=0, rng=random.Random(0))
    hits = 0
    for question, keywords in QUESTIONS:
        hits += on_topic("".join(await ask(brain, f"Alice: @bot {question}")), keywords)
    assert hits >= 13  # measured: 13 of 20 (ChatterBot: 13); see bench/offline_brains.py


def test_offline_brain_setting_chooses_and_is_validated(tmp_path):
    assert isinstance(choose_brain(Settings(data_dir=tmp_path)), FuzzyBrain)
    chatterbot = Settings.from_env(
        {"CHAT_OFFLINE_BRAIN": "chatterbot", "CHAT_DATA_DIR": str(tmp_path)}
    )
    assert isinstance(choose_brain(chatterbot), OfflineBrain)
    with pytest.raises(
        SettingsError, match=r"CHAT_OFFLINE_BRAIN='eliza' is not allowed \(allowed: one of fuzzy, chatterbot\)"
    ):
        Settings.from_env({"CHAT_OFFLINE_BRAIN": "eliza"})
