"""A database that does not answer, turned into words a person can act on: nothing was changed."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from chat.rules import Rejected
from chat.store.base import StoreUnavailable

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def when_store_down(
    words: str,
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """A decorator: StoreUnavailable from the method is logged and becomes Rejected(`words`)."""

    def decorate(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(method)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await method(*args, **kwargs)
            except StoreUnavailable as exc:
                log.warning("%s failed: %s", method.__qualname__, exc)
                raise Rejected(words) from exc

        return guarded

    return decorate
