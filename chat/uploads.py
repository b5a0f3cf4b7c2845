"""Uploads and downloads of files: signed single-use upload URLs, and reads checked per person.

An upload's URL names who uploads, into which room, under which name, until
when; it is signed here and good once. Its body is streamed to a temporary
file and refused past CHAT_MAX_UPLOAD_MB, leaving nothing behind. What is kept
(in the BlobStore): the file (a picture re-encoded), its thumbnail, and a small
record naming its room, so every read can check the reader may see that room.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chat.attachments import Attachment, file_name
from chat.blobs import Blob, BlobStore, check_blob_id, new_blob_id
from chat.file_content import THUMB_TYPE, sniffed
from chat.rules import Rejected
from chat.signed import BadToken, Signer

UPLOAD_PATH = "/uploads/"
UPLOAD_SECONDS = 600
"""How long an upload URL is good for."""
READ_KEY_SECONDS = 12 * 3600
"""How long a tab's read key is good for (a tab asks for a new one when it renders later)."""


class TooLarge(Rejected):
    """The upload is over CHAT_MAX_UPLOAD_MB."""


class UsedUp(Rejected):
    """This upload URL was used already."""


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What is kept beside a file: its attachment fields, its room and who uploaded it."""

    attachment: Attachment
    room: str
    person_id: str


class Uploads:
    """Receives uploads into `blobs` and answers who may read them."""

    def __init__(
        self,
        blobs: BlobStore,
        secret: str,
        temp_dir: Path,
        max_bytes: int,
        max_pixels: int,
    ) -> None:
        self.blobs = blobs
        self.max_bytes = max_bytes
        self._max_pixels = max_pixels
        self._temp_dir = temp_dir
        self._upload_signer = Signer(secret, "upload")
        self._read_signer = Signer(secret, "read")
        self._busy: set[str] = set()

    def upload_url(self, person_id: str, room: str, name: str) -> tuple[str, str]:
        """(upload id, the path to PUT the file to) for `person_id` in `room`."""
        upload_id = new_blob_id()
        payload = {"id": upload_id, "p": person_id, "r": room, "n": file_name(name)}
        return upload_id, UPLOAD_PATH + self._upload_signer.sign(payload, UPLOAD_SECONDS)

    def read_key(self, person_id: str) -> str:
        """A key for `person_id`'s file reads (it names them: each read is checked)."""
        return self._read_signer.sign({"p": person_id}, READ_KEY_SECONDS)

    def reader(self, key: str) -> str:
        """The person id a read key names; BadToken for a bad or expired key."""
        person_id = self._read_signer.open(key).get("p")
        if not isinstance(person_id, str):
            raise BadToken("This link is not valid.")
        return person_id

    async def receive(
        self, token: str, declared_size: int | None, body: AsyncIterator[bytes]
    ) -> Attachment:
        """Keep an uploaded body; BadToken, TooLarge or UsedUp when it is refused."""
        ticket = self._upload_signer.open(token)
        upload_id = check_blob_id(str(ticket["id"]))
        if upload_id in self._busy or await self.blobs.get(f"{upload_id}.json") is not None:
            raise UsedUp("This upload link was used already.")
        if declared_size is not None and declared_size > self.max_bytes:
            raise TooLarge(self._too_large())
        self._busy.add(upload_id)
        try:
            data = await self._spool(body)
            return await self._keep(
                upload_id, str(ticket["p"]), str(ticket["r"]), str(ticket["n"]), data
            )
        finally:
            self._busy.discard(upload_id)

    async def keep(self, person_id: str, room: str, name: str, data: bytes) -> Attachment:
        """Keep bytes that came another way (a pasted image, a bot's picture); TooLarge if over."""
        if len(data) > self.max_bytes:
            raise TooLarge(self._too_large())
        return await self._keep(new_blob_id(), person_id, room, file_name(name), data)

    async def _keep(
        self, upload_id: str, person_id: str, room: str, name: str, data: bytes
    ) -> Attachment:
        content = await asyncio.to_thread(sniffed, data, self._max_pixels)
        width, height = content.thumb_size
        attachment = Attachment(
            upload_id,
            name,
            content.content_type,
            len(content.data),
            width,
            height,
            base64.b64encode(content.thumbnail).decode(),
        )
        if content.thumbnail:
            await self.blobs.put(attachment.thumb_id, content.thumbnail, THUMB_TYPE)
        await self.blobs.put(upload_id, content.data, content.content_type)
        record = {"attachment": attachment.to_json(), "room": room, "by": person_id}
        # The record last: a file is readable (and its URL used up) only once it is whole.
        await self.blobs.put(f"{upload_id}.json", json.dumps(record).encode(), "application/json")
        return attachment

    async def record(self, file_id: str) -> FileRecord | None:
        """The record of an uploaded file (or of the file a `.thumb` id belongs to)."""
        try:
            base = check_blob_id(file_id).split(".", 1)[0]
        except ValueError:
            return None
        found = await self.blobs.get(f"{base}.json")
        if found is None:
            return None
        data: dict[str, Any] = json.loads(found.data)
        return FileRecord(Attachment.from_json(data["attachment"]), data["room"], data["by"])

    async def forget(self, attachments: list[Attachment]) -> None:
        """Remove the files of a deleted message: its record first, so no read finds half."""
        for attachment in attachments:
            await self.blobs.delete(f"{attachment.id}.json")
            await self.blobs.delete(attachment.thumb_id)
            await self.blobs.delete(attachment.id)

    async def file(self, file_id: str) -> Blob | None:
        """The bytes of a file or thumbnail (never a record)."""
        if file_id.endswith(".json"):
            return None
        try:
            return await self.blobs.get(file_id)
        except ValueError:
            return None

    async def _spool(self, body: AsyncIterator[bytes]) -> bytes:
        """The body, through a temporary file that is gone afterwards, whatever happened."""
        self._temp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._temp_dir, prefix="upload-")
        try:
            size = 0
            with os.fdopen(fd, "wb") as out:
                async for chunk in body:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(self._too_large())
                    await asyncio.to_thread(out.write, chunk)
            return await asyncio.to_thread(Path(name).read_bytes)
        finally:
            Path(name).unlink(missing_ok=True)

    def _too_large(self) -> str:
        return f"The file is larger than {self.max_bytes // 1_000_000} MB, so it was not kept."
