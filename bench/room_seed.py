"""Rooms and stored messages written straight into a SQLite file, and servers started on copies of it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bench.apps import confab_server
from bench.sessions import message_token
from bench.stats import rounded
from bench.stream import TimedModel
from chat.domain import Draft, Room
from chat.store.sqlite import SQLiteStore

BIG_ROOM = "archive"
"""The room that holds the many stored messages (scenario 2)."""
SENDER_BASE = 999
"""Stored messages carry tokens zq999k<i>qz, so a session can see which ones arrived."""
FEW = 10
"""Messages stored in each other room when the big room is seeded: rooms with some history."""


def team(index: int) -> str:
    """The name of the benchmark's room number `index` (also its URL, /r/team-<index>)."""
    return f"team-{index}"


async def seed_rooms(database: Path, count: int, stored: int = 0) -> int:
    """Create rooms team-0... (`count` rooms in all); with `stored`, one of them is BIG_ROOM holding that many.

    With `stored`, every other room gets FEW messages; returns how many each
    of those holds. Every message is its own commit through the real store, as in use.
    """
    store = SQLiteStore(f"sqlite:///{database}")
    await store.open()
    try:
        teams = [team(i) for i in range(count - 1 if stored else count)]
        for name in [*teams, BIG_ROOM] if stored else teams:
            await store.create_room(Room(name, topic=f"bench room {name}", created_by="bench"))
        if not stored:
            return 0
        for name in teams:
            for i in range(FEW):
                await _store_note(store, name, i)
        for i in range(stored):
            await _store_note(store, BIG_ROOM, i)
        return FEW
    finally:
        await store.close()


async def _store_note(store: SQLiteStore, room: str, index: int) -> None:
    text = f"stored note about the roadmap {message_token(SENDER_BASE, index)}"
    await store.add_message(Draft(room, f"Writer{index % 7}", text))


async def with_server(work_dir: Path, model: TimedModel, seeded: Path, measure):
    """Start a server on a fresh copy of the seeded file (people who joined one run own their names)."""
    database = Path(tempfile.mkdtemp(prefix="db-", dir=work_dir)) / seeded.name
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{seeded}{suffix}").exists():
            shutil.copyfile(f"{seeded}{suffix}", f"{database}{suffix}")
    server = confab_server(work_dir, model.base_url, database=database).start()
    try:
        return await measure(server)
    finally:
        server.stop()


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b to two places, or None when either is missing (a same-run ratio for the report)."""
    return rounded(a / b, 2) if a is not None and b else None
