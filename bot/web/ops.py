"""For operators: health, Prometheus metrics, the API's description (/docs), and / sending
people to the web chat."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
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
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Prometheus text; the care-team queue gauges are read from Redis at each scrape."""
    careteam = runtime.careteam
    if careteam is not None:
        try:
            async with asyncio.timeout(HEALTH_BUDGET_SECONDS):
                await careteam.worker.sender.refresh_gauges()
        except Exception:  # Redis away: the gauges keep their last values, /metrics still answers
            runtime.metrics.errors.labels("metrics_gauges").inc()
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/docs", include_in_schema=False)
async def docs(request: Request, runtime: RuntimeDep) -> Response:
    """The OpenAPI description as a plain page: no script, nothing from another site."""
    schema: dict[str, Any] = request.app.openapi()
    routes = [
        {
            "method": method.upper(),
            "path": path,
            "summary": operation.get("summary", ""),
            "description": operation.get("description", ""),
            "parameters": [
                {
                    "name": p.get("name", ""),
                    "where": p.get("in", ""),
                    "required": bool(p.get("required")),
                    "description": p.get("description", ""),
                }
                for p in operation.get("parameters", [])
            ],
            "responses": sorted(operation.get("responses", {})),
        }
        for path, item in schema.get("paths", {}).items()
        for method, operation in item.items()
    ]
    info = schema.get("info", {})
    context = {
        "title": info.get("title", ""),
        "description": info.get("description", ""),
        "version": schema.get("openapi", ""),
        "openapi_url": request.app.openapi_url,
        "routes": routes,
    }
    return runtime.templates.TemplateResponse(request, "docs.html", context)
