"""Where uploaded files and generated pictures are kept: a BlobStore, chosen by the store URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chat.blobs.base import Blob, BlobStore, check_blob_id, new_blob_id

__all__ = ["Blob", "BlobStore", "check_blob_id", "new_blob_id", "open_blobs"]


def open_blobs(database_url: str, store: Any, folder: Path) -> BlobStore:
    """PostgreSQL bytea when the store is PostgreSQL (replicas share no volume), else `folder`."""
    scheme = database_url.split(":", 1)[0].lower()
    if scheme in ("postgres", "postgresql"):
        from chat.blobs.postgres import PostgresBlobs

        return PostgresBlobs(store)
    from chat.blobs.folder import FolderBlobs

    return FolderBlobs(folder)
