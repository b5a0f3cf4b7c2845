"""ReadsStore contract: read positions on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import pytest

from tests.test_store import store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio


async def test_a_person_without_marks_has_read_nothing(store):
    assert await store.read_marks("p-ann") == {}


async def test_a_mark_is_kept_per_person_and_per_room(store):
    assert await store.mark_read("p-ann", "general", 4) == 4
    assert await store.mark_read("p-ann", "random", 9) == 9
    assert await store.mark_read("p-bob", "general", 2) == 2
    assert await store.read_marks("p-ann") == {"general": 4, "random": 9}
    assert await store.read_marks("p-bob") == {"general": 2}


async def test_a_mark_only_moves_forward(store):
    await store.mark_read("p-ann", "general", 7)
    # Another tab of the same person, behind this one, saves later: it must not undo the read.
    assert await store.mark_read("p-ann", "general", 3) == 7
    assert await store.mark_read("p-ann", "general", 8) == 8
    assert await store.read_marks("p-ann") == {"general": 8}


async def test_marks_outlive_the_connection(stores):
    first = await stores.open()
    await first.mark_read("p-ann", "general", 5)
    await first.close()
    again = await stores.open()
    assert await again.read_marks("p-ann") == {"general": 5}


async def test_the_read_marks_migration_is_applied_after_the_people(store):
    applied = await store.applied_migrations()
    assert "0016_read_marks" in applied
    assert applied.index("0012_invites") < applied.index("0016_read_marks")


async def test_many_marks_are_saved_at_once_and_still_only_move_forward(store):
    await store.mark_read("p-ann", "general", 6)
    await store.mark_reads([("p-ann", "general", 2), ("p-ann", "random", 3), ("p-bob", "general", 9)])
    assert await store.read_marks("p-ann") == {"general": 6, "random": 3}
    assert await store.read_marks("p-bob") == {"general": 9}
    await store.mark_reads([])  # nothing to save is no error
