"""The dashboard's plan pages under /care: the list of plans, a plan, its appointments, flags
and needs, and the printed plan. What a member may see of a plan is decided in bot/dashboard.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.careteam.consent import PART2_SECTION
from bot.careteam.directory import ROLE_LABELS
from bot.careteam.errors import CareTeamError
from bot.careteam.needs import NeedChange
from bot.careteam.payload import contact_of
from bot.dashboard import appointments, audit, handoff, planpage, printing, roster
from bot.dashboard.scan import visible_sections
from bot.dashboard.wiring import principal_of
from bot.engine.session import NEED_STATUSES
from bot.engine.today import local_today, zone
from bot.reminders.intake import InvalidAppointment, UnknownPlan
from bot.web import dashboard as web
from bot.web.careteam_deps import careteam_of

router = APIRouter(prefix="/care", include_in_schema=False)


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
        "done": web.DONE.get(done, ""),
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
