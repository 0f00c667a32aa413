"""Who receives what under the newest consent version: the permits that let a member or an
endpoint see a section, the consented recipients of a section, and the on-call endpoints that
answer a crisis. Pure; denied by default."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.careteam.directory import CRISIS_EVENT, ON_CALL, SECTION_EVENT, Directory, Endpoint, Member

if TYPE_CHECKING:
    # Types only: consent.py imports this module at run time, to re-export three names.
    from bot.careteam.consent import ConsentRecord, ConsentState


def permits_for(
    section: str, state: ConsentState, roles: Iterable[str], organization: str, now: datetime
) -> list[ConsentRecord]:
    """The active records letting a recipient with these roles at this organization see it."""
    wanted = set(roles)
    return [
        r
        for r in state.active_records(now)
        if r.section == section and r.role in wanted and organization in r.organizations
    ]


def allows_private(
    section: str, state: ConsentState, roles: Iterable[str], organization: str, now: datetime
) -> bool:
    return any(r.includes_private for r in permits_for(section, state, roles, organization, now))


@dataclass(frozen=True, slots=True)
class Recipients:
    members: tuple[Member, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()


def consented_recipients(
    section: str,
    state: ConsentState,
    directory: Directory,
    now: datetime,
    event: str = SECTION_EVENT,
) -> Recipients:
    """Every member and endpoint the newest consent lets receive this section, and no other.

    Endpoints are those subscribed to `event` (a section, or a change to one of its needs).
    """
    members = tuple(
        m for m in directory.members if permits_for(section, state, m.roles, m.organization, now)
    )
    endpoints = tuple(
        e
        for e in directory.endpoints
        if e.subscribes(event)
        and permits_for(section, state, directory.endpoint_roles(e), e.organization, now)
    )
    return Recipients(members, endpoints)


def on_call_endpoints(
    directory: Directory, organizations: Iterable[str], event: str = CRISIS_EVENT
) -> tuple[Endpoint, ...]:
    """Endpoints answering for the on-call role of these organizations (no section consent).

    With no organization known yet (a crisis during onboarding, before the ZIP code), the
    program's crisis_fallback organization answers.
    """
    orgs = set(organizations)
    if not orgs and directory.program.crisis_fallback:
        orgs = {directory.program.crisis_fallback}
    return tuple(
        e
        for e in directory.endpoints
        if e.organization in orgs and e.subscribes(event) and ON_CALL in directory.endpoint_roles(e)
    )


def consent_organizations(state: ConsentState) -> tuple[str, ...]:
    """The organizations named by the newest consent (whose on-call knows the parent)."""
    named = {o for r in state.records if r.revoked_at is None for o in r.organizations}
    return tuple(sorted(named))
