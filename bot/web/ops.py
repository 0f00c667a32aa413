"""For operators: health, Prometheus metrics, and / sending people to the web chat."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.web.deps import RuntimeDep, ServiceDep

router = APIRouter(tags=["operators"])

HEALTH_BUDGET_SECONDS = 1.0


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("/chat", status_code=307)


@router.get("/healthz")
async def healthz(service: ServiceDep) -> JSONResponse:
    """200 {"redis": "ok"} when Redis answers, else 503."""
    try:
        async with asyncio.timeout(HEALTH_BUDGET_SECONDS):
            alive = await service.store.ping()
    except Exception:  # whatever the cause, the answer is "not healthy", never a 500
        alive = False
    if alive:
        return JSONResponse({"redis": "ok"})
    return JSONResponse({"redis": "unavailable"}, status_code=503)


@router.get("/metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
