"""Confab's OpenAI-compatible brain against llama_cpp.server serving SmolLM2 on loopback.

A real OpenAI-compatible server that no one here wrote: its streaming, its (missing)
usage chunk, its stop reasons and its context-length error, through the real SDK.
Skips, saying what to install, where requirements-local.txt is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import aclosing

import openai
import pytest

from chat.bot.answer_stream import AnswerStream
from chat.bot.openai import OpenAIBrain
from chat.bot.openai_errors import explain
from chat.bot.provider import BrainError, StreamReport, Turn
from chat.config import Settings
from chat.domain import MessageStatus
from tests.bot_helpers import close_all, final_replies, open_people
from tests.confab_harness import serve_confab
from tests.local_model import ALIAS, LlamaServer, llama_server

N_CTX = 512
"""The server's context window: small, so a long room overflows it."""
QUESTION = [
    Turn("system", "You are a helpful assistant."),
    Turn("user", "What is the capital of France?"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LlamaServer]:
    with llama_server(tmp_path_factory.mktemp("llama"), n_ctx=N_CTX) as running:
        yield running


def brain_for(server: LlamaServer, **overrides) -> OpenAIBrain:
    values: dict = {
        "openai_base_url": server.base_url,
        "bot_model": ALIAS,
        "bot_temperature": 0.0,
        "bot_max_tokens": 40,
        # Generous: the machine is shared; these are backstops, not measurements.
        "bot_idle_timeout": 120.0,
        "bot_total_timeout": 300.0,
        "bot_max_retries": 0,
    }
    values.update(overrides)
    return OpenAIBrain(Settings(**values))


async def stream_of(brain: OpenAIBrain, history=QUESTION) -> tuple[list[str], StreamReport]:
    report = StreamReport()
    try:
        async with aclosing(brain.stream(history, report)) as pieces:
            return [piece async for piece in pieces], report
    finally:
        await brain.aclose()


async def test_a_real_answer_streams_in_many_pieces(server):
    pieces, _ = await stream_of(brain_for(server))
    text = "".join(pieces)
    assert len(text.split()) >= 3, text  # the words depend on the build (see test_local_brain)
    assert len(pieces) >= 3  # streamed token by token, not in one lump


async def test_without_a_usage_chunk_confab_estimates_the_tokens(server):
    """llama_cpp.server ignores stream_options.include_usage: the counts are Confab's estimate."""
    brain = brain_for(server)
    pieces, report = await stream_of(brain)
    assert (report.prompt_tokens, report.completion_tokens) == (None, None)

    class Writer:  # what AnswerStream.tokens reads of the reply
        text = "".join(pieces)

    answer = AnswerStream(brain, Writer(), show_reasoning=False)  # type: ignore[arg-type]
    prompt, completion = answer.tokens(QUESTION)
    assert prompt > 0 and completion > 0


async def test_a_reply_cut_by_max_tokens_ends_with_the_length_stop_reason(server):
    # The stop reason, as the server sends it, through the same SDK the brain uses.
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0)
    try:
        stream = await client.chat.completions.create(
            model=ALIAS, messages=[{"role": "user", "content": "Count to one hundred."}],
            max_tokens=6, temperature=0.0, stream=True,
        )  # fmt: skip
        reasons = [c.choices[0].finish_reason async for c in stream if c.choices]
    finally:
        await client.close()
    assert reasons[-1] == "length"

    # Confab takes "length" as a finished reply, not a cut-off one: no error, no retry.
    history = [Turn("user", "Count to one hundred.")]
    pieces, _ = await stream_of(brain_for(server, bot_max_tokens=6), history)
    assert 1 <= len(pieces) <= 6


TOO_LONG = (
    "The model server ended the reply before its first word. If the conversation is "
    "long, it may not fit the model's context window: lower context_tokens."
)
"""llama_cpp.server 0.3.36, streaming, answers 200, then ends the stream when the prompt
exceeds its window: the reason reaches only its log ("Requested tokens (N) exceed context
window of 512"). Asked without streaming it answers 400 context_length_exceeded."""


async def test_a_room_longer_than_the_context_window_is_said_in_words(server):
    long = [Turn("user", "Tell me more about this, please. " * 300)]
    with pytest.raises(BrainError) as failed:
        await stream_of(brain_for(server), long)
    assert str(failed.value) == TOO_LONG


async def test_without_streaming_the_server_says_why_and_confab_words_it(server):
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0)
    try:
        with pytest.raises(openai.BadRequestError) as refused:
            await client.chat.completions.create(
                model=ALIAS,
                messages=[{"role": "user", "content": "Tell me more about this, please. " * 300}],
                max_tokens=8,
            )
    finally:
        await client.close()
    assert explain(refused.value, model=ALIAS, api_key="") == (
        f"The conversation is too long for the model's context window ({N_CTX:,} tokens). "
        "Lower context_tokens or max_tokens (in the bots file, or CHAT_BOT_CONTEXT_TOKENS "
        "and CHAT_BOT_MAX_TOKENS)."
    )


async def test_in_the_room_people_get_the_answer_and_the_context_error(server, tmp_path):
    async with serve_confab(
        tmp_path,
        openai_base_url=server.base_url,
        bot_model=ALIAS,
        bot_temperature=0.0,
        bot_max_tokens=40,
        bot_idle_timeout=120.0,
        bot_total_timeout=300.0,
        bot_mentions_per_minute=100,
    ) as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        await alice.say("@bot What is the capital of France?")
        (answer,) = await final_replies(served, 1, timeout=300)
        assert answer.status is MessageStatus.DONE and "Paris" in answer.text
        await bob.sees(answer.text, timeout=60)

        await alice.say("@bot " + "Tell me more about this, please. " * 110)  # about 900 tokens
        _, failed = await final_replies(served, 2, timeout=300)
        assert failed.status is MessageStatus.FAILED
        words = "The model server ended the reply before its first word."
        for person in (alice, bob):
            await person.client.wait_for(
                lambda p=person: any(words in line for line in p.lines()), timeout=60
            )
        await close_all(alice, bob)
