"""What the /care routes share: the signed-in viewer, the session cookie, pages, redirects
and the fixed notes a page shows after an action (?done=...).

Every page answer is private (no-store), may not be framed, and runs no script.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from bot.careteam.directory import Member
from bot.dashboard.about import short_time
from bot.dashboard.sessions import CareSession, Loaded
from bot.dashboard.wiring import Dashboard
from bot.engine.today import zone
from bot.web.deps import Runtime

COOKIE = "safestart_care"
SIGN_IN = "/care/sign-in"
# Fixed texts for ?done=...: the address bar never puts words on the page.
DONE: Mapping[str, str] = {
    "added": "Appointment added. Its reminders are scheduled.",
    "claimed": "You are answering this conversation. The bot stays quiet until you hand it back.",
    "sent": "Your answer was texted to the parent.",
    "handed_back": "Handed back: the bot answers the parent again.",
    "cleared": "Flag cleared.",
    "need": "Need updated. The team members the parent shares it with will see the change.",
}
HEADERS: Mapping[str, str] = {
    "cache-control": "no-store",
    "content-security-policy": (
        "default-src 'self'; script-src 'none'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in member on this request."""

    dash: Dashboard
    member: Member
    session: CareSession
    now: datetime


def dashboard(request: Request) -> Dashboard:
    return runtime(request).dashboard


def runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


async def session_of(request: Request, dash: Dashboard, now: datetime) -> Loaded:
    """The session behind the request's cookie (signed in or not), touched; or why it ended."""
    return await dash.sessions.load(request.cookies.get(COOKIE), now)


async def signed_in(request: Request) -> Viewer:
    dash = dashboard(request)
    now = runtime(request).clock()
    loaded = await session_of(request, dash, now)
    member = dash.member(loaded.session.member if loaded.session else None)
    if loaded.session is not None and loaded.session.member and member is None:
        # Removed from the directory: every session of that id ends, not just this one.
        await dash.sessions.end_all(loaded.session.member)
    if loaded.session is None or member is None:
        ended = "?ended=idle" if loaded.ended == "idle" else ""
        raise HTTPException(303, "sign in first", headers={"location": SIGN_IN + ended})
    return Viewer(dash, member, loaded.session, now)


ViewerDep = Annotated[Viewer, Depends(signed_in)]
Csrf = Annotated[str, Form(max_length=200)]


def remember(response: Response, dash: Dashboard, session: CareSession) -> None:
    # Strict: the cookie never rides along on a request another site starts.
    response.set_cookie(
        COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        secure=dash.secure_cookies,
        path="/care",
    )


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    viewer: Viewer | None = None,
    status: int = 200,
) -> Response:
    dash = viewer.dash if viewer else dashboard(request)
    tz = zone(None, dash.default_timezone)

    def when(moment: datetime | None) -> str:
        """A time in the program's zone, named ("Mar 3, 2:05 PM EST")."""
        if moment is None:
            return ""
        local = moment.astimezone(tz)
        return f"{short_time(local)} {local.tzname()}"

    base: dict[str, Any] = {
        "when": when,
        "program": dash.names.program,
        "idle_minutes": int(dash.config.idle.total_seconds() // 60),
    }
    if viewer is not None:
        organization = dash.directory.organization_by_id[viewer.member.organization]
        base |= {
            "member": viewer.member,
            "organization": organization,
            "csrf": viewer.session.csrf,
            "now": viewer.now,
        }
    return runtime(request).templates.TemplateResponse(
        request, template, base | context, status_code=status, headers=dict(HEADERS)
    )


def forbidden(request: Request, viewer: Viewer | None = None) -> Response:
    """A form without this session's token: stale (signed out meanwhile) or forged."""
    return page(
        request, "care/forbidden.html", {"title": "Form expired"}, viewer=viewer, status=403
    )


def not_found(request: Request, viewer: Viewer) -> Response:
    return page(request, "care/not_found.html", {"title": "Not found"}, viewer=viewer, status=404)


def see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=dict(HEADERS))


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/care")
