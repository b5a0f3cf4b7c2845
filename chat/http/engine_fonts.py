"""Which code points each of the Flutter web engine's fallback font files must cover.

When text needs a glyph that no loaded font has, the engine bundled in
flet-web's client picks one of ~720 Noto font files (Google Fonts' per-range
slices: "Noto Color Emoji 9", "Noto Sans SC 95", ...) from a table compiled
into the client, and fetches `fontFallbackBaseUrl + <that file's path>`. We
serve those paths ourselves (see `fallback_fonts.py`), so we need the same
table: it is read here from the compiled client, `main.dart.js` (the dart2js
build of the same engine as `main.dart.wasm`, where the table is plain text).

Re-check on a flet-web upgrade: the table's two encodings (decoded below as
the engine's `FontFallbackManager` decodes them) and the pattern that finds
them. `test_fallback_fonts.py` fails loudly when they change.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import flet_web.version

CHECKED_FLET_WEB = "1.0.5"
if flet_web.version.version != CHECKED_FLET_WEB:
    logging.getLogger(__name__).warning(
        "flet-web %s: the fallback font table was checked with %s; run tests/test_http_delivery.py",
        flet_web.version.version,
        CHECKED_FLET_WEB,
    )

# The font list: A.z("Noto Color Emoji 0","notocoloremoji/v32/....0.woff2"), in table order.
_FONT = re.compile(r'A\.z\("(Noto[^"]*)","([a-z0-9]+/v\d+/[^"]+\.woff2)"\)')
# Components (sets of font indices) and code point ranges, each one string literal.
_COMPONENTS = re.compile(r'\.b4u\("(,[^"]*)"\)')
_RANGES = re.compile(r'A\.do1\("([^"]*)"')


class EngineTableError(RuntimeError):
    """The web client's fallback font table is not where or what this module expects."""


@dataclass(frozen=True, slots=True)
class FallbackFont:
    """One fallback font file the engine may ask for, and the code points it relies on it for."""

    name: str
    """The engine's family name, e.g. "Noto Sans SC 95"."""
    path: str
    """Relative to fontFallbackBaseUrl, e.g. "notosanssc/v37/....95.woff2"."""
    ranges: tuple[tuple[int, int], ...]
    """Half-open code point ranges [start, end) the engine expects this file to cover."""

    def code_points(self) -> set[int]:
        """Every code point in `ranges` (built on demand: CJK slices hold thousands)."""
        return {point for start, end in self.ranges for point in range(start, end)}

    def covers(self, code_point: int) -> bool:
        """True when the engine would use this file for `code_point`."""
        return any(start <= code_point < end for start, end in self.ranges)

    @property
    def family_dir(self) -> str:
        """The path's first segment, e.g. "notosanssc": which full font this is a slice of."""
        return self.path.split("/", 1)[0]


def client_script() -> Path:
    """flet-web's dart2js build of the web client."""
    return Path(flet_web.version.__file__).resolve().parent / "web" / "main.dart.js"


@cache
def fallback_fonts() -> dict[str, FallbackFont]:
    """Every fallback font file of the bundled client, by path."""
    return decode(client_script().read_text(encoding="utf-8", errors="replace"))


def decode(script: str) -> dict[str, FallbackFont]:
    """The fallback table found in a dart2js client script."""
    fonts = _FONT.findall(script)
    components = _COMPONENTS.search(script)
    ranges = _RANGES.search(script)
    if len(fonts) < 100 or components is None or ranges is None:
        raise EngineTableError(
            f"no fallback font table in the web client (flet-web {flet_web.version.version}, "
            f"checked with {CHECKED_FLET_WEB}): {len(fonts)} fonts, "
            f"components {'found' if components else 'missing'}, ranges {'found' if ranges else 'missing'}"
        )
    font_sets = [_decode_font_set(text) for text in components.group(1).split(",")]
    covered: list[list[tuple[int, int]]] = [[] for _ in fonts]
    start = 0
    for end, component in _decode_ranges(ranges.group(1)):
        for index in font_sets[component]:
            covered[index].append((start, end))
        start = end
    return {
        path: FallbackFont(name, path, tuple(spans)) for (name, path), spans in zip(fonts, covered)
    }


def _decode_font_set(text: str) -> list[int]:
    # Letters are deltas from the previous font index (base 26), digits a base-10 prefix.
    indices, previous, prefix = [], -1, 0
    for char in text:
        code = ord(char)
        if 97 <= code < 123:
            previous += prefix * 26 + (code - 97) + 1
            indices.append(previous)
            prefix = 0
        elif 48 <= code < 58:
            prefix = prefix * 10 + (code - 48)
        else:
            raise EngineTableError(f"unexpected {char!r} in a font set")
    return indices


def _decode_ranges(text: str) -> list[tuple[int, int]]:
    # Upper case letters name a component (with a decimal prefix) for the next
    # `size` code points; a lower case letter sets that size (default 1).
    out, end, prefix, size = [], 0, 0, 1
    for char in text:
        code = ord(char)
        if 65 <= code < 91:
            end += size
            out.append((end, prefix * 26 + (code - 65)))
            prefix, size = 0, 1
        elif 97 <= code < 123:
            size = prefix * 26 + (code - 97) + 2
            prefix = 0
        elif 48 <= code < 58:
            prefix = prefix * 10 + (code - 48)
        else:
            raise EngineTableError(f"unexpected {char!r} in the range map")
    if end != 0x110000:
        raise EngineTableError(f"the range map covers {end} code points, not all of Unicode")
    return out


def fonts_for(code_point: int) -> list[FallbackFont]:
    """The fallback fonts the engine would consider for one code point (for tests and tools)."""
    return [font for font in fallback_fonts().values() if font.covers(code_point)]
