"""MessageSearch: which rooms a search covers, its limits, and a database that does not answer."""

from __future__ import annotations

import pytest

from chat.rules import Rejected
from chat.search import MAX_RESULTS, MessageSearch, RoomHidden, order_from
from chat.search_query import SearchOrder
from chat.store.base import StoreUnavailable

pytestmark = pytest.mark.asyncio


class Room:
    def __init__(self, name: str):
        self.name = name


class Directory:
    """Alice may read general and ops; anyone else only general."""

    async def rooms(self, person_id):
        return [Room("general"), Room("ops")] if person_id == "p-alice" else [Room("general")]

    async def may_see(self, room, person_id):
        return room == "general" or (room == "ops" and person_id == "p-alice")


class RecordingStore:
    def __init__(self, fails: bool = False):
        self.asked: list[list[str]] = []
        self.fails = fails

    async def search_messages(self, query, rooms, order, limit):
        if self.fails:
            raise StoreUnavailable("no answer")
        self.asked.append(list(rooms))
        return []


async def test_every_room_means_the_rooms_the_person_may_read():
    store = RecordingStore()
    search = MessageSearch(store, Directory())  # type: ignore[arg-type]
    await search.find("p-alice", "plan")
    await search.find("p-bob", "plan")
    await search.find(None, "plan")
    assert store.asked == [["general", "ops"], ["general"], ["general"]]


async def test_a_room_the_person_may_not_read_is_refused_before_the_store_is_asked():
    store = RecordingStore()
    search = MessageSearch(store, Directory())  # type: ignore[arg-type]
    with pytest.raises(RoomHidden):
        await search.find("p-bob", "plan", room="ops")
    assert await search.find("p-alice", "plan", room="ops") == []
    assert store.asked == [["ops"]]


async def test_an_empty_query_asks_nothing_and_bad_arguments_get_words():
    store = RecordingStore()
    search = MessageSearch(store, Directory())  # type: ignore[arg-type]
    assert await search.find("p-alice", ' "" - * ( ') == []
    assert store.asked == []
    with pytest.raises(Rejected, match="limit"):
        await search.find("p-alice", "plan", limit=MAX_RESULTS + 1)
    assert order_from(None) is SearchOrder.NEWEST and order_from(" Best ") is SearchOrder.BEST
    with pytest.raises(Rejected, match="newest"):
        order_from("sideways")


async def test_a_database_that_does_not_answer_becomes_words():
    search = MessageSearch(RecordingStore(fails=True), Directory())  # type: ignore[arg-type]
    with pytest.raises(Rejected, match="not answering"):
        await search.find("p-alice", "plan")
