"""Where generated pictures are kept and the URL they are served at."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
URL_PREFIX = "/images/"
_NAME = re.compile(r"^[0-9a-f]{32}\.png$")


class ImageStore:
    """PNG files under one folder, named by random ids."""

    def __init__(self, folder: Path):
        self.folder = folder

    def save(self, png: bytes) -> str:
        """Keep `png` and return the URL path it is served at."""
        if not png.startswith(PNG_SIGNATURE):
            raise ValueError("not a PNG image")
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.png"
        (self.folder / name).write_bytes(png)
        return URL_PREFIX + name

    def path_of(self, name: str) -> Path | None:
        """The file for a served `name`, or None for anything we did not write."""
        if not _NAME.match(name):
            return None
        path = self.folder / name
        return path if path.is_file() else None
