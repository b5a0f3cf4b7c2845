"""The BlobStore protocol: bytes kept by id, with their size and content type."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

_ID = re.compile(r"^[0-9a-f]{32}(\.[a-z]{1,8})?$")
"""A random hex id, optionally with a short suffix for what belongs to it (`.thumb`, `.json`)."""


@dataclass(frozen=True, slots=True)
class Blob:
    """One stored file."""

    id: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        """Its length in bytes."""
        return len(self.data)


def new_blob_id() -> str:
    """A fresh, unguessable id."""
    return uuid.uuid4().hex


def check_blob_id(blob_id: str) -> str:
    """`blob_id` itself; ValueError for anything that is not an id we make (a path, say)."""
    if not _ID.match(blob_id):
        raise ValueError(f"not a blob id: {blob_id[:40]!r}")
    return blob_id


class BlobStore(Protocol):
    """Put, get and delete bytes by id; a put replaces what the id held."""

    async def put(self, blob_id: str, data: bytes, content_type: str) -> None:
        """Keep `data` under `blob_id`."""
        ...

    async def get(self, blob_id: str) -> Blob | None:
        """The blob, or None when there is none under that id."""
        ...

    async def delete(self, blob_id: str) -> bool:
        """Remove it; False when there was nothing to remove."""
        ...

    async def ids_before(self, cutoff: datetime) -> list[str]:
        """The ids of the blobs put before `cutoff` (an aware datetime)."""
        ...
