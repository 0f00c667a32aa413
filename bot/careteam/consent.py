"""Part 2 consent records from the parent's care_team answers. Pure; denied by default.

A consent *state* is one version of everything the parent allowed, derived from the answers
of conversations/care_team.yaml. Versions are appended, never overwritten (records.py keeps
them); the newest version decides every later disclosure. A role sees a section only when a
record in the newest version permits it, has not expired, and names the recipient's
organization (recipients.py asks that of a version).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from bot.careteam.directory import CONSENT_ROLES

# Re-exported only for bot/careteam/delivery/routing.py, which still imports them from here;
# everything else imports them from bot/careteam/recipients.py.
from bot.careteam.recipients import consent_organizations as consent_organizations
from bot.careteam.recipients import consented_recipients as consented_recipients
from bot.careteam.recipients import on_call_endpoints as on_call_endpoints

CONSENT_FLOW = "care_team"
NO_ONE = "no_one"
# Which care_team step says who may see which section (care_team.yaml, `consent: true`).
SHARE_STEPS: Mapping[str, str] = {
    "basic_needs": "share_basic_needs",
    "health": "share_health",
    "birth": "share_birth",
    "recovery": "share_recovery",
    "baby": "share_baby",
    "family_support": "share_family",
    "safety": "share_safety",
}
# Recovery is Part 2 material: shared only when all three of these are an explicit yes.
PART2_SECTION = "recovery"
RECOVERY_YES_STEPS: tuple[str, ...] = ("share_recovery_ok", "recovery_terms", "recovery_consent")
# The private safety answers (feel_safe, safe_contact) need their own yes on top of share_safety.
PRIVATE_SECTION = "safety"
PRIVATE_YES_STEP = "share_safety_private"
# Birth's private answer on what hospital staff may know about recovery (`part2: true` in
# the flow) is Part 2 material too: it goes to a Birth recipient only under the same three
# yeses, and only to a role the parent picked for the recovery part.
PART2_PRIVATE_SECTIONS: frozenset[str] = frozenset({"birth"})
CONSENT_STEPS: frozenset[str] = frozenset(
    {*SHARE_STEPS.values(), *RECOVERY_YES_STEPS, PRIVATE_YES_STEP}
)
PURPOSE = "care_coordination"
# The parent is told sharing lasts "until your baby turns 1".
TERM = 1  # years

Cause = Literal["answers", "revoked"]


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One permission: this role at these organizations may receive this section."""

    section: str
    role: str
    organizations: tuple[str, ...]
    given_at: datetime
    expires_on: date
    purpose: str = PURPOSE
    includes_private: bool = False
    part2: bool = False
    revoked_at: datetime | None = None
    # The first instant it no longer holds: the end of `expires_on` in the parent's time zone
    # ("until your baby turns 1" is the parent's calendar). Records from before it was kept
    # end with `expires_on` in UTC, as they were judged then.
    ends_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return now < (self.ends_at or end_of_day(self.expires_on, UTC))

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "role": self.role,
            "organizations": list(self.organizations),
            "given_at": self.given_at.isoformat(),
            "expires_on": self.expires_on.isoformat(),
            "purpose": self.purpose,
            "includes_private": self.includes_private,
            "part2": self.part2,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConsentRecord:
        revoked = data.get("revoked_at")
        return cls(
            section=data["section"],
            role=data["role"],
            organizations=tuple(data["organizations"]),
            given_at=datetime.fromisoformat(data["given_at"]),
            expires_on=date.fromisoformat(data["expires_on"]),
            purpose=data.get("purpose", PURPOSE),
            includes_private=bool(data.get("includes_private", False)),
            part2=bool(data.get("part2", False)),
            revoked_at=datetime.fromisoformat(revoked) if revoked else None,
            ends_at=datetime.fromisoformat(ends) if (ends := data.get("ends_at")) else None,
        )


