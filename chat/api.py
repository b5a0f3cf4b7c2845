"""HTTP routes beside the Flet app: health, stats, generated images, the bot's stream."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing

from fastapi import APIRouter, Request
from fastapi.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)

from chat.bot.images import URL_PREFIX
from chat.bot.provider import BrainError, Turn
from chat.bot.reply_text import without_secrets

log = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant")


def build_router(confab) -> APIRouter:
    """Routes for one Confab process; they read its service, brain and images."""
    router = APIRouter()
    settings = confab.settings

    @router.get("/healthz")
    async def healthz() -> Response:
        health = await confab.service.health()
        body = f"{'ok' if health.ok else 'unavailable'}\nstore: {health.store}\nbus: {health.bus}\n"
        return PlainTextResponse(body, status_code=200 if health.ok else 503)

    @router.get("/api/stats")
    async def stats() -> JSONResponse:
        return JSONResponse(await confab.service.stats())

    @router.get(URL_PREFIX + "{name}")
    async def image(name: str) -> Response:
        path = confab.images.path_of(name)
        if path is None:
            return PlainTextResponse("no such image", status_code=404)
        return FileResponse(
            path, media_type="image/png", headers={"Cache-Control": "max-age=31536000, immutable"}
        )

    @router.post("/api/bot/stream")
    async def bot_stream(request: Request) -> Response:
        if not settings.api_token:
            return _error(404, "The bot API is off: set CHAT_API_TOKEN to enable it.")
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {settings.api_token}".encode()):
            return _error(401, "Send Authorization: Bearer <CHAT_API_TOKEN>.")
        body = await read_limited(request, settings.api_max_body_bytes)
        if body is None:
            return _error(
                413, f"The request body is larger than {settings.api_max_body_bytes} bytes."
            )
        try:
            turns = _parse_turns(body)
        except ValueError as exc:
            return _error(400, str(exc))
        return StreamingResponse(
            # The model may repeat the key it was called with: it never reaches the caller.
            _sse(without_secrets(confab.brain.stream(turns), confab.bot.secrets)),
            media_type="text/event-stream",
            # Each event as it comes: no caching, and no buffering in nginx-style proxies.
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes (a lying Content-Length too)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _parse_turns(body: bytes) -> list[Turn]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(
            'The body must be JSON: {"messages": [{"role": ..., "content": ...}]}'
        ) from None
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list) or not messages:
        raise ValueError('"messages" must be a non-empty list.')
    turns = []
    for item in messages:
        if (
            not isinstance(item, dict)
            or item.get("role") not in ROLES
            or not isinstance(item.get("content"), str)
        ):
            raise ValueError(
                "Each message needs a role (system, user or assistant) and string content."
            )
        turns.append(Turn(item["role"], item["content"]))
    return turns


async def _sse(chunks: AsyncGenerator[str, None]) -> AsyncIterator[bytes]:
    # aclosing: a client that hangs up closes the model's stream now, not at garbage collection.
    try:
        async with aclosing(chunks):
            async for chunk in chunks:
                yield _event({"delta": chunk})
    except BrainError as exc:
        yield _event({"error": str(exc)}, name="error")
        return
    except Exception:
        # A bug, not an upstream fault: logged whole here, a short line for the client.
        log.exception("the bot API stream failed")
        yield _event(
            {"error": "Something went wrong on our side while writing this."}, name="error"
        )
        return
    yield b"data: [DONE]\n\n"


def _event(data: dict, name: str | None = None) -> bytes:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
