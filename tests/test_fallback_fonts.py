"""Cutting the engine's fallback font slices from installed Noto fonts (chat/http/fallback_fonts.py).

The HTTP side is in `test_http_delivery.py`, the painting in `test_http_browser.py`.
"""

from __future__ import annotations

import logging

import pytest
import uharfbuzz as hb

from chat.config import Settings
from chat.http.engine_fonts import fonts_for
from chat.http.fallback_fonts import FallbackFontStore, FontSources

THUMBS_UP = 0x1F44D
MEDIUM_SKIN_TONE = 0x1F3FD


@pytest.fixture(scope="module")
def installed() -> FontSources:
    sources = FontSources([Settings().fonts_dir])
    if sources.find("notocoloremoji") is None or sources.find("notosanssc") is None:
        pytest.skip(
            "no Noto emoji/CJK fonts installed (apt-get install fonts-noto-color-emoji fonts-noto-cjk)"
        )
    return sources


def glyphs(face: hb.Face, text: str) -> list[int]:
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(hb.Font(face), buffer)
    return [info.codepoint for info in buffer.glyph_infos]


async def test_an_emoji_slice_keeps_skin_tone_sequences_as_one_glyph(installed, tmp_path):
    font = fonts_for(THUMBS_UP)[0]
    assert font.covers(MEDIUM_SKIN_TONE), "the engine's slice no longer holds the skin tones"
    cut = await FallbackFontStore(installed, tmp_path).slice(font.path)
    assert cut is not None and cut.suffix == ".ttf"
    face = hb.Face(hb.Blob(cut.read_bytes()))
    assert {THUMBS_UP, MEDIUM_SKIN_TONE} <= set(face.unicodes)
    # Without the GSUB ligatures this is a thumb and a colour swatch: two glyphs.
    toned = glyphs(face, chr(THUMBS_UP) + chr(MEDIUM_SKIN_TONE))
    assert len(toned) == 1 and toned[0] not in glyphs(face, chr(THUMBS_UP))
    assert face.has_color_png  # the colour bitmaps came along


async def test_a_cjk_slice_is_cut_from_the_right_face_of_the_collection(installed, tmp_path):
    simplified = next(f for f in fonts_for(ord("你")) if f.family_dir == "notosanssc")
    traditional = next(f for f in fonts_for(ord("你")) if f.family_dir == "notosanstc")
    store = FallbackFontStore(installed, tmp_path)
    names, cut_at = [], []
    for font in (simplified, traditional):
        cut = await store.slice(font.path)
        assert cut is not None and cut.suffix == ".otf"
        assert cut.name == font.path.rsplit("/", 1)[1].removesuffix(".woff2") + ".otf"
        face = hb.Face(hb.Blob(cut.read_bytes()))
        assert ord("你") in face.unicodes
        names.append(face.get_name(hb.OTNameIdPredefined.FONT_FAMILY))
        cut_at.append(cut.stat().st_mtime_ns)
    assert names == ["Noto Sans CJK SC", "Noto Sans CJK TC"]
    # Cut once: a second ask, even from a new store (a restart), is the file on disk.
    again = await FallbackFontStore(installed, tmp_path).slice(simplified.path)
    assert again is not None and again.stat().st_mtime_ns == cut_at[0]


def test_a_broken_collection_is_reported_and_the_rest_is_used(tmp_path, caplog):
    (tmp_path / "Broken.ttc").write_bytes(b"ttcf" + b"\0" * 60)
    (tmp_path / "Html.ttc").write_bytes(b"<html>not a font</html>")
    real = FontSources([Settings().fonts_dir]).find("notosanssc")
    if real is None:
        pytest.skip("no Noto CJK font installed (apt-get install fonts-noto-cjk)")
    (tmp_path / "NotoSansCJK-Regular.ttc").symlink_to(real[0])
    with caplog.at_level(logging.WARNING, logger="chat.http.fallback_fonts"):
        found = FontSources([tmp_path]).find("notosanssc")
    assert found == (tmp_path / "NotoSansCJK-Regular.ttc", real[1])
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "Broken.ttc" in warned and "Html.ttc" in warned
