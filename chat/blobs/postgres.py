"""Blobs as bytea rows in the message database, so replicas need no shared volume."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chat.blobs.base import Blob, check_blob_id
from chat.store.migrations import Migration

BLOBS_MIGRATIONS: list[Migration] = [
    (
        "0024_blobs",
        """
        CREATE TABLE blobs (
            id TEXT PRIMARY KEY,
            content_type TEXT NOT NULL,
            size BIGINT NOT NULL,
            data BYTEA NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        """,
    ),
]
"""Appended to PostgresStore's migrations."""

_PUT = """INSERT INTO blobs (id, content_type, size, data) VALUES ($1, $2, $3, $4)
    ON CONFLICT (id) DO UPDATE SET content_type = $2, size = $3, data = $4"""


class PostgresBlobs:
    """A BlobStore over an open PostgresStore's pool (and its reconnect and error words)."""

    def __init__(self, store: Any):
        self._store = store

    async def put(self, blob_id: str, data: bytes, content_type: str) -> None:
        check_blob_id(blob_id)
        await self._store._run(
            "keep a file",
            lambda conn: conn.execute(_PUT, blob_id, content_type, len(data), data),
        )

    async def get(self, blob_id: str) -> Blob | None:
        check_blob_id(blob_id)
        row = await self._store._run(
            "read a file",
            lambda conn: conn.fetchrow(
                "SELECT content_type, data FROM blobs WHERE id = $1", blob_id
            ),
        )
        return None if row is None else Blob(blob_id, row["content_type"], bytes(row["data"]))

    async def delete(self, blob_id: str) -> bool:
        check_blob_id(blob_id)
        status = await self._store._run(
            "remove a file", lambda conn: conn.execute("DELETE FROM blobs WHERE id = $1", blob_id)
        )
        return status != "DELETE 0"

    async def ids_before(self, cutoff: datetime) -> list[str]:
        rows = await self._store._run(
            "list old files",
            lambda conn: conn.fetch("SELECT id FROM blobs WHERE created_at < $1", cutoff),
        )
        return [row["id"] for row in rows]
