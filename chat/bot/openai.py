"""The brain behind any OpenAI-compatible server: streamed replies with timeouts and bounded retries."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Sequence
from contextlib import aclosing
from typing import Any, TypeVar, cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from chat.bot.image_fetch import ImageFetcher
from chat.bot.openai_errors import (
    ReplyCutOff,
    explain,
    public_url,
    retry_delay,
    seconds,
)
from chat.bot.provider import BrainError, StreamReport, Turn
from chat.bot.thinking import ThinkSplitter
from chat.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# What the SDK, the stream and its JSON can raise; anything else is a bug and should surface as one.
_FAILURES = (openai.OpenAIError, ReplyCutOff, ValueError)


class _Deadline:
    """A point in time a whole reply must finish by."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._end = time.monotonic() + limit

    def remaining(self) -> float:
        return self._end - time.monotonic()


class OpenAIBrain:
    """A Brain that asks an OpenAI-compatible server (OpenAI, Ollama, vLLM, ...)."""

    def __init__(self, settings: Settings, fetcher: ImageFetcher | None = None) -> None:
        self._settings = settings
        # Pictures given as URLs: https, public addresses, bounded (tests inject a loopback policy).
        self._fetcher = fetcher or ImageFetcher(
            settings.image_max_bytes, settings.image_fetch_timeout
        )
        self._client = openai.AsyncOpenAI(
            api_key=settings.openai_api_key or "not-needed",
            base_url=settings.openai_base_url or None,
            # Retries happen here, and only before the first token: a half-shown reply
            # must not silently restart.
            max_retries=0,
            # A backstop only; the idle and total limits are enforced in _limit.
            timeout=settings.bot_total_timeout + 5,
        )
        self.url = public_url(str(self._client.base_url))
        """Where the server is, for error messages and the log; never in /help."""
        # Shown to everyone by @bot /help: the model only, never the server's address.
        self.description = f"OpenAI-compatible model {settings.bot_model}"

    async def stream(
        self, history: Sequence[Turn], report: StreamReport | None = None
    ) -> AsyncGenerator[str, None]:
        """Yield the reply in pieces; raise BrainError on failure.

        Reasoning (reasoning_content deltas, <think> text) and the server's token
        counts go to `report`, never into the answer.
        """
        report = report if report is not None else StreamReport()
        deadline = _Deadline(self._settings.bot_total_timeout)
        messages = [
            cast("ChatCompletionMessageParam", {"role": t.role, "content": message_content(t)})
            for t in history
        ]
        for attempt in itertools.count():
            started = False
            try:
                # aclosing: if our caller stops early, the HTTP response is closed now, not at GC.
                async with aclosing(self._attempt(messages, deadline, report)) as pieces:
                    async for piece in pieces:
                        started = True
                        yield piece
                return
            except _FAILURES as error:
                await asyncio.sleep(self._delay_or_raise(error, attempt, deadline, started))

    async def imagine(self, prompt: str) -> bytes:
        """The picture's bytes for `prompt`, at most CHAT_IMAGE_MAX_BYTES; BrainError otherwise.

        The answer is read in pieces and dropped once it is larger than a
        picture of that size could be, so a server cannot make us hold 50 MB.
        The bot checks the picture itself by decoding it (chat/bot/picture.py).
        """
        deadline = _Deadline(self._settings.bot_total_timeout)
        model = self._settings.image_model
        # GPT image models always answer in base64 and reject the parameter; older ones default to url.
        extra: dict[str, Any] = (
            {} if model.startswith("gpt-image") else {"response_format": "b64_json"}
        )
        for attempt in itertools.count():
            try:
                body = await self._limit(
                    self._image_answer(model, prompt, extra), deadline, idle=None
                )
                break
            except _FAILURES as error:
                await asyncio.sleep(self._delay_or_raise(error, attempt, deadline, False))
        image = _first_image(body)
        if image.get("b64_json"):
            try:
                data = base64.b64decode(image["b64_json"], validate=True)
            except (ValueError, TypeError) as error:
                raise BrainError("The image server sent an image we could not decode.") from error
        elif isinstance(image.get("url"), str):
            data = await self._fetcher.fetch(image["url"], time_left=deadline.remaining())
        else:
            raise BrainError("The image server answered without an image.")
        if len(data) > self._settings.image_max_bytes:
            raise BrainError(self._too_large_image())
        return data

    async def _image_answer(self, model: str, prompt: str, extra: dict) -> bytes:
        """The JSON body of one image request, read no further than an allowed picture needs."""
        # base64 is 4/3 of the bytes; the rest of the JSON is small.
        most = self._settings.image_max_bytes * 4 // 3 + 64_000
        body = bytearray()
        async with self._client.images.with_streaming_response.generate(
            model=model, prompt=prompt, **extra
        ) as response:
            async for piece in response.iter_bytes():
                body += piece
                if len(body) > most:
                    raise BrainError(self._too_large_image())  # leaving closes the connection
        return bytes(body)

    def _too_large_image(self) -> str:
        return f"The image server sent a picture larger than {self._settings.image_max_bytes:,} bytes; it was refused."

    async def aclose(self) -> None:
        """Close the HTTP connections to the server."""
        await self._client.close()

    async def _attempt(
        self, messages: list[ChatCompletionMessageParam], deadline: _Deadline, report: StreamReport
    ) -> AsyncGenerator[str, None]:
        """One request: yield content pieces; raise ReplyCutOff if no finish_reason arrives."""
        settings = self._settings
        stream = await self._limit(
            self._client.chat.completions.create(
                model=settings.bot_model,
                messages=messages,
                temperature=settings.bot_temperature,
                max_tokens=settings.bot_max_tokens,
                stream=True,
                # The usage chunk: servers that know it count the tokens; others are estimated.
                stream_options={"include_usage": True},
            ),
            deadline,
            idle=settings.bot_idle_timeout,
        )
        finished = False
        said = False
        inline = ThinkSplitter()
        try:
            while True:
                try:
                    chunk = await self._limit(
                        anext(stream), deadline, idle=settings.bot_idle_timeout
                    )
                except StopAsyncIteration:
                    break
                if chunk.usage is not None:
                    report.counted(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta is not None:
                        said = said or bool(delta.content or _reasoning_of(delta))
                        thought = _reasoning_of(delta)
                        if thought:
                            report.think(thought)
                        if delta.content:
                            answer, thought = inline.feed(delta.content)
                            if thought:
                                report.think(thought)
                            if answer:
                                yield answer
                    finished = finished or choice.finish_reason is not None
            answer, thought = inline.flush()
            if thought:
                report.think(thought)
            if answer:
                yield answer
        finally:
            await stream.close()
        if not finished:
            raise ReplyCutOff(said_a_word=said)

    async def _limit(
        self, awaitable: Awaitable[T], deadline: _Deadline, *, idle: float | None
    ) -> T:
        """Await with the idle limit (if any) and what is left of the deadline, as BrainErrors."""
        budget = deadline.remaining()
        limit = budget if idle is None else min(idle, budget)
        try:
            async with asyncio.timeout(limit):
                return await awaitable
        except TimeoutError:
            if idle is None or budget <= idle:
                raise BrainError(
                    f"The model took too long (over {seconds(deadline.limit)})."
                ) from None
            raise BrainError(
                f"The model stopped answering (no data for {seconds(idle)})."
            ) from None

    def _delay_or_raise(
        self, error: BaseException, attempt: int, deadline: _Deadline, started: bool
    ) -> float:
        """Seconds to wait before the next attempt, or raise the BrainError that ends the reply."""
        if (
            started
            and isinstance(error, openai.APIConnectionError)
            and not isinstance(error, openai.APITimeoutError)
        ):
            # Once words are shown, a dropped connection means the reply is incomplete.
            error = ReplyCutOff()
        delay = None
        if not started and attempt < self._settings.bot_max_retries:
            delay = retry_delay(error, attempt)
        if delay is None or delay >= deadline.remaining():
            message = explain(
                error, model=self._settings.bot_model, api_key=self._settings.openai_api_key
            )
            log.warning("model server %s: %s (%s)", self.url, message, type(error).__name__)
            raise BrainError(message) from error
        return delay


def _reasoning_of(delta: Any) -> str:
    """A delta's reasoning: `reasoning_content` (DeepSeek, vLLM) or `reasoning` (Ollama, OpenRouter)."""
    extra = delta.model_extra or {}
    for key in ("reasoning_content", "reasoning"):
        value = extra.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _first_image(body: bytes) -> dict:
    """The first entry of an image answer's `data` list; BrainError if there is none."""
    try:
        answer = json.loads(body)
    except ValueError as error:
        raise BrainError("The image server sent an answer we could not read.") from error
    data = answer.get("data") if isinstance(answer, dict) else None
    first = data[0] if isinstance(data, list) and data else None
    if not isinstance(first, dict):
        raise BrainError("The image server answered without an image.")
    return first


def message_content(turn: Turn) -> str | list[dict[str, Any]]:
    """A turn's content: its text, or its text and its pictures as image parts (vision)."""
    if not turn.images:
        return turn.content
    parts: list[dict[str, Any]] = [{"type": "text", "text": turn.content}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in turn.images]
    return parts
