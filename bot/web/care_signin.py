"""The dashboard's sign-in and sign-out at /care/sign-in and /care/sign-out.

The sign-in form writes nothing on the server until someone signs in (bot/dashboard/
signin_form); a session id planted before the sign-in is worth nothing after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.dashboard.signin_form import FORM_COOKIE, SignInForms, new_nonce
from bot.dashboard.wiring import Dashboard
from bot.web import dashboard as web

router = APIRouter(prefix="/care", include_in_schema=False)

# Fixed texts for ?ended=... (why the member was signed out), as for ?done= in dashboard.py.
ENDED: Mapping[str, str] = {
    "idle": "You were signed out after {minutes} minutes without activity. Please sign in again.",
    "out": "You are signed out.",
}


@router.get("/sign-in")
async def sign_in_page(request: Request, ended: str = "") -> Response:
    """The form; nothing is written on the server until someone signs in (signin_form)."""
    dash = web.dashboard(request)
    now = web.runtime(request).clock()
    loaded = await web.session_of(request, dash, now)
    if loaded.session is not None and dash.member(loaded.session.member):
        return web.see("/care")
    minutes = int(dash.config.idle.total_seconds() // 60)
    notice = ENDED.get(ended, "").format(minutes=minutes)
    nonce = request.cookies.get(FORM_COOKIE) or new_nonce()
    response = _sign_in_form(request, _forms(dash).token(nonce, now), notice=notice)
    response.set_cookie(
        FORM_COOKIE,
        nonce,
        max_age=int(dash.config.anonymous_ttl.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=dash.secure_cookies,
        path=web.SIGN_IN,
    )
    return response


def _forms(dash: Dashboard) -> SignInForms:
    return SignInForms(dash.cipher.id_key, dash.config.anonymous_ttl)


def _sign_in_form(
    request: Request,
    csrf: str,
    *,
    member_id: str = "",
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    context = {
        "title": "Sign in",
        "csrf": csrf,
        "member_id": member_id,
        "error": error,
        "notice": notice,
    }
    return web.page(request, "care/sign_in.html", context, status=status)


SIGN_IN_ERRORS: Mapping[str, tuple[int, str]] = {
    "wrong": (401, "That member ID and password do not match. Please try again."),
    "locked": (
        423,
        "Too many wrong passwords: this account is locked for a while. "
        "Try again later, or ask your program operator.",
    ),
    "throttled": (429, "Too many sign-in attempts from this computer. Please wait and try again."),
}


@router.post("/sign-in")
async def sign_in(
    request: Request,
    csrf: web.Csrf = "",
    member_id: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    dash = web.dashboard(request)
    now = web.runtime(request).clock()
    loaded = await web.session_of(request, dash, now)
    current = loaded.session
    if current is not None and dash.member(current.member):
        return web.see("/care")
    if not _forms(dash).valid(request.cookies.get(FORM_COOKIE), csrf, now):
        return web.forbidden(request)
    address = request.client.host if request.client else "unknown"
    result = await dash.signin.attempt(member_id.strip(), password, address, now)
    if result.outcome == "signed_in" and result.session is not None:
        # A new id at sign-in: a session id planted before it is worth nothing after.
        if current is not None:
            await dash.sessions.end(current)
        response = web.see("/care")
        web.remember(response, dash, result.session)
        response.delete_cookie(FORM_COOKIE, path=web.SIGN_IN)
        return response
    status, message = SIGN_IN_ERRORS[result.outcome]
    refused = _sign_in_form(
        request, csrf, member_id=member_id.strip(), error=message, status=status
    )
    if result.outcome == "throttled":
        refused.headers["retry-after"] = str(int(dash.config.attempt_window.total_seconds()))
    return refused


@router.post("/sign-out")
async def sign_out(request: Request, viewer: web.ViewerDep, csrf: web.Csrf = "") -> Response:
    if not viewer.session.csrf_ok(csrf):
        return web.forbidden(request, viewer)
    await viewer.dash.sessions.end(viewer.session)
    response = web.see(web.SIGN_IN + "?ended=out")
    web.forget(response)
    return response
