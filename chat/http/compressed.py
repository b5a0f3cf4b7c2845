"""Static files compressed once (brotli and gzip) and kept in memory, with their ETags."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

import brotli

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("font/otf", ".otf")
mimetypes.add_type("font/ttf", ".ttf")
mimetypes.add_type("application/manifest+json", ".webmanifest")

COMPRESSIBLE = {
    ".wasm",
    ".js",
    ".mjs",
    ".json",
    ".html",
    ".css",
    ".otf",
    ".ttf",
    ".txt",
    ".svg",
    ".map",
    ".frag",
    ".bin",
}
MAX_CACHED_BYTES = 32 * 1024 * 1024
"""Larger files are sent as they are (the client's biggest, main.dart.wasm, is 8.5 MB)."""
BROTLI_QUALITY = 9
"""Quality 9 takes ~2 s for main.dart.wasm on one core and is within 3% of 11, which takes ~35 s."""


@dataclass(frozen=True, slots=True)
class Encoded:
    """One file's bytes in each encoding we send, and their validators."""

    content_type: str
    identity: bytes | None
    """None for big compressible files: the rare client without gzip gets them from disk."""
    brotli: bytes | None
    gzip: bytes | None
    etag: str
    """Of the identity bytes; an encoded variant's ETag adds its encoding."""

    def choose(self, accept_encoding: str) -> tuple[bytes | None, str | None, str]:
        """(body, Content-Encoding or None, ETag) for a request's Accept-Encoding.

        A None body means: send the file from disk as it is.
        """
        accepted = {part.split(";")[0].strip().lower() for part in accept_encoding.split(",")}
        if self.brotli is not None and "br" in accepted:
            return self.brotli, "br", f'"{self.etag}-br"'
        if self.gzip is not None and "gzip" in accepted:
            return self.gzip, "gzip", f'"{self.etag}-gz"'
        return self.identity, None, f'"{self.etag}"'


def content_type(path: Path | str) -> str:
    """The MIME type to send for a file name (text types in UTF-8)."""
    kind = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/json", "application/manifest+json"):
        kind += "; charset=utf-8"
    return kind


def encode(data: bytes, name: str, cache_dir: Path | None = None) -> Encoded:
    """Compress `data` (a file called `name`) if that is worth it. CPU-bound: run in a thread.

    With a `cache_dir`, compressed bytes are kept there by content hash, so a
    restart (or a second process) does not compress the same 12 MB again.
    """
    etag = hashlib.sha256(data).hexdigest()[:24]
    kind = content_type(name)
    if Path(name).suffix.lower() not in COMPRESSIBLE or len(data) < 512:
        return Encoded(kind, data, None, None, etag)
    identity = data if len(data) <= 256 * 1024 else None
    return Encoded(
        kind,
        identity,
        _cached(cache_dir, f"{etag}.br", lambda: brotli.compress(data, quality=BROTLI_QUALITY)),
        _cached(cache_dir, f"{etag}.gz", lambda: gzip.compress(data, compresslevel=9, mtime=0)),
        etag,
    )


def _cached(cache_dir: Path | None, name: str, make) -> bytes:
    if cache_dir is None:
        return make()
    path = cache_dir / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    body = make()
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{name}.{os.getpid()}.part")
    partial.write_bytes(body)
    os.replace(partial, path)
    return body


class EncodedFiles:
    """Files from disk, encoded on first use (or when warmed at start-up) and then kept."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._cache_dir = cache_dir
        self._files: dict[Path, tuple[int, int, Encoded]] = {}
        self._locks: dict[Path, asyncio.Lock] = {}
        self._cpu = asyncio.Semaphore(1)  # compressing is CPU-bound: leave a core for the chat

    async def get(self, path: Path) -> Encoded | None:
        """The encoded file, or None when it is too big to keep (send it from disk)."""
        stat = path.stat()
        if stat.st_size > MAX_CACHED_BYTES:
            return None
        known = self._files.get(path)
        if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        async with self._locks.setdefault(path, asyncio.Lock()):
            known = self._files.get(path)
            if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
                return known[2]
            async with self._cpu:
                encoded = await asyncio.to_thread(
                    lambda: encode(path.read_bytes(), path.name, self._cache_dir)
                )
            self._files[path] = (stat.st_mtime_ns, stat.st_size, encoded)
            return encoded
