"""Security headers on every response, and nothing served that Confab does not mean to serve.

The policy is what Flet's wasm client needs and no more (each source checked
in Chromium, `tests/test_http_browser.py`, with zero violations):
- scripts: our own files and the page's inline scripts by hash, plus
  'wasm-unsafe-eval' to compile main.dart.wasm and skwasm.wasm;
- workers: our own and `blob:` (skwasm starts its render worker from a blob);
- styles: 'unsafe-inline', since Flutter sets styles on the elements it creates;
- images: ours, `data:` and `blob:` (decoded pictures); fonts and connections
  (the WebSocket included): ours only;
- frame-ancestors from CHAT_FRAME_ANCESTORS ('none' by default): no other
  site can frame the room and trick a click.
flet-web adds `Access-Control-Allow-Origin: *` to everything it serves; we
take it off, so no other origin can read the app's responses.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE
)
API_DOC_PATHS = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


def content_security_policy(frame_ancestors: str, script_hashes: Sequence[str] = ()) -> str:
    """The policy for the page (`script_hashes` allow its inline scripts) and for every other response."""
    hashes = " ".join(f"'{h}'" for h in script_hashes)
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'wasm-unsafe-eval'{' ' + hashes if hashes else ''}",
        "worker-src 'self' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ]
    return "; ".join(directives)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source hashes ('sha256-...') of every inline <script> in a page."""
    return [
        "sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        for body in _INLINE_SCRIPT.findall(html)
    ]


class SecurityHeaders:
    """ASGI middleware: add the headers below to every HTTP response, drop any CORS grant."""

    def __init__(self, app: ASGIApp, frame_ancestors: str) -> None:
        self._app = app
        self._policy = content_security_policy(frame_ancestors).encode("latin-1")
        self._fixed = [
            (b"x-content-type-options", b"nosniff"),
            # Links in messages lead to other sites: they learn nothing of where they came from.
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-resource-policy", b"same-origin"),
            # Cross-origin isolation (as flet-web sets it): skwasm then renders on a worker thread.
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-embedder-policy", b"require-corp"),
        ]
        if frame_ancestors.strip() in ("'none'", "'self'"):  # for browsers without frame-ancestors
            deny = b"DENY" if frame_ancestors.strip() == "'none'" else b"SAMEORIGIN"
            self._fixed.append((b"x-frame-options", deny))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self._app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _REPLACED
                ]
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", self._policy))
                message = {**message, "headers": headers + self._fixed}
            await send(message)

        await self._app(scope, receive, send_with_headers)


_REPLACED = {
    b"access-control-allow-origin",
    b"access-control-allow-credentials",
    b"x-content-type-options",
    b"referrer-policy",
    b"x-frame-options",
    b"cross-origin-resource-policy",
    b"cross-origin-opener-policy",
    b"cross-origin-embedder-policy",
}


def drop_api_docs(app: FastAPI) -> None:
    """Remove FastAPI's generated /docs, /redoc and /openapi.json from a (sub-)app.

    Flet's app is a FastAPI app built with the defaults, so without this the
    room would serve an API explorer (which itself loads scripts from a CDN).
    """
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) not in API_DOC_PATHS
    ]
    app.openapi_url = app.docs_url = app.redoc_url = None
