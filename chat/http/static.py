"""Serve the web client's files compressed and cacheable, in front of Flet's own static files.

Flet serves its ~14 MB client uncompressed, with no Cache-Control. This ASGI
wrapper answers GET/HEAD for the files itself:

- every compressible file goes out brotli- or gzip-encoded, compressed once
  (at start-up for the files a first visit needs) and kept (`compressed.py`);
- the engine (`main.dart.*`, `canvaskit/*`) is served under a build-versioned
  path, `/_v/<build>/...`, with a year of `immutable` caching; `index.html`
  points the engine there (its `confabBuildPath` line is filled in here);
- everything else (the page, flutter_bootstrap.js, manifest, fonts) carries
  an ETag and `no-cache`, so a warm visit revalidates it for a few bytes;
- the engine's emoji/CJK fallback fonts come from `fallback_fonts.py`;
- the page itself gets a Content-Security-Policy with the hashes of its
  inline scripts (`security.py`).

Anything else (the WebSocket, uploads, OAuth, unknown files) goes to Flet.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath

import flet_web.version
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chat.http.compressed import Encoded, EncodedFiles, content_type, encode
from chat.http.fallback_fonts import FallbackFontStore
from chat.http.security import content_security_policy, inline_script_hashes

log = logging.getLogger(__name__)

VERSIONED_PREFIX = "/_v/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
FALLBACK_FONTS_PREFIX = "assets/fonts/"
WARM_AT_START = (
    "main.dart.wasm",
    "main.dart.mjs",
    "canvaskit/skwasm.wasm",
    "canvaskit/skwasm.js",
    "flutter_bootstrap.js",
    "python.js",
    "assets/fonts/MaterialIcons-Regular.otf",
    "assets/FontManifest.json",
)
"""What a first visit of a current Chromium loads (skwasm build); compressed before anyone asks."""
_BUILD_PATH_LINE = 'var confabBuildPath = "/";'


def _is_engine_file(relative: str) -> bool:
    return relative.startswith(("canvaskit/", "main.dart."))


class StaticDelivery:
    """ASGI wrapper around Flet's app that serves the client's files itself."""

    def __init__(
        self,
        flet_app: ASGIApp,
        roots: list[Path],
        fonts: FallbackFontStore,
        frame_ancestors: str,
        passthrough: set[str],
        cache_dir: Path | None = None,
    ) -> None:
        self._app = flet_app
        self._roots = [
            root.resolve() for root in roots
        ]  # first match wins: our assets, then Flet's
        self._fonts = fonts
        self._frame_ancestors = frame_ancestors
        self._passthrough = passthrough  # Flet's own HTTP routes (OAuth callback, uploads)
        self._files = EncodedFiles(cache_dir)
        self.build = self._build_id()
        self._index: tuple[Encoded, str] | None = None
        self._index_lock = asyncio.Lock()

    def _build_id(self) -> str:
        # Same on every replica of a deployment: the client's version and the engine files' sizes.
        digest = hashlib.sha256(flet_web.version.version.encode())
        for root in self._roots:
            for path in sorted(root.glob("main.dart.*")) + sorted((root / "canvaskit").rglob("*")):
                if path.is_file():
                    digest.update(f"{path.relative_to(root)}:{path.stat().st_size}".encode())
        return digest.hexdigest()[:12]

    async def warm(self) -> None:
        """Compress what a first visit needs, so that visit does not wait for it."""
        try:
            await self._page()
            for relative in WARM_AT_START:
                path = self._find(relative)
                if path is not None:
                    await self._files.get(path)
        except Exception:  # a visit will retry and fail visibly; say why now too
            log.exception("could not prepare the web client's files")

    # ---- routing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return await self._app(scope, receive, send)
        path = scope["path"]
        if path in self._passthrough:
            return await self._app(scope, receive, send)
        handler = await self._route(scope, path)
        if handler is None:
            return await self._app(scope, receive, send)
        await handler(scope, send)

    async def _route(
        self, scope: Scope, path: str
    ) -> Callable[[Scope, Send], Awaitable[None]] | None:
        if path.startswith(VERSIONED_PREFIX):
            build, _, relative = path[len(VERSIONED_PREFIX) :].partition("/")
            found = (
                self._find(relative) if build == self.build and _is_engine_file(relative) else None
            )
            if found is None:
                return _not_found
            return functools.partial(self._send_file, path=found, cache_control=IMMUTABLE)
        relative = path.lstrip("/")
        if relative.startswith(FALLBACK_FONTS_PREFIX) and self._fonts.knows(
            relative[len(FALLBACK_FONTS_PREFIX) :]
        ):
            return self._send_fallback_font
        if relative in ("", "index.html"):
            return self._send_page
        found = self._find(relative)
        if found is not None:
            return lambda scope, send: self._send_file(scope, send, found, REVALIDATE)
        if PurePosixPath(relative).suffix.lower() in ("", ".html"):
            return self._send_page  # a route of the app: the page, as Flet would answer
        return None

    def _find(self, relative: str) -> Path | None:
        if not relative or relative.startswith("/") or ".." in PurePosixPath(relative).parts:
            return None
        for root in self._roots:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None

    # ---- the page

    async def _page(self) -> tuple[Encoded, str]:
        if self._index is None:
            async with self._index_lock:
                if self._index is None:
                    self._index = await self._render_page()
        return self._index

    async def _render_page(self) -> tuple[Encoded, str]:
        # Flet fills its settings into index.html on its first request: ask it once, in-process.
        html = (await _get(self._app, "/index.html")).decode("utf-8")
        if _BUILD_PATH_LINE not in html:
            log.warning(
                "index.html has no %r line: the engine is served without versioned caching",
                _BUILD_PATH_LINE,
            )
        html = html.replace(
            _BUILD_PATH_LINE, f'var confabBuildPath = "{VERSIONED_PREFIX}{self.build}/";'
        )
        policy = content_security_policy(self._frame_ancestors, inline_script_hashes(html))
        return await asyncio.to_thread(encode, html.encode("utf-8"), "index.html"), policy

    async def _send_page(self, scope: Scope, send: Send) -> None:
        encoded, policy = await self._page()
        await _send_encoded(scope, send, encoded, REVALIDATE, {"content-security-policy": policy})

    # ---- files

    async def _send_file(self, scope: Scope, send: Send, path: Path, cache_control: str) -> None:
        encoded = await self._files.get(path)
        if encoded is None:
            encoded = await asyncio.to_thread(
                lambda: Encoded(content_type(path), path.read_bytes(), None, None, _stat_tag(path))
            )
        await _send_encoded(scope, send, encoded, cache_control, {}, path)

    async def _send_fallback_font(self, scope: Scope, send: Send) -> None:
        relative = scope["path"].lstrip("/")[len(FALLBACK_FONTS_PREFIX) :]
        path = await self._fonts.slice(relative)
        if path is None:
            return await _not_found(scope, send)
        # The path names the font's version (".../v32/..."): it never changes in place.
        await self._send_file(scope, send, path, IMMUTABLE)


def _stat_tag(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"


async def _send_encoded(
    scope: Scope,
    send: Send,
    encoded: Encoded,
    cache_control: str,
    extra: dict[str, str],
    path: Path | None = None,
) -> None:
    request = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    body, encoding, etag = encoded.choose(request.get("accept-encoding", ""))
    headers = {
        "etag": etag,
        "cache-control": cache_control,
        "vary": "Accept-Encoding",
        "content-type": encoded.content_type,
        **extra,
    }
    if encoding:
        headers["content-encoding"] = encoding
    if etag in {tag.strip() for tag in request.get("if-none-match", "").split(",")}:
        return await _respond(send, 304, headers, b"", head=True)
    if body is None and path is not None:
        body = await asyncio.to_thread(path.read_bytes)
    headers["content-length"] = str(len(body or b""))
    await _respond(send, 200, headers, body or b"", head=scope["method"] == "HEAD")


async def _respond(
    send: Send, status: int, headers: dict[str, str], body: bytes, head: bool = False
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _not_found(scope: Scope, send: Send) -> None:
    await _respond(
        send,
        404,
        {"content-type": "text/plain; charset=utf-8"},
        b"Not Found\n",
        scope["method"] == "HEAD",
    )


async def _get(app: ASGIApp, path: str) -> bytes:
    """GET `path` from an ASGI app in-process; its body, or an error naming the status."""
    chunks: list[bytes] = []
    status: list[int] = []
    requested, done = asyncio.Event(), asyncio.Event()

    async def receive() -> Message:
        if not requested.is_set():
            requested.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # then the "client" goes away, as a real one would
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 0),
    }
    try:
        await app(scope, receive, send)
    finally:
        done.set()
    if status[:1] != [200]:
        raise RuntimeError(f"the web client's {path} answered {status[:1]}")
    return b"".join(chunks)
