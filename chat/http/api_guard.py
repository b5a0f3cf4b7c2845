"""What every /api/v1 request passes: rate limits, and every failure turned into JSON with words.

Errors are `{"error": "..."}` with the status that says what to do: 401 (send a
good token), 404 (no such room for you), 413, 429 with Retry-After, 503 when
the database is not answering.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from chat.access_tokens import NotSignedIn
from chat.config import Settings
from chat.limits import BucketsByKey
from chat.rules import Rejected, TooFast
from chat.store.base import StoreUnavailable

log = logging.getLogger(__name__)

STORE_DOWN = "The database is not answering, so nothing was read or saved. Try again in a moment."


class NotFound(Rejected):
    """No such thing for this caller (a private room they are not in looks the same as none)."""


class TooLarge(Rejected):
    """The request body is over the limit."""


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON every /api/v1 failure answers with."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def answer_failure(exc: Exception) -> JSONResponse:
    """The response for an exception a route raised; re-raises what it does not know."""
    if isinstance(exc, StoreUnavailable) or isinstance(exc.__cause__, StoreUnavailable):
        log.warning("an API request failed: the store is down: %s", exc)
        return error(503, STORE_DOWN, {"Retry-After": "5"})
    if isinstance(exc, TooFast):
        wait = max(1, math.ceil(exc.retry_after))
        return error(429, str(exc), {"Retry-After": str(wait)})
    statuses = ((NotSignedIn, 401), (NotFound, 404), (TooLarge, 413), (Rejected, 400))
    for kind, status in statuses:
        if isinstance(exc, kind):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return error(status, str(exc), headers)
    raise exc


class ApiRoute(APIRoute):
    """A route whose failures become JSON errors (see answer_failure)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return error(400, _validation_words(exc))
            except (Rejected, StoreUnavailable) as exc:
                return answer_failure(exc)
            except Exception:
                # A bug, not the caller's fault: logged whole here, a short JSON line for them.
                log.exception("an API request failed: %s %s", request.method, request.url.path)
                return error(500, "Something went wrong on our side; it was logged.")

        return guarded


def _validation_words(exc: RequestValidationError) -> str:
    problems = []
    for item in exc.errors():
        where = ".".join(str(part) for part in item.get("loc", ()) if part not in ("query", "path"))
        problems.append(f"{where}: {item.get('msg', 'not valid')}")
    return "The request is not valid: " + "; ".join(problems)


class ApiLimits:
    """Token buckets per client address (checked first, so guessing tokens costs) and per key."""

    def __init__(self, settings: Settings, clock: Callable[[], float] | None = None):
        extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
        per_key, per_address = settings.api_rate_per_minute, settings.api_address_rate_per_minute
        self._by_key = BucketsByKey(per_key / 60, per_key, **extra)
        self._by_address = BucketsByKey(per_address / 60, per_address, **extra)

    def address(self, request: Request) -> str:
        """Spend one of the request's address's tokens; TooFast when it has none left."""
        address = request.client.host if request.client else ""
        self._take(self._by_address.take(address), "from your address")
        return address

    def key(self, key: str) -> None:
        """Spend one of `key`'s tokens (a token id, a webhook id); TooFast when it has none left."""
        self._take(self._by_key.take(key), "with this token")

    @staticmethod
    def _take(wait: float, whose: str) -> None:
        if wait > 0:
            raise TooFast(f"Too many API requests {whose}: try again in {math.ceil(wait)} s.", wait)
