"""Routes for whoever runs Confab: /livez, /readyz and /metrics (beside /healthz in chat/api.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from chat import metrics
from chat.store.base import StoreUnavailable

if TYPE_CHECKING:
    from chat.app import Confab


def build_ops_router(confab: Confab) -> APIRouter:
    """Liveness, readiness and Prometheus metrics for one Confab process."""
    router = APIRouter()

    @router.get("/livez")
    async def livez() -> Response:
        # Answering at all is the proof: the event loop runs and HTTP is served.
        return PlainTextResponse("ok\n")

    @router.get("/readyz")
    async def readyz() -> Response:
        health = await confab.service.health()
        down = [
            name for name, state in (("store", health.store), ("bus", health.bus)) if state != "ok"
        ]
        head = f"not ready: {' and '.join(down)} not answering" if down else "ready"
        body = f"{head}\nstore: {health.store}\nbus: {health.bus}\n"
        return PlainTextResponse(body, status_code=503 if down else 200)

    @router.get("/metrics")
    async def prometheus() -> Response:
        await _refresh_gauges(confab)
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)

    return router


async def _refresh_gauges(confab: Confab) -> None:
    # Gauges are read when scraped, so the paths that change them pay nothing.
    metrics.SESSIONS.set(confab.service.session_count())
    try:
        metrics.ROOMS.set(len(await confab.store.room_names()))
    except StoreUnavailable:
        pass  # counted in confab_store_errors_total; the last known value stays
