"""The SearchStore interface: full-text search over messages, within the rooms given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chat.search_query import SearchHit, SearchOrder, SearchQuery


class SearchStore(Protocol):
    """Finds messages by their words; deleted messages (tombstones) are never found."""

    async def search_messages(
        self, query: SearchQuery, rooms: Sequence[str], order: SearchOrder, limit: int
    ) -> list[SearchHit]:
        """Up to `limit` messages of `rooms` matching `query`, in `order`, each with a snippet.

        Only `rooms` are searched: the caller decides which rooms a person may read.
        An empty query or no rooms finds nothing.
        """
