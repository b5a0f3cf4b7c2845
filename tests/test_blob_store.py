"""BlobStore contract: the local folder (beside SQLite) and PostgreSQL bytea, same bodies."""

from __future__ import annotations

import pytest

from chat.blobs import Blob, new_blob_id, open_blobs
from chat.blobs.folder import FolderBlobs
from chat.blobs.postgres import PostgresBlobs
from tests.test_store import store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio


@pytest.fixture
def blobs(stores, store, tmp_path):
    return open_blobs(stores.backend.url, store, tmp_path / "files")


async def test_the_store_url_chooses_the_backend(blobs, stores):
    expected = PostgresBlobs if stores.backend.name == "postgres" else FolderBlobs
    assert isinstance(blobs, expected)


async def test_a_blob_comes_back_with_its_type_and_size(blobs):
    blob_id = new_blob_id()
    data = bytes(range(256)) * 5
    await blobs.put(blob_id, data, "application/pdf")
    assert await blobs.get(blob_id) == Blob(blob_id, "application/pdf", data)
    assert (await blobs.get(blob_id)).size == 1280


async def test_a_missing_blob_is_none_and_deleting_it_says_so(blobs):
    assert await blobs.get(new_blob_id()) is None
    assert await blobs.delete(new_blob_id()) is False


async def test_a_put_replaces_and_a_delete_removes(blobs):
    blob_id = new_blob_id()
    await blobs.put(blob_id, b"one", "text/plain")
    await blobs.put(blob_id, b"", "image/png")
    assert await blobs.get(blob_id) == Blob(blob_id, "image/png", b"")
    assert await blobs.delete(blob_id) is True
    assert await blobs.get(blob_id) is None


async def test_suffixed_ids_belong_to_their_blob_and_paths_are_refused(blobs):
    blob_id = new_blob_id()
    await blobs.put(f"{blob_id}.thumb", b"small", "image/png")
    assert await blobs.get(blob_id) is None
    for bad in ("../confab.db", "x", f"{blob_id}/../x", blob_id.upper()):
        with pytest.raises(ValueError):
            await blobs.get(bad)
        with pytest.raises(ValueError):
            await blobs.put(bad, b"", "text/plain")


async def test_the_folder_keeps_nothing_half_written(tmp_path):
    blobs = FolderBlobs(tmp_path / "files")
    blob_id = new_blob_id()
    await blobs.put(blob_id, b"x" * 10_000, "application/zip")
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == [blob_id, f"{blob_id}.type"]


async def test_blobs_put_before_a_time_are_listed_and_later_ones_are_not(blobs):
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC) - timedelta(minutes=1)
    first, second = new_blob_id(), new_blob_id()
    await blobs.put(first, b"one", "text/plain")
    await blobs.put(f"{second}.json", b"{}", "application/json")
    assert await blobs.ids_before(before) == []
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert sorted(await blobs.ids_before(later)) == sorted([first, f"{second}.json"])