@dataclass(frozen=True, slots=True)
class ConsentState:
    """One version of the parent's sharing choices. Version 0: nothing given, nothing shared."""

    version: int = 0
    recorded_at: datetime | None = None
    # The outbox entry it came from: appending the same entry twice is a no-op.
    source: str = ""
    cause: Cause = "answers"
    text_version: str = ""
    answers: Mapping[str, Any] = field(default_factory=dict)
    records: tuple[ConsentRecord, ...] = ()
    # Section -> organizations the parent stopped it going to by text (whatever the roles):
    # every later version keeps them out.
    withheld: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def active_records(self, now: datetime) -> list[ConsentRecord]:
        return [r for r in self.records if r.active(now)]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
            "source": self.source,
            "cause": self.cause,
            "text_version": self.text_version,
            "answers": dict(self.answers),
            "records": [r.to_json() for r in self.records],
            "withheld": {k: list(v) for k, v in self.withheld.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConsentState:
        at = data.get("recorded_at")
        return cls(
            version=int(data["version"]),
            recorded_at=datetime.fromisoformat(at) if at else None,
            source=str(data.get("source", "")),
            cause=data.get("cause", "answers"),
            text_version=str(data.get("text_version", "")),
            answers=dict(data.get("answers", {})),
            records=tuple(ConsentRecord.from_json(r) for r in data.get("records", [])),
            withheld={k: tuple(v) for k, v in data.get("withheld", {}).items()},
        )


NOTHING = ConsentState()


def consent_text_version(asks: Iterable[str]) -> str:
    """A short fingerprint of the consent wording the parent read, stored with each version."""
    digest = hashlib.sha256("\n".join(asks).encode()).hexdigest()
    return f"{CONSENT_FLOW}@{digest[:12]}"


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The instant `day` ends in `zone` (midnight starting the next day), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def expiry_for(baby_date: date | None, given: date) -> date:
    """One year after the baby's birth (or due date); one year after the yes if neither is known."""
    anchor = baby_date or given
    try:
        return anchor.replace(year=anchor.year + TERM)
    except ValueError:  # 29 February
        return anchor.replace(year=anchor.year + TERM, day=28)


def _roles(value: Any) -> list[str]:
    """Roles picked in a share_* answer; "no one", a skip or anything unexpected is none."""
    if not isinstance(value, list | tuple):
        return []
    return [r for r in value if r in CONSENT_ROLES]


def _permits(answers: Mapping[str, Any]) -> dict[tuple[str, str], tuple[bool, bool]]:
    """(section, role) -> (includes_private, part2) for everything the answers allow."""
    allowed: dict[tuple[str, str], tuple[bool, bool]] = {}
    part2 = all(answers.get(s) is True for s in RECOVERY_YES_STEPS)
    part2_roles = set(_roles(answers.get(SHARE_STEPS[PART2_SECTION]))) if part2 else set()
    for section, step in SHARE_STEPS.items():
        if section == PART2_SECTION and not part2:
            continue  # anything short of three explicit yeses keeps recovery unshared
        safety_yes = section == PRIVATE_SECTION and answers.get(PRIVATE_YES_STEP) is True
        for role in _roles(answers.get(step)):
            under_part2 = section in PART2_PRIVATE_SECTIONS and role in part2_roles
            allowed[(section, role)] = (safety_yes or under_part2, section == PART2_SECTION)
    return allowed


def derive(
    answers: Mapping[str, Any],
    *,
    previous: ConsentState,
    at: datetime,
    source: str,
    organizations: Iterable[str],
    baby_date: date | None,
    text_version: str,
    zone: tzinfo,
) -> ConsentState:
    """The next version from a confirmed care_team section: each permit is a fresh yes.

    `zone` is the parent's (bot.engine.today.zone): the day of the yes and the day it lasts
    until are the parent's calendar days, not UTC's."""
    kept = {k: v for k, v in answers.items() if k in CONSENT_STEPS}
    expires = expiry_for(baby_date, at.astimezone(zone).date())
    ends = end_of_day(expires, zone)
    orgs = tuple(sorted(set(organizations)))
    out = previous.withheld
    permits = [
        ConsentRecord(
            section,
            role,
            kept_orgs,
            at,
            expires,
            includes_private=private,
            part2=part2,
            ends_at=ends,
        )
        for (section, role), (private, part2) in _permits(kept).items()
        if (kept_orgs := tuple(o for o in orgs if o not in out.get(section, ())))
    ]
    return _next(previous, permits, at, source, "answers", kept, text_version)


def narrow(
    previous: ConsentState, key: str, new_value: Any, *, at: datetime, source: str
) -> ConsentState | None:
    """Apply a changed consent answer at once, but only as far as it takes permission away.

    A change that widens sharing waits for the parent to confirm the section (ConsentChanged);
    one that narrows it (STOP SHARING, a role removed, a yes turned to no) holds from now on.
    Returns None when nothing is taken away.
    """
    if key not in CONSENT_STEPS or key not in previous.answers:
        return None
    old = previous.answers[key]
    if isinstance(old, list | tuple):
        kept = [r for r in _roles(old) if r in _roles(new_value)]
        narrowed: Any = kept or [NO_ONE]
    else:
        narrowed = old is True and new_value is True
    if narrowed == old:
        return None
    answers = {**previous.answers, key: narrowed}
    allowed = _permits(answers)
    permits = [
        replace(r, includes_private=allowed[(r.section, r.role)][0])
        for r in previous.records
        if r.revoked_at is None and (r.section, r.role) in allowed
    ]
    return _next(previous, permits, at, source, "revoked", answers, previous.text_version)


def _next(
    previous: ConsentState,
    permits: list[ConsentRecord],
    at: datetime,
    source: str,
    cause: Cause,
    answers: Mapping[str, Any],
    text_version: str,
) -> ConsentState:
    granted = {(r.section, r.role) for r in permits}
    # Permissions this version takes away stay in it, marked revoked: the record of the stop.
    revoked = [
        replace(r, revoked_at=at)
        for r in previous.records
        if r.revoked_at is None and (r.section, r.role) not in granted
    ]
    return ConsentState(
        version=previous.version + 1,
        recorded_at=at,
        source=source,
        cause=cause,
        text_version=text_version,
        answers=answers,
        records=(*sorted(permits, key=_order), *sorted(revoked, key=_order)),
        withheld=previous.withheld,
    )


def withhold(
    previous: ConsentState, section: str, organization: str, *, at: datetime, source: str
) -> ConsentState | None:
    """Stop one section going to one organization from now on (every role there); the
    permission it takes away stays in the version, revoked, as the record of the stop.
    Returns None when that organization had no permission for the section."""
    kept: list[ConsentRecord] = []
    revoked: list[ConsentRecord] = []
    for r in previous.records:
        if r.revoked_at is None and r.section == section and organization in r.organizations:
            revoked.append(replace(r, organizations=(organization,), revoked_at=at))
            rest = tuple(o for o in r.organizations if o != organization)
            if rest:
                kept.append(replace(r, organizations=rest))
        else:
            kept.append(r)
    if not revoked:
        return None
    out = dict(previous.withheld)
    out[section] = tuple(sorted({*out.get(section, ()), organization}))
    return _texted(previous, at, source, "revoked", (*kept, *revoked), out)


def resume(
    previous: ConsentState,
    section: str,
    organization: str,
    *,
    at: datetime,
    source: str,
    baby_date: date | None,
    zone: tzinfo,
) -> ConsentState | None:
    """Share one section with one organization again, after the parent's new yes that named
    it, what the section holds and the date (SHARING): the organization leaves `withheld`,
    and each role the answers still allow for the section gets a permission there, given
    now and lasting as a fresh yes does. None when the section was not withheld from it."""
    if organization not in previous.withheld.get(section, ()):
        return None
    out = {k: v for k, v in previous.withheld.items() if k != section}
    if rest := tuple(o for o in previous.withheld[section] if o != organization):
        out[section] = rest
    expires = expiry_for(baby_date, at.astimezone(zone).date())
    permits = [
        ConsentRecord(
            section,
            role,
            (organization,),
            at,
            expires,
            includes_private=private,
            part2=part2,
            ends_at=end_of_day(expires, zone),
        )
        for (granted, role), (private, part2) in _permits(previous.answers).items()
        if granted == section
    ]
    records = (*previous.records, *sorted(permits, key=_order))
    return _texted(previous, at, source, "answers", records, out)


def _texted(
    previous: ConsentState,
    at: datetime,
    source: str,
    cause: Cause,
    records: tuple[ConsentRecord, ...],
    withheld: Mapping[str, tuple[str, ...]],
) -> ConsentState:
    """The next version after the parent texted about one part and one organization."""
    return replace(
        previous,
        version=previous.version + 1,
        recorded_at=at,
        source=source,
        cause=cause,
        records=records,
        withheld=withheld,
    )


def _order(record: ConsentRecord) -> tuple[int, int]:
    sections = list(SHARE_STEPS)
    return sections.index(record.section), CONSENT_ROLES.index(record.role)
