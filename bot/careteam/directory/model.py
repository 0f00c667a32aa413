"""The care-team directory as data: roles, webhook types, the people and systems it lists."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Final, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bot.careteam.directory.tokens import (
    TOKEN_ID,
    check_hash_shape,
    split_token,
    stand_in_hash,
    verify_token_secret,
)
from bot.engine.sharing import TeamView

# The role values the parent picks from in conversations/care_team.yaml (a test keeps the two
# in step), then on_call; consent is given to classes of recipient, never to a named person.
Role = Literal[
    "social_worker",
    "medical",
    "treatment",
    "peer_specialist",
    "home_visitor",
    "early_childhood",
    "on_call",
]
# Not a consent choice: whoever answers crisis alerts and "TALK" requests for an organization.
ON_CALL = "on_call"
ROLES: tuple[str, ...] = get_args(Role)
CONSENT_ROLES: tuple[str, ...] = tuple(r for r in ROLES if r != ON_CALL)
ROLE_LABELS: Mapping[str, str] = {
    "social_worker": "Hospital social worker",
    "medical": "Nurse or doctor",
    "treatment": "Treatment provider",
    "peer_specialist": "Peer recovery specialist",
    "home_visitor": "Home visitor",
    "early_childhood": "Early childhood staff",
    ON_CALL: "On-call responder",
}
# Webhook types. The first two carry plan content and go only where the parent consented for
# the section; the three alerts go to the on-call role with only what is needed to act.
SECTION_EVENT: Final = "plan.section.completed"
NEED_EVENT: Final = "plan.need.updated"
CRISIS_EVENT: Final = "plan.crisis"
HANDOFF_EVENT: Final = "plan.handoff_requested"
CANT_REACH_EVENT: Final = "plan.cant_reach"
# Not subscribable: the parent's erasure reaches every endpoint that received anything of the
# plan, whatever its `events` list says.
DELETED_EVENT: Final = "plan.deleted"

EventType = Literal[
    "plan.section.completed",
    "plan.need.updated",
    "plan.crisis",
    "plan.handoff_requested",
    "plan.cant_reach",
]
CONSENTED_EVENTS: tuple[EventType, ...] = (SECTION_EVENT, NEED_EVENT)
ON_CALL_EVENTS: tuple[EventType, ...] = (CRISIS_EVENT, HANDOFF_EVENT, CANT_REACH_EVENT)
EVENT_TYPES: tuple[EventType, ...] = (*CONSENTED_EVENTS, *ON_CALL_EVENTS)

_ID = r"^[a-z][a-z0-9_]{1,39}$"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceArea(_Strict):
    """Where an organization serves parents: ZIP code prefixes and/or whole states."""

    zip_prefixes: tuple[str, ...] = ()
    states: tuple[str, ...] = ()

    @field_validator("zip_prefixes")
    @classmethod
    def _zip_shape(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if not re.fullmatch(r"\d{1,5}", prefix):
                raise ValueError(f"{prefix!r} is not a ZIP code prefix of 1-5 digits")
        return value

    def covers(self, zip_code: str | None, state: str | None) -> bool:
        by_zip = zip_code is not None and any(zip_code.startswith(p) for p in self.zip_prefixes)
        return by_zip or (state is not None and state in self.states)


class ApiToken(_Strict):
    id: str = Field(pattern=TOKEN_ID)
    hash: str

    @field_validator("hash")
    @classmethod
    def _hash_shape(cls, value: str) -> str:
        return check_hash_shape(value)


class Organization(_Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    service_area: ServiceArea


class Member(_Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    organization: str
    roles: tuple[Role, ...] = Field(min_length=1)
    title: str = ""
    api_token: ApiToken | None = None


class Operator(_Strict):
    """Someone who runs the program: reads de-identified reports, never a parent's plan."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    api_token: ApiToken | None = None


class Serves(_Strict):
    roles: tuple[Role, ...] = ()
    members: tuple[str, ...] = ()


