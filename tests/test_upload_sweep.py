"""Uploads no message names are swept after the grace period, over both BlobStore backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chat.message_meta import MessageMeta
from chat.blobs import new_blob_id, open_blobs
from chat.domain import Draft
from chat.upload_sweep import UploadSweep
from chat.uploads import Uploads
from tests.test_store import ROOM, store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)
GRACE = timedelta(hours=24)


@pytest.fixture
def uploads(stores, store, tmp_path):
    blobs = open_blobs(stores.backend.url, store, tmp_path / "files")
    return Uploads(blobs, "secret", tmp_path / "partial", 10_000_000, 16_000_000)


def _sweep(uploads, store, hours_from_now: float) -> UploadSweep:
    moment = datetime.now(UTC) + timedelta(hours=hours_from_now)
    return UploadSweep(uploads.blobs, store, GRACE, now=lambda: moment)


async def test_uploads_no_message_names_are_removed_after_the_grace_period(uploads, store):
    sent = await uploads.keep("ann", ROOM, "sent.png", PNG)
    await store.add_message(Draft(room=ROOM, author="ann", text="", meta=MessageMeta(attachments=(sent,))))
    unsent = await uploads.keep("ann", ROOM, "never sent.png", PNG)  # the post was refused
    half = new_blob_id()  # the process stopped before the record was written
    await uploads.blobs.put(half, b"bytes", "application/octet-stream")

    assert await _sweep(uploads, store, hours_from_now=23).sweep() == 0  # within the grace
    assert await uploads.record(unsent.id) is not None

    assert await _sweep(uploads, store, hours_from_now=25).sweep() == 2
    assert await uploads.record(unsent.id) is None
    for gone in (unsent.id, unsent.thumb_id, half):
        assert await uploads.file(gone) is None
    assert (await uploads.record(sent.id)).attachment == sent  # a sent file stays, thumbnail too
    assert await uploads.file(sent.id) is not None and await uploads.file(sent.thumb_id) is not None

    assert await _sweep(uploads, store, hours_from_now=25).sweep() == 0  # nothing left to remove


async def test_the_store_knows_which_files_a_message_names(uploads, store):
    kept = await uploads.keep("ann", ROOM, "notes.txt", b"minutes")
    await store.add_message(Draft(room=ROOM, author="ann", text="", meta=MessageMeta(attachments=(kept,))))
    assert await store.file_attached(kept.id) is True
    assert await store.file_attached(new_blob_id()) is False
    assert await _sweep(uploads, store, hours_from_now=25).sweep() == 0


async def test_the_running_app_sweeps_at_start(tmp_path):
    import asyncio
    import os

    from chat.blobs.folder import FolderBlobs
    from tests.confab_harness import serve_confab

    blobs = FolderBlobs(tmp_path / "files")
    orphan, fresh = new_blob_id(), new_blob_id()
    await blobs.put(orphan, b"left behind yesterday", "text/plain")
    await blobs.put(fresh, b"uploaded a moment ago", "text/plain")
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    for name in (orphan, f"{orphan}.type"):
        os.utime(tmp_path / "files" / name, (two_days_ago, two_days_ago))
    async with serve_confab(tmp_path):
        for _ in range(100):
            if await blobs.get(orphan) is None:
                break
            await asyncio.sleep(0.1)
        assert await blobs.get(orphan) is None
        assert await blobs.get(fresh) is not None
