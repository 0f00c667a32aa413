"""FastAPI dependencies of the care-team routes: the running service and the bearer's owner."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.careteam.directory import Principal
from bot.careteam.errors import TooManyTokenChecks
from bot.careteam.reader import PlanReader
from bot.careteam.wiring import CareTeam

_bearer = HTTPBearer(auto_error=False, description="A token from the care-team directory")
PRIVATE = {"cache-control": "no-store"}
NOT_FOUND = {"detail": "plan not found"}


def careteam_of(request: Request) -> CareTeam:
    """The running care-team service (`runtime.careteam`); 503 before the app has started."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None or runtime.careteam is None:
        raise HTTPException(503, "the care-team service is not running")
    careteam: CareTeam = runtime.careteam
    return careteam


async def get_reader(request: Request) -> PlanReader:
    reader: PlanReader = careteam_of(request).reader
    return reader


ReaderDep = Annotated[PlanReader, Depends(get_reader)]


async def get_principal(
    request: Request,
    reader: ReaderDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    address = request.client.host if request.client else "unknown"
    try:
        who = await reader.authenticate(credentials.credentials, address) if credentials else None
    except TooManyTokenChecks as refused:
        retry = {"Retry-After": str(refused.retry_after)}
        raise HTTPException(429, "too many failed token checks; try again later", retry) from None
    if who is None:
        raise HTTPException(401, "a valid bearer token is needed", {"WWW-Authenticate": "Bearer"})
    return who


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_member(who: PrincipalDep) -> Principal:
    """Only a care-team member's own token (not an endpoint's or an operator's)."""
    if who.kind != "member":
        raise HTTPException(403, "only a care-team member's token may do this")
    return who


MemberDep = Annotated[Principal, Depends(get_member)]


async def get_operator(who: PrincipalDep) -> Principal:
    """Only a program operator's token."""
    if who.kind != "operator":
        raise HTTPException(403, "only a program operator's token may see this")
    return who


OperatorDep = Annotated[Principal, Depends(get_operator)]
