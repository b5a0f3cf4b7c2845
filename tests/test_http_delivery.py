"""The web client's files: compressed, cacheable, and all from this server (issue 8, point 4).

The Chromium side (bytes of a cold load, no outside request, emoji and CJK
painted) is in `test_http_browser.py`.
"""

from __future__ import annotations

import re

import httpx
import pytest

from chat.http.engine_fonts import EngineTableError, client_script, decode, fallback_fonts, fonts_for
from chat.config import Settings
from chat.http.fallback_fonts import FontSources
from tests.confab_harness import serve_confab

WEB = client_script().parent


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
async def http(bot_dir, tmp_path, cache_dir):
    async with serve_confab(bot_dir, tmp_path, cache_dir=cache_dir) as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=300) as client:
            yield client


def _build_path(page: str) -> str:
    found = re.search(r'var confabBuildPath = "(/_v/[0-9a-f]+/)";', page)
    assert found, "the page does not point the engine at a versioned path"
    return found.group(1)


async def test_the_engine_is_compressed_and_cached_for_a_year_under_a_versioned_path(http):
    page = (await http.get("/")).text
    versioned = _build_path(page)
    for name in ("br", "gzip"):
        answer = await http.get(versioned + "main.dart.wasm", headers={"Accept-Encoding": name})
        assert answer.status_code == 200
        assert answer.headers["content-encoding"] == name
        assert answer.headers["content-type"] == "application/wasm"
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        # httpx decodes br and gzip: the content is the file; the wire carried far less.
        assert answer.content == (WEB / "main.dart.wasm").read_bytes()
        assert int(answer.headers["content-length"]) < 0.4 * len(answer.content)
        assert answer.headers["vary"] == "Accept-Encoding"
    # An old build's path is not served (the page always names the current one).
    assert (await http.get("/_v/000000000000/main.dart.wasm")).status_code == 404


async def test_unversioned_files_revalidate_with_etags(http):
    for path in ("/", "/flutter_bootstrap.js", "/manifest.json", "/assets/FontManifest.json"):
        first = await http.get(path, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200, path
        assert first.headers["cache-control"] == "no-cache", path
        etag = first.headers["etag"]
        again = await http.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"", path
    bootstrap = await http.get("/flutter_bootstrap.js", headers={"Accept-Encoding": "br"})
    assert bootstrap.headers["content-encoding"] == "br"


async def test_unused_fonts_are_not_in_the_font_manifest(http):
    manifest = (await http.get("/assets/FontManifest.json")).json()
    families = {entry["family"] for entry in manifest}
    assert families == {"MaterialIcons", "Roboto"}  # no KaTeX, no Cupertino icons
    for entry in manifest:  # every font it names is served from here
        for font in entry["fonts"]:
            assert (await http.get("/assets/" + font["asset"])).status_code == 200


async def test_paths_outside_the_web_roots_are_not_served(http):
    versioned = _build_path((await http.get("/")).text)
    for path in (versioned + "../../../../etc/passwd", "/_v/x/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd"):
        answer = await http.get(path)
        assert "root:" not in answer.text, path


async def test_emoji_and_cjk_fallback_fonts_are_cut_from_installed_noto_fonts(http):
    import uharfbuzz as hb

    installed = FontSources([Settings().fonts_dir])
    if installed.find("notocoloremoji") is None or installed.find("notosanssc") is None:
        pytest.skip("no Noto emoji/CJK fonts installed (apt-get install fonts-noto-color-emoji fonts-noto-cjk)")
    for char, kind in (("😀", "font/ttf"), ("你", "font/otf"), ("こ", "font/otf")):
        candidates = fonts_for(ord(char))
        assert candidates, f"the engine has no fallback font for {char!r}"
        font = candidates[0]
        answer = await http.get("/assets/fonts/" + font.path, headers={"accept-encoding": "br"})
        assert answer.status_code == 200, font.path
        # Plain OpenType, brotli-encoded on the wire (WOFF2 would need fontTools, 30 MB).
        assert answer.headers["content-type"] == kind
        assert answer.headers["content-encoding"] == "br"
        assert "immutable" in answer.headers["cache-control"]
        face = hb.Face(hb.Blob(answer.content))
        assert ord(char) in face.unicodes, f"{font.name} does not draw {char!r}"
        # A slice, not the whole 10-20 MB font; what travels is what a cold load pays.
        assert answer.num_bytes_downloaded < 1_000_000
    unknown = await http.get("/assets/fonts/notosanssc/v1/not-a-slice.woff2")
    assert unknown.status_code == 404


def test_the_engine_fallback_table_is_read_from_the_client():
    fonts = fallback_fonts()
    assert len(fonts) > 700
    assert any(f.name.startswith("Noto Color Emoji") for f in fonts_for(0x1F600))
    assert {f.name.split(" ")[2] for f in fonts_for(ord("你"))} >= {"SC", "TC", "JP", "HK"}
    assert all(re.fullmatch(r"[a-z0-9]+/v\d+/[\w.-]+\.woff2", path) for path in fonts)
    # A client whose table moved or changed shape is reported, not silently served without fallbacks.
    with pytest.raises(EngineTableError, match="no fallback font table"):
        decode("A.z(\"Noto Sans\",\"notosans/v1/x.woff2\")")
