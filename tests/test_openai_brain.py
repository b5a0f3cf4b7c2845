"""OpenAIBrain through the real SDK against a real OpenAI-compatible server on loopback."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable

import pytest
import pytest_asyncio

from chat.bot.images import PNG_SIGNATURE
from chat.bot.openai import OpenAIBrain
from chat.bot.provider import BrainError, Turn
from chat.config import Settings
from tests.fake_openai import FakeOpenAI

KEY = "sk-canary-123"
HISTORY = [
    Turn("system", "You are terse."),
    Turn("user", "ana: @bot what is 2+2?"),
]


@dataclass
class Outcome:
    """What one streamed reply produced."""

    pieces: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    """Seconds since the call started, one per piece."""
    error: BrainError | None = None
    elapsed: float = 0.0

    @property
    def text(self) -> str:
        return "".join(self.pieces)


async def collect(brain: OpenAIBrain, history=HISTORY) -> Outcome:
    """Drain brain.stream(history), keeping the pieces, their arrival times and any BrainError."""
    outcome = Outcome()
    start = time.monotonic()
    # A hard cap so a brain that ignores its own timeouts fails the test instead of hanging it.
    async with asyncio.timeout(15):
        try:
            async for piece in brain.stream(history):
                outcome.pieces.append(piece)
                outcome.times.append(time.monotonic() - start)
        except BrainError as error:
            outcome.error = error
    outcome.elapsed = time.monotonic() - start
    return outcome


def assert_presentable(error: BrainError | None) -> str:
    """The error exists and reads as one short line for a chat room; returns its text."""
    assert error is not None, "expected a BrainError"
    text = str(error)
    assert text and "\n" not in text and len(text) < 200, text
    assert "Traceback" not in text and KEY not in text, text
    return text


@pytest_asyncio.fixture
async def make_brain(fake_openai: FakeOpenAI) -> AsyncIterator[Callable[..., OpenAIBrain]]:
    """Build brains aimed at the fake server with small timeouts; close them afterwards."""
    brains: list[OpenAIBrain] = []

    def build(**overrides) -> OpenAIBrain:
        values = dict(
            openai_api_key=KEY,
            openai_base_url=fake_openai.base_url,
            bot_model="fake-model-1",
            bot_temperature=0.3,
            bot_max_tokens=123,
            bot_idle_timeout=0.5,
            bot_total_timeout=5.0,
            bot_max_retries=2,
            image_model="dall-e-3",
        )
        values.update(overrides)
        brain = OpenAIBrain(Settings(**values))
        brains.append(brain)
        return brain

    yield build
    for brain in brains:
        await brain.aclose()


@pytest.mark.asyncio
async def test_reply_streams_word_by_word_at_the_scripted_rate(fake_openai, make_brain):
    text = "one two three four five six seven eight nine ten eleven"
    fake_openai.reply(text, words_per_second=20)

    outcome = await collect(make_brain())

    assert outcome.error is None
    assert outcome.text == text
    assert outcome.pieces == [word + " " for word in text.split()[:-1]] + ["eleven"]
    # Ten gaps of 1/20 s between the eleven words.
    spread = outcome.times[-1] - outcome.times[0]
    assert 0.4 <= spread <= 0.9, spread
    gaps = sorted(b - a for a, b in zip(outcome.times, outcome.times[1:]))
    # Word by word, not in one lump: a busy machine may deliver two words together now and then.
    assert gaps[len(gaps) // 2] > 0.03 and sum(g > 0.02 for g in gaps) >= 7, gaps


@pytest.mark.asyncio
async def test_unscripted_request_gets_the_default_reply(fake_openai, make_brain):
    outcome = await collect(make_brain())

    assert outcome.error is None
    assert outcome.text == fake_openai.default_reply


@pytest.mark.asyncio
async def test_request_carries_model_settings_history_and_key(fake_openai, make_brain):
    fake_openai.reply("four")

    await collect(make_brain())

    (request,) = fake_openai.chat_requests
    assert request.body["model"] == "fake-model-1"
    assert request.body["temperature"] == 0.3
    assert request.body["max_tokens"] == 123
    assert request.body["stream"] is True
    assert request.body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "ana: @bot what is 2+2?"},
    ]
    assert request.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.asyncio
async def test_server_error_is_retried_then_succeeds(fake_openai, make_brain):
    fake_openai.fail(500)
    fake_openai.reply("second time lucky")

    outcome = await collect(make_brain())

    assert outcome.error is None
    assert outcome.text == "second time lucky"
    assert len(fake_openai.chat_requests) == 2


@pytest.mark.asyncio
async def test_repeated_server_errors_give_up_after_max_retries(fake_openai, make_brain):
    for _ in range(6):
        fake_openai.fail(500)

    outcome = await collect(make_brain(bot_max_retries=2))

    text = assert_presentable(outcome.error)
    assert "500" in text and "server error" in text
    assert outcome.pieces == []
    assert len(fake_openai.chat_requests) == 1 + 2


@pytest.mark.asyncio
async def test_rate_limit_waits_as_long_as_retry_after_says(fake_openai, make_brain):
    fake_openai.rate_limit(retry_after=0.6)
    fake_openai.reply("after the wait")

    outcome = await collect(make_brain())

    assert outcome.error is None
    assert outcome.text == "after the wait"
    first, second = fake_openai.chat_requests
    waited = second.at - first.at
    assert 0.55 <= waited <= 1.2, waited


@pytest.mark.asyncio
async def test_rate_limit_longer_than_we_can_wait_fails_at_once(fake_openai, make_brain):
    fake_openai.rate_limit(retry_after=120)

    outcome = await collect(make_brain())

    text = assert_presentable(outcome.error)
    assert "rate limiting us (429)" in text
    assert outcome.elapsed < 1.0
    assert len(fake_openai.chat_requests) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("after_headers", [False, True], ids=["silent", "headers-only"])
async def test_hanging_server_fails_within_the_idle_timeout(fake_openai, make_brain, after_headers):
    fake_openai.hang(after_headers=after_headers)

    outcome = await collect(make_brain(bot_idle_timeout=0.5))

    text = assert_presentable(outcome.error)
    assert text == "The model stopped answering (no data for 0.5 s)."
    assert 0.45 <= outcome.elapsed < 1.0, outcome.elapsed
    # A hang is not retried: the person already waited a whole idle timeout.
    assert len(fake_openai.chat_requests) == 1


@pytest.mark.asyncio
async def test_slow_first_token_within_the_idle_timeout_is_fine(fake_openai, make_brain):
    fake_openai.slow_first_token(0.3, "worth the wait")

    outcome = await collect(make_brain(bot_idle_timeout=0.5))

    assert outcome.error is None
    assert outcome.text == "worth the wait"
    assert outcome.times[0] >= 0.3


@pytest.mark.asyncio
async def test_slow_first_token_beyond_the_idle_timeout_fails(fake_openai, make_brain):
    fake_openai.slow_first_token(2.0)

    outcome = await collect(make_brain(bot_idle_timeout=0.5))

    assert "stopped answering" in assert_presentable(outcome.error)
    assert outcome.elapsed < 1.0


@pytest.mark.asyncio
@pytest.mark.parametrize("clean", [False, True], ids=["connection-dropped", "no-finish-reason"])
async def test_a_stream_cut_off_keeps_the_words_and_is_not_retried(fake_openai, make_brain, clean):
    fake_openai.cut_off(after_words=3, clean=clean)
    fake_openai.reply("this must never be requested")

    outcome = await collect(make_brain())

    assert outcome.pieces == ["one ", "two ", "three "]
    assert "cut off" in assert_presentable(outcome.error)
    assert len(fake_openai.chat_requests) == 1


@pytest.mark.asyncio
async def test_drop_before_the_first_word_is_retried(fake_openai, make_brain):
    fake_openai.cut_off(after_words=0)
    fake_openai.reply("fresh start")

    outcome = await collect(make_brain())

    assert outcome.error is None
    assert outcome.text == "fresh start"
    assert len(fake_openai.chat_requests) == 2


@pytest.mark.asyncio
async def test_a_stream_that_ends_before_its_first_word_says_the_context_may_not_fit(
    fake_openai, make_brain
):
    # What llama.cpp's server does, streaming, when the prompt exceeds its window.
    fake_openai.cut_off(after_words=0, clean=True)

    outcome = await collect(make_brain(bot_max_retries=0))

    assert outcome.pieces == []
    assert assert_presentable(outcome.error) == (
        "The model server ended the reply before its first word. If the conversation is "
        "long, it may not fit the model's context window: lower context_tokens."
    )


@pytest.mark.asyncio
async def test_unreachable_server_is_explained_without_its_address(make_brain, caplog):
    # A bound socket that never listens: connecting to it is refused, and nobody else can take the port.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"

        outcome = await collect(make_brain(openai_base_url=url, bot_max_retries=1))

    text = assert_presentable(outcome.error)
    assert text == "Could not reach the model server. Check OPENAI_BASE_URL."
    assert url in caplog.text  # the operator still learns which address failed


@pytest.mark.asyncio
async def test_total_timeout_stops_a_slow_but_steady_reply(fake_openai, make_brain):
    fake_openai.reply(" ".join(f"w{i}" for i in range(40)), words_per_second=10)

    outcome = await collect(make_brain(bot_idle_timeout=0.5, bot_total_timeout=0.8))

    text = assert_presentable(outcome.error)
    assert text == "The model took too long (over 0.8 s)."
    assert 3 <= len(outcome.pieces) < 40
    assert 0.75 <= outcome.elapsed < 1.3, outcome.elapsed


@pytest.mark.asyncio
async def test_concurrent_replies_stream_side_by_side(fake_openai, make_brain):
    brain = make_brain()
    for _ in range(3):
        fake_openai.reply("a b c d e f", words_per_second=10)

    start = time.monotonic()
    outcomes = await asyncio.gather(*(collect(brain) for _ in range(3)))
    elapsed = time.monotonic() - start

    assert [o.text for o in outcomes] == ["a b c d e f"] * 3
    # Each takes ~0.5 s; one after another would be ~1.5 s.
    assert elapsed < 1.2, elapsed


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500, 503])
async def test_the_api_key_never_reaches_an_error_message(fake_openai, make_brain, status):
    for _ in range(3):
        fake_openai.fail(status, message=f"Incorrect API key provided: {KEY}. Bearer {KEY}")

    brain = make_brain()
    outcome = await collect(brain)

    text = assert_presentable(outcome.error)
    assert KEY not in text and "canary" not in text
    assert KEY not in brain.description
    assert fake_openai.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.asyncio
async def test_refused_request_shows_the_server_reason(fake_openai, make_brain):
    fake_openai.fail(400, message="max_tokens is too large for this model")

    outcome = await collect(make_brain())

    text = assert_presentable(outcome.error)
    assert text == "The model server refused the request (400): max_tokens is too large for this model"
    assert len(fake_openai.chat_requests) == 1


@pytest.mark.asyncio
async def test_unknown_model_names_the_model(fake_openai, make_brain):
    fake_openai.fail(404, message="model not found")

    outcome = await collect(make_brain())

    assert "'fake-model-1'" in assert_presentable(outcome.error)


@pytest.mark.asyncio
async def test_description_names_the_model_but_no_address_or_secret(fake_openai, make_brain):
    url = fake_openai.base_url.replace("http://", "http://user:hunter2@")

    brain = make_brain(openai_base_url=url)

    # Everyone in the room reads the description (@bot /help): no host, port or credentials.
    assert brain.description == "OpenAI-compatible model fake-model-1"
    assert brain.url == fake_openai.base_url  # kept for the log and for errors only


@pytest.mark.asyncio
async def test_imagine_returns_the_png(fake_openai, make_brain):
    png = await make_brain().imagine("a red pixel")

    assert png.startswith(PNG_SIGNATURE)
    assert png == fake_openai.png
    (request,) = fake_openai.image_requests
    assert request.body == {"model": "dall-e-3", "prompt": "a red pixel", "response_format": "b64_json"}


@pytest.mark.asyncio
async def test_imagine_with_gpt_image_models_sends_no_response_format(fake_openai, make_brain):
    png = await make_brain(image_model="gpt-image-1").imagine("a red pixel")

    assert png == fake_openai.png
    (request,) = fake_openai.image_requests
    assert "response_format" not in request.body


@pytest.mark.asyncio
async def test_imagine_refuses_an_image_url_that_is_not_https(fake_openai, make_brain):
    fake_openai.image_as_url()  # http://127.0.0.1:<port>/files/tiny.png

    with pytest.raises(BrainError, match="not https; it was not fetched"):
        await make_brain().imagine("a red pixel")

    assert [r.method for r in fake_openai.requests] == ["POST"]  # the URL was never fetched


@pytest.mark.asyncio
async def test_imagine_failure_is_a_brain_error(fake_openai, make_brain):
    fake_openai.fail(400, message="Your prompt was rejected by the safety system.")

    with pytest.raises(BrainError) as caught:
        await make_brain().imagine("something forbidden")

    text = assert_presentable(caught.value)
    assert "rejected by the safety system" in text


@pytest.mark.asyncio
async def test_a_key_of_any_shape_is_scrubbed(fake_openai, make_brain):
    key = "local-canary-7781"
    fake_openai.fail(400, message=f"key {key} is not valid for this model")

    outcome = await collect(make_brain(openai_api_key=key))

    text = assert_presentable(outcome.error)
    assert key not in text and "7781" not in text
    assert text.startswith("The model server refused the request (400)")
