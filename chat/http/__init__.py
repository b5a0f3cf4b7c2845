"""HTTP in front of the Flet app: the client's files served compressed and cacheable, security headers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chat.config import Settings
from chat.http.engine_fonts import client_script
from chat.http.fallback_fonts import FallbackFontStore, FontSources
from chat.http.security import SecurityHeaders, drop_api_docs
from chat.http.static import StaticDelivery

__all__ = ["SecurityHeaders", "serve_web_client"]


def serve_web_client(flet_app: FastAPI, settings: Settings, assets_dir: Path) -> StaticDelivery:
    """Wrap Flet's app: it keeps its WebSocket and routes, we serve its files and page."""
    drop_api_docs(flet_app)
    passthrough = {getattr(route, "path", "") for route in flet_app.router.routes} - {"", "/"}
    fonts = FallbackFontStore(FontSources([settings.fonts_dir]), settings.cache_dir / "fonts")
    roots = [assets_dir, client_script().parent]
    return StaticDelivery(
        flet_app, roots, fonts, settings.frame_ancestors, passthrough, settings.cache_dir / "static"
    )
