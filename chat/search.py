"""Search for people: in one room or across every room a person may read, never further.

The one place that decides which rooms a search covers, for the page and the
HTTP API alike: the rooms the directory says the person may see (public rooms,
and private rooms they are a member of). The store searches only those.
"""

from __future__ import annotations

from chat.rooms import RoomDirectory
from chat.rules import Rejected
from chat.search_query import SearchHit, SearchOrder, parse
from chat.store.search import SearchStore
from chat.store_words import when_store_down

MAX_RESULTS = 50
"""The most results one search returns."""
DEFAULT_RESULTS = 20
"""Results returned when no limit is asked for."""

_in_words = when_store_down(
    "The database is not answering, so nothing can be searched now. Try again in a moment."
)


class RoomHidden(Rejected):
    """A search asked for a room that does not exist or that the person may not read."""

    def __init__(self, room: str) -> None:
        super().__init__(f"There is no room “{room}” that you can see.")
        self.room = room


def order_from(raw: str | None) -> SearchOrder:
    """The order named `raw` ("newest" when missing); Rejected with the choices otherwise."""
    try:
        return SearchOrder((raw or SearchOrder.NEWEST.value).strip().lower())
    except ValueError:
        raise Rejected("order must be “newest” or “best”.") from None


class MessageSearch:
    """Finds messages for a person, only in rooms that person may read."""

    def __init__(self, store: SearchStore, directory: RoomDirectory):
        self._store = store
        self._directory = directory

    @_in_words
    async def find(
        self,
        person_id: str | None,
        raw_query: str,
        room: str | None = None,
        order: SearchOrder = SearchOrder.NEWEST,
        limit: int = DEFAULT_RESULTS,
    ) -> list[SearchHit]:
        """Messages matching `raw_query` (anything a person types), in `room` or in every
        room `person_id` may read; RoomHidden for a room they may not read."""
        if not 1 <= limit <= MAX_RESULTS:
            raise Rejected(f"limit must be from 1 to {MAX_RESULTS}.")
        query = parse(raw_query)
        if query.is_empty:
            return []
        if room is not None:
            if not await self._directory.may_see(room, person_id):
                raise RoomHidden(room)
            rooms = [room]
        else:
            rooms = [r.name for r in await self._directory.rooms(person_id)]
        return await self._store.search_messages(query, rooms, order, limit)
