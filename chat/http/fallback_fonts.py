"""Emoji, CJK and other scripts' fallback fonts, served from this server instead of Google's.

The web engine asks for a slice of a Noto font (`engine_fonts.py` says which
code points each slice must cover) when text needs a glyph the app's fonts
lack. We cut that slice from a full Noto font installed on this machine
(Debian's fonts-noto-color-emoji and fonts-noto-cjk, or fonts-noto-core for
other scripts, found under CHAT_FONTS_DIR) with HarfBuzz's subsetter, once, and
keep it on disk: a person writing "😀 你好" costs one small download per slice,
and nothing is asked of any other host. A slice we have no font for is a 404, so
the engine draws its usual missing-glyph box rather than going elsewhere.

The engine asks for ".woff2" paths but reads any OpenType font; a slice is kept
and sent as plain TrueType/OpenType (".ttf"/".otf"), brotli-encoded on the wire
like the rest of the client, which is within a few percent of WOFF2's size.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from pathlib import Path

import uharfbuzz as hb

from chat.http.engine_fonts import FallbackFont, fallback_fonts

log = logging.getLogger(__name__)

_WEIGHTS = re.compile(
    r"-(thin|extralight|light|demilight|medium|semibold|bold|extrabold|black)\b", re.IGNORECASE
)


class FontSources:
    """Full fonts on this machine, by the engine's family directory ("notosanssc")."""

    def __init__(self, roots: list[Path]) -> None:
        self._roots = roots
        self._index: dict[str, tuple[Path, int]] | None = None

    def find(self, family_dir: str) -> tuple[Path, int] | None:
        """(font file, face number in a collection) for a family, or None."""
        if self._index is None:
            self._index = self._scan()
        return self._index.get(family_dir)

    def _scan(self) -> dict[str, tuple[Path, int]]:
        index: dict[str, tuple[Path, int]] = {}
        for root in self._roots:
            for path in sorted(root.rglob("*")) if root.is_dir() else []:
                suffix = path.suffix.lower()
                if suffix not in (".ttf", ".otf", ".ttc") or _WEIGHTS.search(path.stem):
                    continue
                if suffix == ".ttc":
                    for key, number in _collection_faces(path):
                        index.setdefault(key, (path, number))
                else:
                    index.setdefault(_key(path.stem.removesuffix("-Regular")), (path, -1))
        log.info(
            "fallback fonts: %d families found under %s",
            len(index),
            ", ".join(map(str, self._roots)),
        )
        return index


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _collection_faces(path: Path) -> list[tuple[str, int]]:
    # "Noto Sans CJK SC" is the engine's "notosanssc"; the Mono faces are not wanted.
    blob = hb.Blob.from_file_path(str(path))
    count = hb.Face(blob, 0).count
    if count == 0:  # HarfBuzz reads a broken or foreign file as an empty collection
        log.warning("fallback fonts: cannot read %s: not a font collection", path)
        return []
    faces = []
    for number in range(count):
        family = hb.Face(blob, number).get_name(hb.OTNameIdPredefined.FONT_FAMILY) or ""
        if "Mono" not in family:
            faces.append((_key(family.replace(" CJK", "")), number))
    return faces


class FontCutError(RuntimeError):
    """An installed font could not be cut into the slice the engine asked for."""


class FallbackFontStore:
    """Cuts, caches and returns the slices the engine asks for."""

    def __init__(self, sources: FontSources, cache_dir: Path) -> None:
        self._sources = sources
        self._cache_dir = cache_dir
        self._locks: dict[str, asyncio.Lock] = {}
        self._cpu = asyncio.Semaphore(1)  # cutting a slice is CPU-bound: one at a time

    def knows(self, path: str) -> bool:
        """True when `path` is one of the engine's fallback font files."""
        return path in fallback_fonts()

    async def slice(self, path: str) -> Path | None:
        """The cached file for an engine fallback path, cut now if needed; None if we cannot."""
        font = fallback_fonts().get(path)
        if font is None:
            return None
        for target in _targets(self._cache_dir, path):
            if target.is_file():
                return target
        source = self._sources.find(font.family_dir)
        if source is None:
            log.warning(
                "fallback fonts: no installed font for %s (%s); it will show as boxes",
                font.name,
                path,
            )
            return None
        lock = self._locks.setdefault(path, asyncio.Lock())
        async with lock:
            for target in _targets(self._cache_dir, path):
                if target.is_file():
                    return target
            async with self._cpu:
                return await asyncio.to_thread(_cut, font, source, self._cache_dir, path)


def _targets(cache_dir: Path, path: str) -> tuple[Path, Path]:
    """Where a slice is kept: by its outline format, which the suffix (and MIME type) says."""
    kept = cache_dir / path
    stem = kept.name.removesuffix(".woff2")
    return kept.with_name(f"{stem}.ttf"), kept.with_name(f"{stem}.otf")


def _cut(font: FallbackFont, source: tuple[Path, int], cache_dir: Path, path: str) -> Path:
    font_file, number = source
    face = hb.Face(hb.Blob.from_file_path(str(font_file)), max(number, 0))
    wanted = hb.SubsetInput()
    wanted.unicode_set.update(font.code_points())
    # Every layout feature (emoji ZWJ sequences and skin tones, CJK forms need GSUB) and
    # every name record: a cleared set, inverted, is HarfBuzz's "all".
    for kind in (hb.SubsetInputSets.LAYOUT_FEATURE_TAG, hb.SubsetInputSets.NAME_ID):
        kept = wanted.sets(kind)
        kept.clear()
        kept.invert()
    wanted.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    cut = hb.subset(face, wanted)
    if cut is None or not cut.unicodes:
        raise FontCutError(f"cannot cut {font.name} ({path}) from {font_file}: not a usable font")
    data = cut.blob.data
    ttf, otf = _targets(cache_dir, path)
    target = otf if data[:4] == b"OTTO" else ttf
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, target)  # another process cutting the same slice writes the same bytes
    log.info("fallback fonts: cut %s from %s (%d bytes)", font.name, font_file.name, len(data))
    return target
