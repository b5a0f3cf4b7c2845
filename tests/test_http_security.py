"""Security headers on every response, no CORS grant, no API explorer (issue 9, point 6).

The Chromium side (the policy lets the client run, framing is refused) is in
`test_http_browser.py`.
"""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from chat.config import Settings, SettingsError
from chat.http.security import content_security_policy, inline_script_hashes
from tests.confab_harness import serve_confab

PATHS = ["/", "/index.html", "/flutter_bootstrap.js", "/manifest.json", "/healthz", "/api/stats", "/missing.png", "/some/route"]


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")  # compressed client files, shared by this module's servers


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


async def test_every_response_carries_the_security_headers_and_no_cors_grant(bot_dir, tmp_path, cache_dir):
    async with serve_confab(bot_dir, tmp_path, cache_dir=cache_dir) as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=120) as http:
            for path in PATHS:
                answer = await http.get(path, headers={"Origin": "http://evil.example"})
                headers = answer.headers
                assert headers.get("x-content-type-options") == "nosniff", path
                assert headers.get("referrer-policy") == "no-referrer", path
                assert "access-control-allow-origin" not in headers, (path, headers.get("access-control-allow-origin"))
                policy = _directives(headers["content-security-policy"])
                assert policy["frame-ancestors"] == ["'none'"], path
                assert headers.get("x-frame-options") == "DENY", path
                # Cross-origin isolation, as flet-web sets it: skwasm renders on a worker thread.
                assert headers.get("cross-origin-opener-policy") == "same-origin", path
                assert headers.get("cross-origin-embedder-policy") == "require-corp", path
                # No outside origin anywhere in the policy: only keywords, hashes, blob: and data:.
                for sources in policy.values():
                    for source in sources:
                        assert source.startswith("'") or source in ("blob:", "data:"), (path, source)


async def test_the_page_policy_allows_exactly_its_own_inline_scripts(bot_dir, tmp_path, cache_dir):
    async with serve_confab(bot_dir, tmp_path, cache_dir=cache_dir) as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=120) as http:
            page = await http.get("/")
    scripts = re.findall(r"<script>(.*?)</script>", page.text, re.S)
    assert len(scripts) >= 4  # ours (time zone, build path, script guard, bfcache) and Flet's config
    expected = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in scripts}
    script_src = _directives(page.headers["content-security-policy"])["script-src"]
    assert expected <= set(script_src)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'wasm-unsafe-eval'" in script_src  # to compile main.dart.wasm and skwasm.wasm


async def test_frame_ancestors_is_a_setting(bot_dir, tmp_path, cache_dir):
    async with serve_confab(bot_dir, tmp_path, cache_dir=cache_dir, frame_ancestors="'self' https://intranet.example") as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=120) as http:
            answer = await http.get("/")
    policy = _directives(answer.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'self'", "https://intranet.example"]
    assert "x-frame-options" not in answer.headers  # it cannot say "this site too"


def test_a_frame_ancestors_value_that_would_inject_directives_is_refused():
    assert Settings.from_env({"CHAT_FRAME_ANCESTORS": "'self'"}).frame_ancestors == "'self'"
    for bad in ("'self'; script-src *", "'none'\r\nX-Evil: 1", "'self',https://a"):
        with pytest.raises(SettingsError, match="CHAT_FRAME_ANCESTORS"):
            Settings.from_env({"CHAT_FRAME_ANCESTORS": bad})


async def test_no_api_explorer_or_schema_is_served(bot_dir, tmp_path, cache_dir):
    async with serve_confab(bot_dir, tmp_path, cache_dir=cache_dir) as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=120) as http:
            for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
                answer = await http.get(path)
                text = answer.text.lower()
                assert "swagger" not in text and "redoc" not in text and "openapi" not in text, path
            schema = await http.get("/openapi.json")
            assert schema.status_code == 404, schema.text[:200]


def test_policy_helpers():
    html = '<script>var a = 1;</script><script src="x.js"></script><script id="t">b()</script>'
    digest = lambda s: "sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()  # noqa: E731
    assert inline_script_hashes(html) == [digest("var a = 1;"), digest("b()")]
    policy = content_security_policy("'none'", ["sha256-abc"])
    assert "script-src 'self' 'wasm-unsafe-eval' 'sha256-abc'" in policy
    assert "frame-ancestors 'none'" in policy
