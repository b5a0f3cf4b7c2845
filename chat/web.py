"""The ASGI app: our routes first, then Flet's web app mounted at / for everything else."""

from __future__ import annotations

import asyncio

import flet_web.fastapi as flet_fastapi

from chat import flet_wire
from chat.api import build_router
from chat.app import Confab
from chat.config import Settings
from chat.flet_internals import app_pubsub_hub
from chat.http import SecurityHeaders, serve_web_client
from chat.http.api_v1 import build_api_v1, search_alias
from chat.http.files import build_file_routes
from chat.http.hosts import add_host_check
from chat.ops_routes import build_ops_router
from chat.resources import assets_dir
from chat.socket_guard import SocketGuard, SocketGuardMiddleware, SocketLimits
from chat.task_dump import install as dump_tasks_on_signal

ASSETS_DIR = assets_dir()


def create_app(settings: Settings) -> flet_fastapi.FastAPI:
    """A FastAPI app serving Confab; Flet's catch-all mount comes last so it shadows nothing."""
    confab = Confab(settings)

    async def start() -> None:
        dump_tasks_on_signal()  # kill -USR1: what a hung server waits on
        await confab.start(app_pubsub_hub(confab.main))
        app.state.warm_client = asyncio.create_task(web_client.warm())  # compress in the background

    app = flet_fastapi.FastAPI(
        on_startup=[start],
        on_shutdown=[confab.stop],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.confab = confab
    app.include_router(build_ops_router(confab))
    # Flet's WebSocket is served only past the guard: bad or flooding sockets are closed there.
    flet_wire.drop_sends_after_close()
    flet_wire.expose_events_in_flight()
    flet_wire.cache_event_types()
    app.state.socket_guard = SocketGuard(
        SocketLimits.from_settings(settings), confab.socket_notices
    )
    app.add_middleware(SocketGuardMiddleware, guard=app.state.socket_guard)
    app.include_router(build_router(confab))
    app.include_router(build_file_routes(confab))
    api_v1 = build_api_v1(confab)
    app.include_router(search_alias(api_v1))
    app.include_router(api_v1)
    flet_app = flet_fastapi.app(
        confab.main,
        assets_dir=str(ASSETS_DIR),
        app_name="Confab",
        app_short_name="Confab",
        app_description="A realtime chat room with an AI participant",
        no_cdn=True,
    )
    web_client = serve_web_client(flet_app, settings, ASSETS_DIR)
    app.mount("/", web_client)
    # Before anything else is served: a request for another name may be a DNS rebinding page.
    add_host_check(app, settings.allowed_hosts, settings.host)
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
    return app
