"""The care-team directory (CARE_TEAM_FILE): organizations, members, endpoints, API tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.engine.loader import load_with_lines
from bot.errors import ConfigError

# The role values the parent picks from in conversations/care_team.yaml (a test keeps the two
# in step); consent is given to these classes of recipient, never to a named person.
CONSENT_ROLES: tuple[str, ...] = (
    "social_worker",
    "medical",
    "treatment",
    "peer_specialist",
    "home_visitor",
    "early_childhood",
)
# Not a consent choice: whoever answers crisis alerts and "TALK" requests for an organization.
ON_CALL = "on_call"
ROLES: tuple[str, ...] = (*CONSENT_ROLES, ON_CALL)
ROLE_LABELS: Mapping[str, str] = {
    "social_worker": "Hospital social worker",
    "medical": "Nurse or doctor",
    "treatment": "Treatment provider",
    "peer_specialist": "Peer recovery specialist",
    "home_visitor": "Home visitor",
    "early_childhood": "Early childhood staff",
    ON_CALL: "On-call responder",
}
SECTION_EVENT: Final = "plan.section.completed"
CRISIS_EVENT: Final = "plan.crisis"
HANDOFF_EVENT: Final = "plan.handoff_requested"

Role = Literal[
    "social_worker",
    "medical",
    "treatment",
    "peer_specialist",
    "home_visitor",
    "early_childhood",
    "on_call",
]
EventType = Literal["plan.section.completed", "plan.crisis", "plan.handoff_requested"]
EVENT_TYPES: tuple[EventType, ...] = (SECTION_EVENT, CRISIS_EVENT, HANDOFF_EVENT)

_ID = r"^[a-z][a-z0-9_]{1,39}$"
_TOKEN_ID = r"^[a-z0-9][a-z0-9-]{1,39}$"  # noqa: S105 - a pattern, not a password
_TOKEN = re.compile(r"^sst_([a-z0-9][a-z0-9-]{1,39})\.([A-Za-z0-9_-]{32,128})$")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# scrypt at N=2**14, r=8 costs ~16 MiB and tens of ms: slow for guessing, fine per request
# because verified tokens are cached (see Directory.authenticate's caller).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_PBKDF2_MIN_ROUNDS = 200_000


# ---- tokens and secrets -------------------------------------------------------------------


def hash_token_secret(secret: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash` (base64): what the directory stores instead of the token."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return "$".join(
        ("scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_token_secret(secret: str, stored: str) -> bool:
    """Check a secret against a stored scrypt or pbkdf2_sha256 hash, in constant time."""
    parts = stored.split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            salt, expected = _unb64(parts[4]), _unb64(parts[5])
            got = hashlib.scrypt(
                secret.encode(), salt=salt, n=n, r=r, p=p, dklen=len(expected), maxmem=2**26
            )
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            salt, expected = _unb64(parts[2]), _unb64(parts[3])
            got = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, int(parts[1]), len(expected))
        else:
            return False
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(got, expected)


def new_api_token(token_id: str) -> tuple[str, str]:
    """A fresh bearer token `sst_<id>.<secret>` and the hash to put in the directory."""
    if not re.match(_TOKEN_ID, token_id):
        raise ValueError("a token id is 2-40 lower-case letters, digits or dashes")
    secret = secrets.token_urlsafe(32)
    return f"sst_{token_id}.{secret}", hash_token_secret(secret)


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def split_token(token: str) -> tuple[str, str] | None:
    match = _TOKEN.match(token)
    return (match.group(1), match.group(2)) if match else None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _check_hash_shape(stored: str) -> str:
    parts = stored.split("$")
    if parts[0] == "scrypt" and len(parts) == 6:
        n = int(parts[1]) if parts[1].isdigit() else 0
        if n < 2**14:
            raise ValueError("scrypt N must be at least 16384")
    elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
        rounds = int(parts[1]) if parts[1].isdigit() else 0
        if rounds < _PBKDF2_MIN_ROUNDS:
            raise ValueError(f"pbkdf2_sha256 needs at least {_PBKDF2_MIN_ROUNDS} rounds")
    else:
        raise ValueError(
            "not a token hash: use `python -m bot careteam token ID` to make one "
            "(scrypt$N$r$p$salt$hash or pbkdf2_sha256$rounds$salt$hash)"
        )
    try:
        _unb64(parts[-2])
        _unb64(parts[-1])
    except (ValueError, binascii.Error):
        raise ValueError("salt and hash must be base64") from None
    return stored


# ---- the model ----------------------------------------------------------------------------


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
    id: str = Field(pattern=_TOKEN_ID)
    hash: str

    @field_validator("hash")
    @classmethod
    def _hash_shape(cls, value: str) -> str:
        return _check_hash_shape(value)


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
        return event in self.events


class Program(_Strict):
    name: str = "Safe Start"
    # Named in every consent record: Part 2 wants the intermediary that routes the records.
    intermediary: str = Field(min_length=1)
    # Whose on-call gets plan.crisis when the parent's organizations are not known yet.
    crisis_fallback: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a bearer token belongs to: a member or an endpoint, with the roles it reads as."""

    kind: Literal["member", "endpoint"]
    id: str
    organization: str
    roles: frozenset[str]


class Directory(_Strict):
    version: Literal[1]
    program: Program
    organizations: tuple[Organization, ...] = Field(min_length=1)
    members: tuple[Member, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
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
        return found

    def authenticate(self, token: str) -> Principal | None:
        """The owner of a bearer token `sst_<id>.<secret>`, or None. Costs one scrypt."""
        parts = split_token(token)
        if parts is None or parts[0] not in self._tokens:
            return None
        stored, who = self._tokens[parts[0]]
        return who if verify_token_secret(parts[1], stored.hash) else None


# ---- loading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DirectoryProblem:
    file: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.where}: {self.message}"


