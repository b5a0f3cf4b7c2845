"""UnreadBook: counting what a person has not read, and saving what they have, on a real SQLite file."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from chat.domain import Draft, MessageKind, ReadMoved, Room, RoomKind
from chat.reads import Reader, Unread, UnreadBook
from chat.store import open_store
from chat.ui.markdown_safety import mentions

pytestmark = pytest.mark.asyncio

ANN = Reader("p-ann", "Ann")


@pytest_asyncio.fixture
async def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'reads.db'}")
    await opened.open()
    yield opened
    await opened.close()


async def post(store, room: str, text: str, author_id: str | None = "p-bob", **fields):
    return await store.add_message(
        Draft(
            room=room, author=fields.pop("author", "Bob"), text=text, author_id=author_id, **fields
        )
    )


async def test_counts_what_others_wrote_after_the_mark_not_own_or_system_lines(store):
    book = UnreadBook(store, mentions)
    general = Room("general")
    await post(store, "general", "before")
    await store.mark_read("p-ann", "general", 1)
    await post(store, "general", "hello")
    await post(store, "general", "mine", author_id="p-ann", author="Ann")
    await post(store, "general", "Bob joined", author_id=None, kind=MessageKind.SYSTEM)
    await post(store, "general", "again")
    found = await book.unread(ANN, [general])
    assert found == {"general": Unread(count=2, mention=False, last_seq=5)}
    assert found["general"].label == "2"


async def test_an_at_mention_outside_code_or_any_dm_message_is_a_mention(store):
    book = UnreadBook(store, mentions)
    await store.mark_read("p-ann", "general", 0)
    await post(store, "general", "see `@ann` in code")
    assert not (await book.unread(ANN, [Room("general")]))["general"].mention
    await post(store, "general", "@ann look")
    assert (await book.unread(ANN, [Room("general")]))["general"].mention
    await post(store, "dm-1", "no name here")
    dm = Room("dm-1", "Ann and Bob", kind=RoomKind.DM)
    assert (await book.unread(ANN, [dm]))["dm-1"] == Unread(count=1, mention=True, last_seq=1)


async def test_public_rooms_never_opened_are_not_counted_private_ones_are(store):
    book = UnreadBook(store, mentions)
    await post(store, "lobby", "hi")
    await post(store, "secret", "hi")
    rooms = [Room("lobby"), Room("secret", kind=RoomKind.PRIVATE)]
    assert set(await book.unread(ANN, rooms)) == {"secret"}
    await store.mark_read("p-ann", "lobby", 0)
    assert set(await book.unread(ANN, rooms)) == {"lobby", "secret"}


async def test_a_long_backlog_shows_as_99_plus(store):
    book = UnreadBook(store, mentions)
    await store.mark_read("p-ann", "general", 0)
    for i in range(120):
        await post(store, "general", f"message {i}")
    found = (await book.unread(ANN, [Room("general")]))["general"]
    assert found.count == 100 and found.label == "99+"


async def test_arrived_counts_each_message_once(store):
    book = UnreadBook(store, mentions)
    message = await post(store, "general", "@Ann hi")
    once = book.arrived(Unread(), message, ANN, direct=False)
    assert once == Unread(count=1, mention=True, last_seq=1)
    assert book.arrived(once, message, ANN, direct=False) == once  # an echo counts nothing


async def test_reads_are_coalesced_and_saved_and_seen_before_they_are_saved(store):
    book = UnreadBook(store, mentions, save_delay=0.05)
    book.seen("p-ann", "general", 3)
    book.seen("p-ann", "general", 5)
    book.seen("p-ann", "general", 4)  # a tab behind another: never moves the mark back
    assert await book.marks("p-ann") == {"general": 5}  # not saved yet, already known here
    assert await store.read_marks("p-ann") == {}
    await asyncio.sleep(0.2)
    assert await store.read_marks("p-ann") == {"general": 5}


async def test_opening_a_room_reads_it_to_the_end_and_close_saves_at_once(store):
    book = UnreadBook(store, mentions, save_delay=60)
    await post(store, "general", "one")
    await post(store, "general", "two")
    await book.seen_to_end("p-ann", "general")
    await book.close()
    assert await store.read_marks("p-ann") == {"general": 2}


async def test_opening_an_empty_public_room_counts_it_from_then_on(store):
    book = UnreadBook(store, mentions, save_delay=60)
    await book.seen_to_end("p-ann", "lobby")  # nothing in it yet: still, she opened it
    assert set(await book.unread(ANN, [Room("lobby")])) == {"lobby"}
    await book.close()
    assert await store.read_marks("p-ann") == {"lobby": 0}


async def test_a_read_the_store_refused_is_kept_for_the_next_try(store, tmp_path):
    book = UnreadBook(store, mentions, save_delay=60)
    book.seen("p-ann", "general", 2)
    await store.close()
    await book.save()  # the store is closed: StoreUnavailable, logged
    await store.open()
    assert await store.read_marks("p-ann") == {}
    assert await book.marks("p-ann") == {"general": 2}  # still waiting to be saved
    await book.close()
    assert await store.read_marks("p-ann") == {"general": 2}


class Tab:
    """A ReadFollower that records what it is told."""

    def __init__(self) -> None:
        self.told: list[tuple[str, int]] = []

    def read_elsewhere(self, room: str, seq: int) -> None:
        self.told.append((room, seq))

    def arrived_here(self, message) -> None:
        pass


async def test_a_saved_read_is_published_and_a_published_one_reaches_the_persons_tabs(store):
    published: list[ReadMoved] = []

    async def publish(read: ReadMoved) -> None:
        published.append(read)

    book = UnreadBook(store, mentions, save_delay=60, publish=publish)
    book.seen("p-ann", "general", 4)
    assert published == []  # not before it is saved
    await book.save()
    assert published == [ReadMoved("p-ann", "general", 4)]

    elsewhere = UnreadBook(store, mentions)  # another process's book
    ann, bob = Tab(), Tab()
    elsewhere.follow("p-ann", ann)
    elsewhere.follow("p-bob", bob)
    elsewhere.moved(published[0])
    assert ann.told == [("general", 4)] and bob.told == []


async def test_position_is_where_the_person_stands_in_one_room_saved_or_not(store):
    book = UnreadBook(store, mentions, save_delay=60)
    assert await book.position("p-ann", "general") is None  # never opened
    await store.mark_read("p-ann", "general", 3)
    assert await book.position("p-ann", "general") == 3
    book.seen("p-ann", "general", 5)
    assert await book.position("p-ann", "general") == 5
    await book.close()
