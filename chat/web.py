"""The ASGI app: our routes first, then Flet's web app mounted at / for everything else."""

from __future__ import annotations

import asyncio
from pathlib import Path

import flet_web.fastapi as flet_fastapi

from chat.api import build_router
from chat.app import Confab
from chat.config import Settings

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


def create_app(settings: Settings) -> flet_fastapi.FastAPI:
    """A FastAPI app serving Confab; Flet's catch-all mount comes last so it shadows nothing."""
    confab = Confab(settings)

    async def start() -> None:
        hub = flet_fastapi.app_manager.get_pubsubhub(confab.main, loop=asyncio.get_running_loop())
        await confab.start(hub)

    app = flet_fastapi.FastAPI(
        on_startup=[start],
        on_shutdown=[confab.stop],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.confab = confab
    app.include_router(build_router(confab))
    app.mount(
        "/",
        flet_fastapi.app(
            confab.main,
            assets_dir=str(ASSETS_DIR),
            app_name="Confab",
            app_short_name="Confab",
            app_description="A realtime chat room with an AI participant",
            no_cdn=True,
        ),
    )
    return app
