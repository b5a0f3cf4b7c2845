"""Blobs as files in one local folder: `<id>` holds the bytes, `<id>.type` the content type."""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import datetime
from pathlib import Path

from chat.blobs.base import Blob, check_blob_id

TYPE_SUFFIX = ".type"
"""The file beside each blob that holds its content type."""


class FolderBlobs:
    """A BlobStore under `folder` (the default: under CHAT_DATA_DIR)."""

    def __init__(self, folder: Path):
        self.folder = folder

    async def put(self, blob_id: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, check_blob_id(blob_id), data, content_type)

    async def get(self, blob_id: str) -> Blob | None:
        return await asyncio.to_thread(self._get, check_blob_id(blob_id))

    async def delete(self, blob_id: str) -> bool:
        return await asyncio.to_thread(self._delete, check_blob_id(blob_id))

    async def ids_before(self, cutoff: datetime) -> list[str]:
        return await asyncio.to_thread(self._ids_before, cutoff.timestamp())

    def _ids_before(self, cutoff: float) -> list[str]:
        if not self.folder.is_dir():
            return []
        found = []
        for entry in os.scandir(self.folder):
            # Skipped: the content types beside blobs, and files still being written (.part-*).
            if entry.name.endswith(TYPE_SUFFIX) or entry.name.startswith("."):
                continue
            try:
                if entry.stat().st_mtime < cutoff:
                    found.append(entry.name)
            except FileNotFoundError:
                continue  # removed meanwhile
        return found

    def _put(self, blob_id: str, data: bytes, content_type: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # The type first, then the bytes, each whole (written aside and renamed): a reader
        # never sees half a file, and bytes without their type are never served.
        self._write(blob_id + TYPE_SUFFIX, content_type.encode())
        self._write(blob_id, data)

    def _write(self, name: str, data: bytes) -> None:
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp, self.folder / name)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def _get(self, blob_id: str) -> Blob | None:
        try:
            data = (self.folder / blob_id).read_bytes()
            content_type = (self.folder / (blob_id + TYPE_SUFFIX)).read_text()
        except FileNotFoundError:
            return None
        return Blob(blob_id, content_type, data)

    def _delete(self, blob_id: str) -> bool:
        path = self.folder / blob_id
        existed = path.exists()
        path.unlink(missing_ok=True)
        (self.folder / (blob_id + TYPE_SUFFIX)).unlink(missing_ok=True)
        return existed
