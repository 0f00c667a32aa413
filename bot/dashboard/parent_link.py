"""MY PLAN: a short-lived private link that shows the parent their own plan, ready to print.

The link carries the plan id and a random token; Redis keeps only the token's hash, under the
contact's hash tag, for LINK_TTL. The page shows every finished part in the parent's language
and in English, without the private answers (a shared phone may open it), the needs and
saved places NEEDS and SAVED point to (own_lists.py), the full consent
details a shared phone's sharing texts leave out (consent_page.py), and the care-team
contacts of the organizations the parent shares with. Opening it is audited.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.careteam.directory import team_view
from bot.careteam.entries import AuditEntry
from bot.careteam.payload import contact_of, notice, parent_view, plan_id_of, snapshot_from_plan
from bot.careteam.plan_view import PlanView, VisibleSection
from bot.careteam.recipients import consent_organizations
from bot.dashboard.consent_page import sharing_details
from bot.dashboard.own_lists import own_lists
from bot.dashboard.printing import PrintPlan, print_part, team_contacts
from bot.dashboard.wiring import Dashboard
from bot.engine.events import PlanLinkRequested
from bot.engine.render import Voice
from bot.engine.texts import N_
from bot.engine.today import local_today
from bot.i18n import SOURCE_LOCALE

log = logging.getLogger(__name__)

LINK_TTL = timedelta(hours=24)
# Translators: {url} is the private link. Keep it discreet: no health words.
LINK_TEXT = N_("Your plan: {url} This private link works for 24 hours. Please don't share it.")


async def new_link(dash: Dashboard, address: str, base_url: str) -> str:
    """A fresh link for the parent at `address`."""
    contact = dash.store.contact_of(address)
    token = secrets.token_urlsafe(24)
    await dash.access.save_plan_link(contact, token, int(LINK_TTL.total_seconds()))
    return f"{base_url}/plan/{plan_id_of(contact)}/{token}"


async def open_link(dash: Dashboard, plan_id: str, token: str) -> str | None:
    """The contact a valid, unexpired link belongs to; None otherwise."""
    contact = contact_of(plan_id)
    if contact is None or not 16 <= len(token) <= 64:
        return None
    exists = await dash.access.plan_link_exists(contact, token)
    return contact if exists else None


async def parent_print(dash: Dashboard, contact: str, now: datetime) -> PrintPlan | None:
    """The parent's whole plan (private answers left out), audited as the parent's own view."""
    session = await dash.store.load_contact(contact)
    if session is None:
        return None
    sections = []
    for flow in dash.flows.sections:
        snapshot = snapshot_from_plan(flow, session)
        if snapshot is not None:
            sections.append(VisibleSection(snapshot, flow, include_private=False))
    plan_id = plan_id_of(contact)
    view = PlanView(
        plan_id=plan_id,
        locale=session.locale,
        parent=parent_view(session),
        sections=tuple(sections),
        consents=(),
        names=dash.names,
        intermediary=dash.directory.program.intermediary_named,
        organization_names={o.id: o.name for o in dash.directory.organizations},
        need_records=session.plan.needs,
    )
    today = local_today(now, session.timezone, dash.default_timezone)
    team_view_ = team_view(dash.directory)
    parts = []
    for locale in dict.fromkeys((session.locale, SOURCE_LOCALE)):
        part = print_part(dash, view, locale, today)
        voice = Voice(dash.translator, locale, dash.names.program, dash.names.plan, part.parent)
        details = sharing_details(voice, dash.flows, team_view_, session.plan, today)
        own = own_lists(voice, dash.flows, session.plan)
        parts.append(replace(part, sharing=details, own=own))
    state = await dash.records.latest_consent(contact)
    shared = frozenset(s.flow.id for s in sections)
    team = team_contacts(dash.directory, state, shared, now) if consent_organizations(state) else ()
    await dash.records.audit(
        contact, AuditEntry(now, "parent", "", "parent_view", "plan.print: private link", "200")
    )
    return PrintPlan(plan_id, tuple(parts), team, notice(dash.names), "you")


class PlanLinkTexter:
    """A service hook: on PlanLinkRequested, text the parent a fresh private link."""

    def __init__(self, dash: Dashboard, base_url: str) -> None:
        self._dash = dash
        self._base_url = base_url

    async def __call__(self, address: str, events: Sequence[object]) -> bool:
        if not any(isinstance(e, PlanLinkRequested) for e in events):
            return False
        session = await self._dash.store.load(address)
        locale = session.locale if session else SOURCE_LOCALE
        url = await new_link(self._dash, address, self._base_url)
        text = self._dash.translator.gettext(locale, LINK_TEXT).format(url=url)
        await self._dash.sender.send(address, text)
        log.info("plan link texted", extra={"event": "plan_link"})
        return True
