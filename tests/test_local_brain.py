"""brain = "local": SmolLM2 run by llama-cpp-python off the event loop, streamed, stopped, penalised.

The bots-file and loading-error tests run everywhere; the ones that need the model
skip, saying what to install, where requirements-local.txt is not installed.
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import aclosing
from pathlib import Path

import pytest

from chat.bot import choose_brain
from chat.bot.local import LLAMA_MISSING, LocalBrain
from chat.bot.provider import BrainError, StreamReport, Turn
from chat.config import Settings, SettingsError
from chat.domain import MessageStatus
from tests.bot_helpers import close_all, final_replies, open_people, sees_line
from tests.confab_harness import serve_confab
from tests.local_model import smollm2_file

QUESTION = [
    Turn("system", "You are a helpful assistant."),
    Turn("user", "What is the capital of France?"),
]


def bots_file(tmp_path: Path, body: str) -> Settings:
    path = tmp_path / "bots.toml"
    path.write_text(body, encoding="utf-8")
    return Settings.from_env({"CHAT_BOTS_FILE": str(path)}, env_file=None)


async def answer(brain: LocalBrain, history=QUESTION) -> tuple[list[str], StreamReport]:
    report = StreamReport()
    async with asyncio.timeout(300):  # a backstop on a loaded machine, not a measurement
        pieces = [piece async for piece in brain.stream(history, report)]
    return pieces, report


# ---- the bots file and loading errors: no model needed


def test_the_bots_file_takes_a_local_brain_with_a_model_file_beside_it(tmp_path):
    (tmp_path / "tiny.gguf").write_bytes(b"GGUF")
    settings = bots_file(
        tmp_path,
        '[[bot]]\nhandle = "smol"\nbrain = "local"\nmodel_path = "tiny.gguf"\nrepeat_penalty = 1.2\n',
    )
    (spec,) = settings.roster
    assert (spec.brain, spec.model_path, spec.repeat_penalty) == (
        "local",
        str(tmp_path / "tiny.gguf"),
        1.2,
    )
    brain = choose_brain(settings, spec)
    assert isinstance(brain, LocalBrain)
    assert brain.description == "local model tiny (llama.cpp, on this server's CPU)"
    assert str(tmp_path) not in brain.description  # /help shows it: no server paths


def test_a_missing_model_file_is_refused_at_start_naming_the_line(tmp_path):
    with pytest.raises(SettingsError) as refused:
        bots_file(tmp_path, '[[bot]]\nhandle = "smol"\nbrain = "local"\nmodel_path = "gone.gguf"\n')
    message = str(refused.value)
    assert "line 4" in message and "bot 'smol'" in message
    assert f"there is no file {tmp_path / 'gone.gguf'}" in message


def test_a_repeat_penalty_out_of_range_is_refused(tmp_path):
    with pytest.raises(
        SettingsError, match=r"line 3: bot 'smol': repeat_penalty = 0.5 is not allowed"
    ):
        bots_file(tmp_path, '[[bot]]\nhandle = "smol"\nrepeat_penalty = 0.5\nbrain = "local"\n')


async def test_without_llama_cpp_the_room_is_told_what_to_install(tmp_path, monkeypatch):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp now fails
    brain = LocalBrain(model)
    try:
        with pytest.raises(BrainError) as failed:
            await answer(brain)
        assert str(failed.value) == LLAMA_MISSING
        assert "requirements-local.txt" in LLAMA_MISSING
    finally:
        await brain.aclose()


async def test_a_file_that_is_no_model_is_a_clear_error(tmp_path):
    smollm2_file()  # needs llama_cpp to try
    bad = tmp_path / "notes.gguf"
    bad.write_bytes(b"this is not a model" * 100)
    brain = LocalBrain(bad)
    try:
        with pytest.raises(BrainError) as failed:
            await answer(brain)
        assert str(failed.value) == (
            "The local model cannot start: notes.gguf is not a model file llama.cpp can load."
        )
    finally:
        await brain.aclose()


# ---- the real model


@pytest.fixture
async def smollm2():
    brain = LocalBrain(smollm2_file(), max_tokens=24, temperature=0.0)
    yield brain
    await brain.aclose()


async def test_smollm2_streams_an_answer_token_by_token_off_the_event_loop(smollm2):
    ticks = 0

    async def tick() -> None:  # runs only if generation leaves the event loop free
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        pieces, report = await answer(smollm2)
    finally:
        ticker.cancel()
    text = "".join(pieces)
    # What a 135M model answers depends on the build's arithmetic (its CPU features): one
    # build here says "Paris", another rambles. The words are not what is tested.
    assert len(text.split()) >= 3, text
    assert len(pieces) >= 3 and len(pieces) == smollm2.generated  # one piece per token
    assert report.completion_tokens == len(pieces) and report.prompt_tokens is None
    # Generating on the event loop would have left the ticker no turn until the end.
    assert ticks >= 3, ticks


async def test_stop_ends_generation_at_the_next_token(smollm2_long):
    history = [Turn("user", "Write a very long story about a dragon, with many chapters.")]
    seen: list[str] = []
    async with aclosing(smollm2_long.stream(history)) as pieces:
        async for piece in pieces:
            seen.append(piece)
            if len(seen) == 3:
                break  # what Stop does: the reply's stream is closed
    assert len(seen) == 3
    # The worker finishes what it was doing before it takes the next job: wait for that.
    await asyncio.get_running_loop().run_in_executor(smollm2_long._worker, lambda: None)
    assert smollm2_long.generated < 20, smollm2_long.generated  # of up to 60 it was allowed
    again, _ = await answer(smollm2_long, QUESTION)
    assert again, "the brain answers again after a Stop"


@pytest.fixture
async def smollm2_long():
    brain = LocalBrain(smollm2_file(), max_tokens=60, temperature=0.0)
    yield brain
    await brain.aclose()


async def test_a_conversation_longer_than_the_window_is_said_in_words(tmp_path):
    brain = LocalBrain(smollm2_file(), context_tokens=64, max_tokens=16)
    try:
        long = [Turn("user", "Tell me about this. " * 400)]
        with pytest.raises(BrainError) as failed:
            await answer(brain, long)
        assert str(failed.value) == (
            f"The conversation is too long for the local model (it holds {64 + 16 + 256} tokens). "
            "Lower context_tokens in the bots file."
        )
    finally:
        await brain.aclose()


async def test_the_repetition_penalty_keeps_smollm2_from_looping():
    path = smollm2_file()
    history = [Turn("user", "Write a very long story about a dragon.")]

    async def loops(**penalty: float) -> int:
        brain = LocalBrain(path, max_tokens=120, temperature=0.0, **penalty)
        try:
            pieces, _ = await answer(brain, history)
        finally:
            await brain.aclose()
        return most_repeated_run("".join(pieces))

    # Without one, SmolLM2 may tell the same sentence again and again (on some builds: the
    # arithmetic differs with the CPU's features); with the default, no run of words repeats.
    assert await loops() == 1


def most_repeated_run(text: str, words: int = 8) -> int:
    """How often the most frequent run of `words` words occurs in `text`."""
    from collections import Counter

    tokens = text.split()
    runs = Counter(tuple(tokens[i : i + words]) for i in range(len(tokens) - words + 1))
    return max(runs.values(), default=0)


# ---- in a room


async def test_a_local_bot_answers_in_the_room_and_stops_on_stop(tmp_path):
    smollm2_file()
    settings = bots_file(
        tmp_path,
        '[[bot]]\nhandle = "smol"\ndisplay_name = "Smol"\nbrain = "local"\n'
        "max_tokens = 60\ntemperature = 0.0\n",
    )
    async with serve_confab(tmp_path, bots=settings.bots, bot_mentions_per_minute=100) as served:
        brain = served.confab.bots[0].brain
        assert isinstance(brain, LocalBrain)
        (alice,) = await open_people(served, "Alice")
        await alice.say("@smol write a very long story about a dragon")
        stop = await alice.client.wait_for(
            lambda: alice.client.find_one("TextButton", content="Stop"), timeout=300
        )
        await alice.client.wait_for(lambda: brain.generated >= 5, timeout=300)
        await alice.client.click(stop)
        (reply,) = await final_replies(served, 1, timeout=300)
        assert reply.status is MessageStatus.STOPPED and reply.text
        await sees_line(alice, "stopped by Alice", timeout=60)
        await asyncio.get_running_loop().run_in_executor(brain._worker, lambda: None)
        assert brain.generated < 40  # it stopped well before its max_tokens

        await alice.say("@smol What is the capital of France?")
        _, second = await final_replies(served, 2, timeout=300)
        assert second.status is MessageStatus.DONE and second.text
        await close_all(alice)