class Endpoint(_Strict):
    id: str = Field(pattern=_ID)
    organization: str
    url: str
    secret: SecretStr
    serves: Serves
    events: tuple[EventType, ...] = EVENT_TYPES
    api_token: ApiToken | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname in _LOOPBACK:
            return value  # loopback only: local receivers in development and tests
        raise ValueError("must be an https:// URL (plain http only for 127.0.0.1 or localhost)")

    @field_validator("secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if not text.startswith("whsec_"):
            raise ValueError("must start with whsec_ (make one: python -m bot careteam secret)")
        try:
            raw = base64.b64decode(text[6:], validate=True)
        except (ValueError, binascii.Error):
            raise ValueError("the part after whsec_ must be base64") from None
        if not 24 <= len(raw) <= 64:
            raise ValueError("must hold 24 to 64 random bytes")
        return value

    def subscribes(self, event: str) -> bool:
        return event == DELETED_EVENT or event in self.events


class Program(_Strict):
    name: str = "Safe Start"
    # Named in every consent record: Part 2 wants the intermediary that routes the records.
    intermediary: str = Field(min_length=1)
    # Who runs it, by name: the parent reads "{intermediary}, operated by {operator}" in
    # their own language (the names as written here, the words around them translated).
    operator: str | None = Field(default=None, min_length=1)
    # Whose on-call gets plan.crisis when the parent's organizations are not known yet.
    crisis_fallback: str | None = None

    @property
    def intermediary_named(self) -> str:
        """The intermediary as an English record names it (consents, FHIR, the team's view)."""
        if self.operator:
            return f"{self.intermediary}, operated by {self.operator}"
        return self.intermediary


PrincipalKind = Literal["member", "endpoint", "operator"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a bearer token belongs to, with the roles it reads as.

    An operator has no organization and no role: consent never lets it see a plan, only the
    program's de-identified reports.
    """

    kind: PrincipalKind
    id: str
    organization: str
    roles: frozenset[str]


class Directory(_Strict):
    version: Literal[1]
    program: Program
    organizations: tuple[Organization, ...] = Field(min_length=1)
    members: tuple[Member, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    operators: tuple[Operator, ...] = ()
    source: str = ""

    @cached_property
    def organization_by_id(self) -> dict[str, Organization]:
        return {o.id: o for o in self.organizations}

    @cached_property
    def member_by_id(self) -> dict[str, Member]:
        return {m.id: m for m in self.members}

    @cached_property
    def endpoint_by_id(self) -> dict[str, Endpoint]:
        return {e.id: e for e in self.endpoints}

    def endpoint_roles(self, endpoint: Endpoint) -> frozenset[str]:
        """The roles an endpoint receives for: its own, plus those of the members it serves."""
        roles = set(endpoint.serves.roles)
        for member_id in endpoint.serves.members:
            roles.update(self.member_by_id[member_id].roles)
        return frozenset(roles)

    def organizations_for(self, zip_code: str | None, state: str | None = None) -> tuple[str, ...]:
        """The organizations serving a parent with this ZIP code (or state)."""
        return tuple(o.id for o in self.organizations if o.service_area.covers(zip_code, state))

    @cached_property
    def _tokens(self) -> dict[str, tuple[ApiToken, Principal]]:
        found: dict[str, tuple[ApiToken, Principal]] = {}
        for m in self.members:
            if m.api_token:
                who = Principal("member", m.id, m.organization, frozenset(m.roles))
                found[m.api_token.id] = (m.api_token, who)
        for e in self.endpoints:
            if e.api_token:
                who = Principal("endpoint", e.id, e.organization, self.endpoint_roles(e))
                found[e.api_token.id] = (e.api_token, who)
        for o in self.operators:
            if o.api_token:
                found[o.api_token.id] = (o.api_token, Principal("operator", o.id, "", frozenset()))
        return found

    def authenticate(self, token: str) -> Principal | None:
        """The owner of a bearer token `sst_<id>.<secret>`, or None. Costs one scrypt, for
        an unknown token id too (against a stand-in hash), so the time taken does not tell
        which ids exist."""
        parts = split_token(token)
        if parts is None:
            return None  # not the shape of any token: nothing to tell
        found = self._tokens.get(parts[0])
        if found is None:
            verify_token_secret(parts[1], stand_in_hash())
            return None
        stored, who = found
        return who if verify_token_secret(parts[1], stored.hash) else None


def team_view(directory: Directory) -> TeamView:
    """The engine's pure view of this directory: who would receive a part, and through whom."""
    names = {o.id: o.name for o in directory.organizations}

    def organizations(zip_code: str, state: str | None) -> tuple[str, ...]:
        return tuple(names[o] for o in directory.organizations_for(zip_code, state))

    def named(zip_code: str, state: str | None) -> tuple[tuple[str, str], ...]:
        return tuple((o, names[o]) for o in directory.organizations_for(zip_code, state))

    program = directory.program
    order = tuple(o.id for o in directory.organizations)
    return TeamView(program.intermediary, organizations, named, program.operator or "", order)
