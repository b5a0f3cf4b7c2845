"""Serve a Flet 1.0 web app (or any ASGI app) on a free loopback port.

Usage::

    async with serve_flet(main) as base_url:          # a Flet `main(page)`
        client = await FletClient.connect(base_url)

    async with serve_flet(my_asgi_app) as base_url:   # a ready ASGI app
        ...

The server runs as a task on the *current* event loop (uvicorn.Server), so
the app's sessions and the test's clients share one loop: no threads, and
``await`` in the test observes server-side state directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

__all__ = ["serve_flet", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _is_flet_main(obj: Any) -> bool:
    """True for a Flet entry point ``main(page)``; False for an ASGI app.

    An ASGI app is called as ``app(scope, receive, send)``: an object with
    three positional parameters (FastAPI/Starlette instances are callables
    with that signature too).
    """
    target = obj if inspect.isroutine(obj) else getattr(obj, "__call__", obj)
    try:
        params = [
            p
            for p in inspect.signature(target).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        return False
    return len(params) < 3


def _reset_flet_app_manager() -> None:
    """Make flet_web's process-wide app manager usable on the current loop.

    ``flet_web.fastapi.app_manager`` is a module-level singleton. It caches
    one PubSubHub per ``main`` bound to the event loop of the first
    connection, and its eviction task is started only once. pytest-asyncio
    gives every test a fresh loop, so a second test serving the same ``main``
    would get a hub that schedules async pubsub handlers on a dead loop
    (they never run). Drop hubs bound to another loop and a finished
    eviction task, so ``app_manager.start()`` (the app's lifespan) re-creates
    them here. Private names: best effort, harmless if they change.
    """
    try:
        from flet_web.fastapi import app_manager
    except ImportError:  # not a Flet server
        return
    loop = asyncio.get_running_loop()
    hubs = getattr(app_manager, "_FletAppManager__pubsubhubs", None)
    if isinstance(hubs, dict):
        for key, hub in list(hubs.items()):
            if getattr(hub, "_PubSubHub__loop", loop) is not loop:
                del hubs[key]
    for name in (
        "_FletAppManager__evict_sessions_task",
        "_FletAppManager__evict_oauth_states_task",
    ):
        task = getattr(app_manager, name, None)
        if task is not None and (task.done() or task.get_loop() is not loop):
            setattr(app_manager, name, None)


@contextlib.asynccontextmanager
async def serve_flet(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    no_cdn: bool = True,
    log_level: str = "warning",
    ws: str = "websockets-sansio",
    ws_per_message_deflate: bool = True,
    ws_max_queue: int = 32,
    ws_max_size: int = 16 * 1024 * 1024,
    startup_timeout: float = 10.0,
    shutdown_timeout: float = 5.0,
    **app_kwargs: Any,
) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn in a background task; yield ``http://host:port``.

    ``app`` is either a Flet entry point (``main(page)``, sync or async; it
    is wrapped with ``flet_web.fastapi.app(main, no_cdn=..., **app_kwargs)``)
    or a ready ASGI app (e.g. the FastAPI app a real Confab build returns);
    ``app_kwargs`` are only valid with a ``main``.

    The app's lifespan runs (uvicorn ``lifespan="on"``), which is what starts
    Flet's app manager for apps built with flet_web's FastAPI. ``ws`` is the
    uvicorn WebSocket implementation; "websockets-sansio" is what Flet's
    own web server uses. On exit the server shuts down gracefully: open
    WebSockets are closed, so sessions see ``on_disconnect``.
    """
    _reset_flet_app_manager()
    if _is_flet_main(app):
        import flet_web.fastapi as flet_fastapi

        asgi_app = flet_fastapi.app(app, no_cdn=no_cdn, **app_kwargs)
    else:
        if app_kwargs:
            raise TypeError(
                f"options {sorted(app_kwargs)} need a Flet main, not an ASGI app"
            )
        asgi_app = app

    if port is None:
        port = free_port(host)
    config = uvicorn.Config(
        asgi_app,
        host=host,
        port=port,
        log_level=log_level,
        ws=ws,
        ws_per_message_deflate=ws_per_message_deflate,
        ws_max_queue=ws_max_queue,
        ws_max_size=ws_max_size,
        lifespan="on",
        access_log=False,
        timeout_graceful_shutdown=shutdown_timeout,
    )
    server = uvicorn.Server(config)
    # uvicorn's own signal handlers would steal Ctrl-C from pytest.
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(), name=f"uvicorn:{port}")

    deadline = asyncio.get_running_loop().time() + startup_timeout
    while not server.started:
        if task.done():
            # serve() returned or raised before start (port taken, bad app,
            # lifespan failure: uvicorn logs it and returns).
            exc = task.exception()
            raise RuntimeError(f"server on {host}:{port} failed to start") from exc
        if asyncio.get_running_loop().time() > deadline:
            task.cancel()
            raise TimeoutError(f"server on {host}:{port} did not start")
        await asyncio.sleep(0.01)

    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, shutdown_timeout + 5)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        except Exception:  # noqa: BLE001 - shutdown errors must not mask test
            logging.getLogger(__name__).exception("uvicorn shutdown failed")