class DirectoryError(ConfigError):
    """The care-team directory cannot be used; each problem names file, line and field."""

    def __init__(self, problems: list[DirectoryProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _strip_lines(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_lines(v) for k, v in node.items() if k != "__line__"}
    if isinstance(node, list):
        return [_strip_lines(v) for v in node]
    return node


def _line_of(raw: Any, loc: tuple[Any, ...]) -> int:
    node, line = raw, int(raw.get("__line__", 1)) if isinstance(raw, dict) else 1
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            line = int(node.get("__line__", line))
    return line


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def load_directory(path: Path, env: Mapping[str, str] | None = None) -> Directory:
    """Read and check a directory file; DirectoryError lists every problem with its line.

    An endpoint may give `secret_env: NAME` instead of `secret`, read from `env` (default:
    the process environment), so real secrets need not sit in the file.
    """
    name = str(path)
    env = os.environ if env is None else env
    try:
        raw = load_with_lines(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problem = DirectoryProblem(name, 0, "(file)", exc.strerror or "unreadable")
        raise DirectoryError([problem]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = DirectoryProblem(name, line, "(file)", f"not valid YAML: {exc}")
        raise DirectoryError([problem]) from None
    if not isinstance(raw, dict):
        raise DirectoryError([DirectoryProblem(name, 1, "(file)", "must be a mapping")])
    problems = _resolve_secret_env(name, raw, env)
    try:
        directory = Directory.model_validate({**_strip_lines(raw), "source": name})
    except ValidationError as exc:
        errors = exc.errors()
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "too_short" and any(
                len(e["loc"]) > len(loc) and tuple(e["loc"][: len(loc)]) == loc for e in errors
            ):
                continue  # pydantic's echo of an item already reported ("at least 1 item")
            # Literal errors list every allowed value; say it once, plainly.
            message = err["msg"].replace("Input should be", "should be")
            problems.append(DirectoryProblem(name, _line_of(raw, loc), _where(loc), message))
        raise DirectoryError(problems) from None
    problems += _check_references(name, raw, directory)
    if problems:
        raise DirectoryError(problems)
    return directory


def _resolve_secret_env(name: str, raw: dict[str, Any], env: Mapping[str, str]) -> list[Any]:
    problems: list[DirectoryProblem] = []
    endpoints = raw.get("endpoints")
    for i, endpoint in enumerate(endpoints if isinstance(endpoints, list) else []):
        if not isinstance(endpoint, dict) or "secret_env" not in endpoint:
            continue
        var = endpoint.pop("secret_env")
        where = f"endpoints[{i}].secret_env"
        line = int(endpoint.get("__line__", 0))
        if "secret" in endpoint:
            problems.append(
                DirectoryProblem(name, line, where, "give secret or secret_env, not both")
            )
        elif not isinstance(var, str) or var not in env:
            problems.append(
                DirectoryProblem(name, line, where, f"environment variable {var} unset")
            )
            endpoint["secret"] = "whsec_" + "A" * 44  # placeholder so other checks still run
        else:
            endpoint["secret"] = env[var]
    return problems


def _check_references(name: str, raw: dict[str, Any], d: Directory) -> list[DirectoryProblem]:
    """Rules across entries: unique ids, known organizations and members, no cross-org serving."""
    problems: list[DirectoryProblem] = []

    def problem(loc: tuple[Any, ...], message: str) -> None:
        problems.append(DirectoryProblem(name, _line_of(raw, loc), _where(loc), message))

    seen: dict[str, str] = {}
    ids = [("organizations", i, o.id) for i, o in enumerate(d.organizations)]
    ids += [("members", i, m.id) for i, m in enumerate(d.members)]
    ids += [("endpoints", i, e.id) for i, e in enumerate(d.endpoints)]
    for kind, i, ident in ids:
        if ident in seen:
            problem((kind, i, "id"), f"id {ident!r} is already used by {seen[ident]}")
        seen[ident] = f"{kind}[{i}]"
    orgs = d.organization_by_id
    owners: list[tuple[str, int, str, ApiToken | None]] = [
        ("members", i, m.organization, m.api_token) for i, m in enumerate(d.members)
    ]
    owners += [("endpoints", i, e.organization, e.api_token) for i, e in enumerate(d.endpoints)]
    tokens: dict[str, str] = {}
    for kind, i, organization, token in owners:
        if organization not in orgs:
            problem((kind, i, "organization"), f"no organization {organization!r}")
        if token is not None:
            if token.id in tokens:
                problem((kind, i, "api_token", "id"), f"token id repeats {tokens[token.id]}")
            tokens[token.id] = f"{kind}[{i}]"
    for i, e in enumerate(d.endpoints):
        if not e.serves.roles and not e.serves.members:
            problem(("endpoints", i, "serves"), "serves no role and no member")
        for j, member_id in enumerate(e.serves.members):
            member = d.member_by_id.get(member_id)
            if member is None:
                problem(("endpoints", i, "serves", "members", j), f"no member {member_id!r}")
            elif member.organization != e.organization:
                # An endpoint receives for its own organization only, or consent leaks across.
                problem(
                    ("endpoints", i, "serves", "members", j),
                    f"member {member_id!r} belongs to {member.organization!r}, "
                    f"not to this endpoint's organization {e.organization!r}",
                )
    fallback = d.program.crisis_fallback
    if fallback is not None and fallback not in orgs:
        problem(("program", "crisis_fallback"), f"no organization {fallback!r}")
    return problems
