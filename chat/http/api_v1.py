"""/api/v1: rooms and messages for scripts, with personal access tokens; incoming webhooks.

Thin: each route checks who calls (chat.access_tokens), then asks the services
the UI uses, so a message posted here reaches every tab live and the bot
answers its @mentions. Failures are JSON (chat/http/api_guard.py).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from chat.access import HOOK_PATH
from chat.access_tokens import Caller
from chat.api import read_limited
from chat.attachments import FILES_PATH
from chat.domain import Message, Room
from chat.http.api_guard import ApiLimits, ApiRoute, NotFound, TooLarge
from chat.rules import Rejected
from chat.search import DEFAULT_RESULTS, order_from
from chat.search_query import SearchHit

PREFIX = "/api/v1"
MAX_SEQ = 2**62
"""Sequence numbers past this are refused before they reach a database's 64-bit integers."""


def build_api_v1(confab: Any) -> APIRouter:
    """The /api/v1 routes of one Confab process."""
    router = APIRouter(prefix=PREFIX, route_class=ApiRoute)
    settings = confab.settings
    limits = ApiLimits(settings)
    directory = confab.service.directory

    async def caller(request: Request) -> tuple[Caller, str]:
        address = limits.address(request)
        who = await confab.access.caller(request.headers.get("authorization"))
        limits.key(f"token:{who.token.id}")
        return who, address

    async def visible_room(room: str, who: Caller) -> None:
        if not await directory.may_see(room, who.person.id):
            raise NotFound(f"There is no room “{room}” that you can see.")

    async def body(request: Request) -> dict[str, Any]:
        raw = await read_limited(request, settings.api_max_body_bytes)
        if raw is None:
            raise TooLarge(f"The request body is larger than {settings.api_max_body_bytes} bytes.")
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if not isinstance(data, dict):
            raise Rejected('The body must be a JSON object, for example {"text": "hello"}.')
        return data

    @router.get("/rooms")
    async def my_rooms(request: Request) -> JSONResponse:
        who, _ = await caller(request)
        rooms = await directory.rooms(who.person.id)
        return JSONResponse({"rooms": [room_json(room) for room in rooms]})

    @router.post("/rooms")
    async def create_room(request: Request) -> JSONResponse:
        who, _ = await caller(request)
        data = await body(request)
        name, topic, private = data.get("name"), data.get("topic", ""), data.get("private", False)
        if not isinstance(name, str) or not isinstance(topic, str) or not isinstance(private, bool):
            raise Rejected(
                'Send {"name": "...", "topic": "...", "private": false}; name is needed.'
            )
        room = await directory.create_room(name, topic, who.person, private=private)
        return JSONResponse({"room": room_json(room)}, status_code=201)

    @router.get("/rooms/{room}/messages")
    async def messages(request: Request, room: str, after: int = 0, limit: int = 0) -> JSONResponse:
        who, _ = await caller(request)
        await visible_room(room, who)
        most = settings.history_page
        if not 0 <= after <= MAX_SEQ or not 0 <= limit <= most:
            raise Rejected(f"after must be 0 or more, and limit from 1 to {most} (0: {most}).")
        wanted = limit or most
        found = await confab.service.history_after(room, after, wanted + 1)
        page = found[:wanted]
        next_after = page[-1].seq if page else after
        return JSONResponse(
            {
                "room": room,
                "messages": [message_json(m) for m in page],
                "next_after": next_after,
                "more": len(found) > wanted,
            }
        )

    @router.post("/rooms/{room}/messages")
    async def post_message(request: Request, room: str) -> JSONResponse:
        who, address = await caller(request)
        await visible_room(room, who)
        data = await body(request)
        text, reply_to = _text(data), data.get("reply_to")
        if reply_to is not None and not isinstance(reply_to, str):
            raise Rejected('reply_to is the id of the message replied to: {"reply_to": "..."}.')
        session_id = confab.service.api_session(who.person.id, address)
        message = await confab.service.post_message(
            room, session_id, who.person.name, text, reply_to=reply_to
        )
        if message is None:
            raise Rejected("The message is empty: there is nothing to send.")
        return JSONResponse({"message": message_json(message)}, status_code=201)

    @router.get("/search")
    async def search(
        request: Request,
        q: str = "",
        room: str | None = None,
        order: str | None = None,
        limit: int = DEFAULT_RESULTS,
    ) -> JSONResponse:
        who, _ = await caller(request)
        if room is not None:
            await visible_room(room, who)
        hits = await confab.service.search.find(who.person.id, q, room, order_from(order), limit)
        return JSONResponse({"query": q, "results": [hit_json(hit) for hit in hits]})

    @router.post(HOOK_PATH.removeprefix(PREFIX) + "{secret}")
    async def webhook(request: Request, secret: str) -> JSONResponse:
        limits.address(request)
        hook = await confab.webhooks.by_secret(secret)
        if hook is None:
            raise NotFound("This webhook URL is not valid: it is wrong or was revoked.")
        limits.key(f"webhook:{hook.id}")
        text = _text(await body(request))
        message = await confab.service.post_integration(hook.room, hook.name, hook.id, text)
        if message is None:
            raise Rejected("The message is empty: there is nothing to send.")
        return JSONResponse({"message": message_json(message)}, status_code=201)

    @router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def no_such_route(request: Request, path: str) -> JSONResponse:
        # Without this the Flet app, mounted at /, would answer a typo with its HTML page.
        limits.address(request)
        raise NotFound(
            f"Confab's API has no {request.method} {request.url.path}; see the README's HTTP API."
        )

    return router


SEARCH_ALIAS = "/api/search"
"""The search path the issue names, served by the same route as /api/v1/search."""


def search_alias(api_v1: APIRouter) -> APIRouter:
    """A router serving SEARCH_ALIAS with /api/v1/search's own handler: same auth, limits, code."""
    endpoint = next(
        route.endpoint
        for route in api_v1.routes
        if isinstance(route, APIRoute) and route.path == f"{PREFIX}/search"
    )
    alias = APIRouter(route_class=ApiRoute)
    alias.add_api_route(SEARCH_ALIAS, endpoint, methods=["GET"])
    return alias


def _text(data: dict[str, Any]) -> str:
    text = data.get("text")
    if not isinstance(text, str):
        raise Rejected('Send the message as {"text": "..."}.')
    return text


def room_json(room: Room) -> dict[str, Any]:
    """A room as the API shows it."""
    return {
        "name": room.name,
        "topic": room.topic,
        "kind": room.kind.value,
        "created_at": room.created_at.isoformat(),
        "last_active_at": room.last_active_at.isoformat(),
    }


def message_json(message: Message) -> dict[str, Any]:
    """A message as the API shows it."""
    return {
        "id": message.id,
        "room": message.room,
        "seq": message.seq,
        "author": message.author,
        "author_id": message.author_id,
        "kind": message.kind.value,
        "status": message.status.value,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "reply_to": message.reply_to,
        "reply_count": message.reply_count,
        "attachments": [
            {
                "id": a.id,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "url": FILES_PATH + a.id,  # read with the same Authorization header
            }
            for a in message.meta.attachments
        ],
    }


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """A search result as the API shows it: the message, and its snippet in parts."""
    return {
        "message": message_json(hit.message),
        "snippet": hit.snippet_text,
        "snippet_parts": [{"text": part.text, "hit": part.hit} for part in hit.snippet],
    }
