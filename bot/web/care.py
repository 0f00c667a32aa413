"""The care-team dashboard at /care: sign-in, plans, a plan, the handoff inbox, printing.

HTML forms only, no script. Every page needs a signed-in member (else a redirect to the
sign-in page); every POST carries the session's CSRF token; every answer is private
(no-store) and may not be framed. What a member sees is decided in bot/dashboard.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.careteam.consent import PART2_SECTION
from bot.careteam.directory import ROLE_LABELS
from bot.careteam.errors import CareTeamError
from bot.careteam.needs import NeedChange
from bot.careteam.payload import contact_of
from bot.dashboard import appointments, audit, handoff, inbox, planpage, printing, roster
from bot.dashboard.scan import visible_sections
from bot.dashboard.signin_form import FORM_COOKIE, SignInForms, new_nonce
from bot.dashboard.wiring import Dashboard, principal_of
from bot.engine.session import NEED_STATUSES
from bot.engine.today import local_today, zone
from bot.reminders.intake import InvalidAppointment, UnknownPlan
from bot.web import dashboard as web
from bot.web.careteam_deps import careteam_of

router = APIRouter(prefix="/care", include_in_schema=False)

# Fixed texts for ?done=...: the address bar never puts words on the page.
DONE: Mapping[str, str] = {
    "added": "Appointment added. Its reminders are scheduled.",
    "claimed": "You are answering this conversation. The bot stays quiet until you hand it back.",
    "sent": "Your answer was texted to the parent.",
    "handed_back": "Handed back: the bot answers the parent again.",
    "cleared": "Flag cleared.",
    "need": "Need updated. The team members the parent shares it with will see the change.",
}
ENDED: Mapping[str, str] = {
    "idle": "You were signed out after {minutes} minutes without activity. Please sign in again.",
    "out": "You are signed out.",
}


# ---- sign-in -------------------------------------------------------------------------


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


# ---- plans ---------------------------------------------------------------------------


@router.get("")
async def plans(request: Request, viewer: web.ViewerDep, q: str = "", page: int = 1) -> Response:
    dash, member, now = viewer.dash, viewer.member, viewer.now
    rows = roster.search(await roster.visible_plans(dash, member, now), q[:100])
    shown = roster.page_of(rows, page, dash.config.page_size)
    planner = dash.planner
    visits: dict[str, appointments.Visit | None] = {}
    if planner is not None:
        wanted = [
            (r.contact, r.sees_recovery, zone(r.timezone, dash.default_timezone))
            for r in shown.rows
        ]
        visits = await appointments.next_visits(planner, wanted)
    await audit.record_many(
        dash.records, [r.contact for r in shown.rows], member, now, "dashboard.list"
    )
    context = {
        "title": "Plans",
        "page": shown,
        "query": q[:100],
        "visits": visits,
        "today": local_today(now, None, dash.default_timezone),
    }
    return web.page(request, "care/plans.html", context, viewer=viewer)


async def _plan_response(
    request: Request,
    viewer: web.ViewerDep,
    plan_id: str,
    *,
    error: str = "",
    done: str = "",
    form: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = await planpage.plan_page(viewer.dash, viewer.member, plan_id, viewer.now)
    if found is None:
        return web.not_found(request, viewer)
    context = {
        "title": found.about.name,
        "plan": found,
        "today": local_today(viewer.now, None, viewer.dash.default_timezone),
        "kind_labels": appointments.KIND_LABELS,
        "error": error,
        "done": DONE.get(done, ""),
        "form": form or {},
        "request_id": secrets.token_urlsafe(12),
        "people": {m.id: m.name for m in viewer.dash.directory.members},
        "org_names": {o.id: o.name for o in viewer.dash.directory.organizations},
        "role_labels": ROLE_LABELS,
        "section_titles": {f.id: f.title for f in viewer.dash.flows.sections},
    }
    return web.page(request, "care/plan.html", context, viewer=viewer, status=status)


@router.get("/plans/{plan_id}")
async def plan(request: Request, viewer: web.ViewerDep, plan_id: str, done: str = "") -> Response:
    return await _plan_response(request, viewer, plan_id, done=done)


@router.post("/plans/{plan_id}/appointments")
async def add_appointment(
    request: Request,
    viewer: web.ViewerDep,
    plan_id: str,
    csrf: web.Csrf = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    day: Annotated[str, Form(max_length=20)] = "",
    at: Annotated[str, Form(max_length=20)] = "",
    repeat: Annotated[str, Form(max_length=10)] = "once",
    place: Annotated[str, Form(max_length=200)] = "",
    until: Annotated[str, Form(max_length=20)] = "",
    request_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    if not viewer.session.csrf_ok(csrf):
        return web.forbidden(request, viewer)
    dash, member, now = viewer.dash, viewer.member, viewer.now
    contact = contact_of(plan_id)
    state = await dash.records.latest_consent(contact) if contact else None
    visible = visible_sections(state, member, now) if state else frozenset()
    if contact is None or not visible:
        return web.not_found(request, viewer)
    form = {"kind": kind, "day": day, "at": at, "repeat": repeat, "place": place, "until": until}
    try:
        visit = appointments.parse_visit(form, request_id, PART2_SECTION in visible)
    except appointments.BadVisit as exc:
        return await _plan_response(request, viewer, plan_id, error=str(exc), form=form, status=422)
    planner = dash.planner
    if planner is None:
        return await _plan_response(
            request,
            viewer,
            plan_id,
            error="Reminders are not running right now. Try later.",
            form=form,
            status=503,
        )
    try:
        added = await appointments.add_visit(planner, contact, visit)
    except (InvalidAppointment, UnknownPlan) as exc:
        message = "That appointment is in the past." if "past" in str(exc) else str(exc)
        return await _plan_response(request, viewer, plan_id, error=message, form=form, status=422)
    what = f"appointment {added.id} on {added.day.isoformat()}"
    await dash.records.audit(contact, audit.entry(member, now, audit.APPOINTMENT, what))
    return web.see(f"/care/plans/{plan_id}?done=added#visits")


@router.post("/plans/{plan_id}/flags/{flag}/clear")
async def clear_flag(
    request: Request, viewer: web.ViewerDep, plan_id: str, flag: str, csrf: web.Csrf = ""
) -> Response:
    if not viewer.session.csrf_ok(csrf):
        return web.forbidden(request, viewer)
    try:
        await handoff.clear_flag(viewer.dash, viewer.member, plan_id, flag, viewer.now)
    except handoff.NotAllowed:
        return web.not_found(request, viewer)
    return web.see(f"/care/plans/{plan_id}?done=cleared")


@router.post("/plans/{plan_id}/needs/{kind}")
async def change_need(
    request: Request,
    viewer: web.ViewerDep,
    plan_id: str,
    kind: str,
    csrf: web.Csrf = "",
    status: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """The same change as PATCH /api/v1/plans/{plan_id}/needs/{kind}: consent-checked,
    versioned, audited and delivered to the consented receivers."""
    if not viewer.session.csrf_ok(csrf):
        return web.forbidden(request, viewer)
    if status not in NEED_STATUSES:
        return await _plan_response(request, viewer, plan_id, error="Pick a status.", status=422)
    given = {"status", "notes"} if note.strip() else {"status"}
    change = NeedChange(frozenset(given), status=status, notes=note.strip())
    try:
        await careteam_of(request).needs.update(principal_of(viewer.member), plan_id, kind, change)
    except CareTeamError:
        return web.not_found(request, viewer)
    return web.see(f"/care/plans/{plan_id}?done=need#needs-h")


@router.get("/plans/{plan_id}/print")
async def print_page(request: Request, viewer: web.ViewerDep, plan_id: str) -> Response:
    found = await printing.print_plan(viewer.dash, viewer.member, plan_id, viewer.now)
    if found is None:
        return web.not_found(request, viewer)
    context = {"title": f"Plan for {found.parts[-1].parent}", "doc": found}
    return web.page(request, "care/print.html", context, viewer=viewer)


# ---- the handoff inbox ---------------------------------------------------------------


@router.get("/inbox")
async def inbox_page(request: Request, viewer: web.ViewerDep) -> Response:
    rows = await inbox.waiting(viewer.dash, viewer.member, viewer.now)
    return web.page(request, "care/inbox.html", {"title": "Inbox", "rows": rows}, viewer=viewer)


async def _conversation_response(
    request: Request,
    viewer: web.Viewer,
    plan_id: str,
    *,
    error: str = "",
    done: str = "",
    draft: str = "",
    status: int = 200,
) -> Response:
    found = await inbox.conversation(viewer.dash, viewer.member, plan_id, viewer.now)
    if found is None:
        return web.not_found(request, viewer)
    context = {
        "title": f"Conversation with {found.about.name}",
        "talk": found,
        "error": error,
        "done": DONE.get(done, ""),
        "draft": draft,
        "max_answer": handoff.MAX_ANSWER,
    }
    return web.page(request, "care/conversation.html", context, viewer=viewer, status=status)


@router.get("/inbox/{plan_id}")
async def conversation_page(
    request: Request, viewer: web.ViewerDep, plan_id: str, done: str = ""
) -> Response:
    return await _conversation_response(request, viewer, plan_id, done=done)


async def _act(
    request: Request,
    viewer: web.Viewer,
    plan_id: str,
    csrf: str,
    action: Callable[[], Any],
    done: str,
    draft: str = "",
) -> Response:
    if not viewer.session.csrf_ok(csrf):
        return web.forbidden(request, viewer)
    try:
        await action()
    except handoff.NotAllowed:
        return web.not_found(request, viewer)
    except handoff.HandoffError as exc:
        return await _conversation_response(
            request, viewer, plan_id, error=exc.message, draft=draft, status=409
        )
    return web.see(f"/care/inbox/{plan_id}?done={done}")


@router.post("/inbox/{plan_id}/answer")
async def answer(
    request: Request,
    viewer: web.ViewerDep,
    plan_id: str,
    csrf: web.Csrf = "",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    return await _act(
        request,
        viewer,
        plan_id,
        csrf,
        lambda: handoff.answer(viewer.dash, viewer.member, plan_id, text, viewer.now),
        "sent",
        draft=text,
    )


# Claim and hand back: the same shape of action, each with its note for the page.
@router.post("/inbox/{plan_id}/{step}")
async def claim_or_hand_back(
    request: Request,
    viewer: web.ViewerDep,
    plan_id: str,
    step: Literal["claim", "hand-back"],
    csrf: web.Csrf = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """A claim needs the parent's open request, or a `reason` kept in the audit trail."""
    dash, member, now = viewer.dash, viewer.member, viewer.now

    async def act() -> None:
        if step == "claim":
            await handoff.claim(dash, member, plan_id, now, reason)
        else:
            await handoff.hand_back(dash, member, plan_id, now)

    done = "claimed" if step == "claim" else "handed_back"
    return await _act(request, viewer, plan_id, csrf, act, done, draft=reason)
