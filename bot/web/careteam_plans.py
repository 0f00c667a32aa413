"""The care-team API: GET /api/v1/plans/{plan_id} (JSON) and .../fhir, per bearer token.

What a token may see is decided in reader.py; every read, allowed or not, is audited there.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from bot.careteam.fhir import build_bundle
from bot.careteam.plan_view import plan_json
from bot.careteam.reader import PlanReader
from bot.web.careteam_deps import NOT_FOUND, PRIVATE, PrincipalDep, ReaderDep

__all__ = ["PlanReader", "router"]

router = APIRouter(prefix="/api/v1", tags=["care team"])


@router.get("/plans/{plan_id}", summary="A plan as plain JSON, limited to what you may see")
async def get_plan(plan_id: str, who: PrincipalDep, reader: ReaderDep) -> JSONResponse:
    view = await reader.read(who, plan_id, "plan.json")
    if view is None:
        return JSONResponse(NOT_FOUND, status_code=404, headers=PRIVATE)
    return JSONResponse(plan_json(view), headers=PRIVATE)


@router.get("/plans/{plan_id}/fhir", summary="A plan as a FHIR R4 Bundle")
async def get_plan_fhir(plan_id: str, who: PrincipalDep, reader: ReaderDep) -> Response:
    view = await reader.read(who, plan_id, "plan.fhir")
    if view is None:
        return JSONResponse(NOT_FOUND, status_code=404, headers=PRIVATE)
    bundle = build_bundle(view, reader.base_url, now=reader.clock())
    return Response(bundle.model_dump_json(), media_type="application/fhir+json", headers=PRIVATE)
