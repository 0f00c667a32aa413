"""PATCH /api/v1/plans/{plan_id}/needs/{need_id}: a member moves a need along (need -> referred
-> connected), takes it on, or notes what was done. Only a member's own bearer token may.

| answer | when |
|---|---|
| 200 | the need as it is now (unchanged when nothing differed) |
| 401 | no valid bearer token |
| 403 | not a member's token; or the member's consent does not reach the answer behind the need |
| 404 | no such plan, or the member may see nothing of it (the two look alike); no such need |
| 409 | `version` given and the need has moved on, or it moved to another section meanwhile |
| 422 | a body that does not validate; a future `referred_on`; an owner who may not see the need |
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.careteam.errors import (
    CareTeamError,
    NeedConflict,
    NeedForbidden,
    NeedInvalid,
    NeedNotFound,
    PlanNotFound,
)
from bot.careteam.need_updates import NeedDesk
from bot.careteam.needs import CHANGEABLE, NeedChange, need_json
from bot.engine.session import NeedStatus
from bot.web.careteam_deps import NOT_FOUND, PRIVATE, MemberDep, careteam_of

router = APIRouter(prefix="/api/v1", tags=["care team"])

_STATUS: dict[type[CareTeamError], int] = {
    PlanNotFound: 404,
    NeedNotFound: 404,
    NeedForbidden: 403,
    NeedConflict: 409,
    NeedInvalid: 422,
}
_DETAIL: dict[type[CareTeamError], str] = {
    NeedNotFound: "need not found",
    NeedForbidden: "your consent does not cover this need",
}


class NeedUpdate(BaseModel):
    """What to change; at least one field. `owner: null` hands the need back to no one."""

    model_config = ConfigDict(extra="forbid")

    status: NeedStatus | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=40)
    notes: str | None = Field(default=None, max_length=2000)
    referred_on: date | None = None
    # The version the change was made against: 409 when the need has moved on since.
    version: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _something(self) -> NeedUpdate:
        if not self.model_fields_set & set(CHANGEABLE):
            raise ValueError(f"give at least one of {', '.join(CHANGEABLE)}")
        return self

    def change(self) -> NeedChange:
        return NeedChange(
            given=frozenset(self.model_fields_set),
            status=self.status,
            owner=self.owner,
            notes=self.notes,
            referred_on=self.referred_on,
            version=self.version,
        )


async def get_desk(request: Request) -> NeedDesk:
    desk: NeedDesk = careteam_of(request).needs
    return desk


DeskDep = Annotated[NeedDesk, Depends(get_desk)]


@router.patch(
    "/plans/{plan_id}/needs/{need_id}",
    summary="Change a need's status, owner, referral date or notes",
    responses={403: {}, 404: {}, 409: {}},
)
async def patch_need(
    plan_id: str, need_id: str, update: NeedUpdate, who: MemberDep, desk: DeskDep
) -> JSONResponse:
    try:
        need = await desk.update(who, plan_id, need_id, update.change())
    except CareTeamError as exc:
        return _refusal(exc)
    return JSONResponse(need_json(need), headers=PRIVATE)


def _refusal(exc: CareTeamError) -> JSONResponse:
    kind = type(exc)
    status = _STATUS.get(kind, 400)
    body: dict[str, Any] = NOT_FOUND if kind is PlanNotFound else {}
    if not body:
        body = {"detail": _DETAIL.get(kind, str(exc))}
    return JSONResponse(body, status_code=status, headers=PRIVATE)
