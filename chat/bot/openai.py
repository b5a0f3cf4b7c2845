"""The brain behind any OpenAI-compatible server: streamed replies with timeouts and bounded retries."""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from contextlib import aclosing
from typing import AsyncIterator, Awaitable, Sequence, TypeVar

import httpx2  # the HTTP client openai itself depends on; plain httpx is only a dev requirement
import openai

from chat.bot.openai_errors import (
    ReplyCutOff,
    explain,
    public_url,
    retry_delay,
    seconds,
)
from chat.bot.provider import BrainError, Turn
from chat.config import Settings

T = TypeVar("T")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

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

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
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
        self.description = f"OpenAI-compatible model {settings.bot_model} at {self.url}"

    async def stream(self, history: Sequence[Turn]) -> AsyncIterator[str]:
        """Yield the reply in pieces; raise BrainError on failure."""
        deadline = _Deadline(self._settings.bot_total_timeout)
        messages = [{"role": turn.role, "content": turn.content} for turn in history]
        for attempt in itertools.count():
            started = False
            try:
                # aclosing: if our caller stops early, the HTTP response is closed now, not at GC.
                async with aclosing(self._attempt(messages, deadline)) as pieces:
                    async for piece in pieces:
                        started = True
                        yield piece
                return
            except _FAILURES as error:
                await asyncio.sleep(self._delay_or_raise(error, attempt, deadline, started))

    async def imagine(self, prompt: str) -> bytes:
        """A PNG for `prompt`; raise BrainError when the server cannot draw it."""
        deadline = _Deadline(self._settings.bot_total_timeout)
        model = self._settings.image_model
        # GPT image models always answer in base64 and reject the parameter; older ones default to url.
        extra = {} if model.startswith("gpt-image") else {"response_format": "b64_json"}
        for attempt in itertools.count():
            try:
                result = await self._limit(
                    self._client.images.generate(model=model, prompt=prompt, **extra),
                    deadline,
                    idle=None,
                )
                break
            except _FAILURES as error:
                await asyncio.sleep(self._delay_or_raise(error, attempt, deadline, False))
        image = result.data[0] if result.data else None
        if image is not None and image.b64_json:
            try:
                data = base64.b64decode(image.b64_json, validate=True)
            except ValueError as error:
                raise BrainError("The image server sent an image we could not decode.") from error
        elif image is not None and image.url:
            data = await self._download(image.url, deadline)
        else:
            raise BrainError("The image server answered without an image.")
        if not data.startswith(PNG_SIGNATURE):
            raise BrainError("The image server sent an image that is not a PNG.")
        return data

    async def aclose(self) -> None:
        """Close the HTTP connections to the server."""
        await self._client.close()

    async def _attempt(self, messages: list[dict], deadline: _Deadline) -> AsyncIterator[str]:
        """One request: yield content pieces; raise ReplyCutOff if no finish_reason arrives."""
        settings = self._settings
        stream = await self._limit(
            self._client.chat.completions.create(
                model=settings.bot_model,
                messages=messages,
                temperature=settings.bot_temperature,
                max_tokens=settings.bot_max_tokens,
                stream=True,
            ),
            deadline,
            idle=settings.bot_idle_timeout,
        )
        finished = False
        try:
            while True:
                try:
                    chunk = await self._limit(anext(stream), deadline, idle=settings.bot_idle_timeout)
                except StopAsyncIteration:
                    break
                for choice in chunk.choices:
                    if choice.delta is not None and choice.delta.content:
                        yield choice.delta.content
                    finished = finished or choice.finish_reason is not None
        finally:
            await stream.close()
        if not finished:
            raise ReplyCutOff()

    async def _limit(self, awaitable: Awaitable[T], deadline: _Deadline, *, idle: float | None) -> T:
        """Await with the idle limit (if any) and what is left of the deadline, as BrainErrors."""
        budget = deadline.remaining()
        limit = budget if idle is None else min(idle, budget)
        try:
            async with asyncio.timeout(limit):
                return await awaitable
        except TimeoutError:
            if idle is None or budget <= idle:
                raise BrainError(f"The model took too long (over {seconds(deadline.limit)}).") from None
            raise BrainError(f"The model stopped answering (no data for {seconds(idle)}).") from None

    def _delay_or_raise(
        self, error: BaseException, attempt: int, deadline: _Deadline, started: bool
    ) -> float:
        """Seconds to wait before the next attempt, or raise the BrainError that ends the reply."""
        if started and isinstance(error, openai.APIConnectionError) and not isinstance(
            error, openai.APITimeoutError
        ):
            # Once words are shown, a dropped connection means the reply is incomplete.
            error = ReplyCutOff()
        delay = None
        if not started and attempt < self._settings.bot_max_retries:
            delay = retry_delay(error, attempt)
        if delay is None or delay >= deadline.remaining():
            message = explain(
                error,
                url=self.url,
                model=self._settings.bot_model,
                api_key=self._settings.openai_api_key,
            )
            raise BrainError(message) from error
        return delay

    async def _download(self, url: str, deadline: _Deadline) -> bytes:
        """Fetch an image the server returned as a URL (older image models, some local servers)."""
        try:
            async with httpx2.AsyncClient(timeout=max(deadline.remaining(), 0.1)) as client:
                response = await client.get(url)
                response.raise_for_status()
                return response.content
        except httpx2.HTTPError as error:
            raise BrainError("Could not download the image from the model server.") from error
