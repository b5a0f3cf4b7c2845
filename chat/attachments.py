"""Files on a message: what its meta says about each (the bytes are in the BlobStore)."""

from __future__ import annotations

import base64
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

NAME_CHARS = 200
"""The longest file name kept (its extension kept too)."""
UNNAMED = "file"

FILES_PATH = "/files/"
"""Where a file is served; a thumbnail is the same id with `.thumb`."""


def file_name(given: str) -> str:
    """A file's name as the room is shown it: what the file is called, and nothing that lies.

    The last part of any path the browser sent; composed (NFC); without format characters
    (a right-to-left override shows "invoice\u202egnp.exe" as "invoiceexe.png"); control
    characters become spaces; at most NAME_CHARS, the extension kept.
    """
    base = given.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(
        " " if unicodedata.category(char) == "Cc" else char
        for char in unicodedata.normalize("NFC", base)
        if unicodedata.category(char) != "Cf"
    )
    name = " ".join(kept.split())
    if name.strip(".") == "":
        return UNNAMED
    if len(name) > NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            return stem[: NAME_CHARS - len(extension) - 1] + "." + extension
        return name[:NAME_CHARS]
    return name


@dataclass(frozen=True, slots=True)
class Attachment:
    """One uploaded file: its blob id, the name it was given, its sniffed type and size."""

    id: str
    name: str
    content_type: str
    size: int
    thumb_width: int = 0
    thumb_height: int = 0
    """The thumbnail's size in pixels (0: no thumbnail, not an image)."""
    thumb: str = ""
    """The thumbnail itself, base64 WebP: rows shared by many tabs show it with no URL to sign."""

    @property
    def is_image(self) -> bool:
        """True when the file was decoded and re-encoded as a picture (it has a thumbnail)."""
        return self.thumb_width > 0

    @property
    def thumb_bytes(self) -> bytes:
        """The thumbnail decoded (empty when there is none)."""
        return base64.b64decode(self.thumb) if self.thumb else b""

    @property
    def size_words(self) -> str:
        """Its size for people: 512 B, 34 kB, 2.5 MB."""
        if self.size < 1000:
            return f"{self.size} B"
        if self.size < 1_000_000:
            return f"{self.size / 1000:.0f} kB"
        return f"{self.size / 1_000_000:.1f} MB"

    @property
    def thumb_id(self) -> str:
        """The blob id of its thumbnail."""
        return f"{self.id}.thumb"

    def to_json(self) -> dict[str, Any]:
        """Its fields, for meta and the HTTP API."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        """An Attachment from `to_json`'s dict; ValueError for anything else."""
        try:
            return cls(
                id=str(data["id"]),
                name=file_name(str(data["name"])),  # also names kept before names were cleaned
                content_type=str(data["content_type"]),
                size=int(data["size"]),
                thumb_width=int(data.get("thumb_width", 0)),
                thumb_height=int(data.get("thumb_height", 0)),
                thumb=str(data.get("thumb", "")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an attachment: {exc}") from None
