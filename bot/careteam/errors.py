"""What the care-team side refuses, as types; the HTTP edge turns each into one status code.

SafeStartError (bot.errors)
└── CareTeamError
    ├── PlanNotFound       no such plan, or the reader may see nothing of it: alike (404)
    ├── NeedNotFound       the plan has no need of that kind (404)
    ├── NeedForbidden      the reader may not see the answer behind that need (403)
    ├── NeedConflict       the need changed meanwhile: another version, or another section (409)
    ├── NeedInvalid        a change no need may take: a future referral date, an unknown owner (422)
    └── TooManyTokenChecks this address failed too many token checks lately (429)

Each has a short `code`, which the audit log records (never the request's own words).
"""

from __future__ import annotations

from typing import ClassVar

from bot.errors import SafeStartError


class CareTeamError(SafeStartError):
    """A care-team request that cannot be done as asked."""

    code: ClassVar[str] = "refused"


class PlanNotFound(CareTeamError):
    """No such plan, or none of it is the reader's to see; the two are not told apart."""

    code = "no consent"


class NeedNotFound(CareTeamError):
    """The plan has no need of that kind."""

    code = "no such need"


class NeedForbidden(CareTeamError):
    """The reader's consent does not reach the answer that shows this need."""

    code = "no consent"


class NeedConflict(CareTeamError):
    """The need is not what the request was checked against: it changed meanwhile."""

    code = "conflict"


class NeedInvalid(CareTeamError):
    """A change no need may take, whoever asks."""

    code = "invalid"


class TooManyTokenChecks(CareTeamError):
    """Too many failed bearer-token checks from one address: no more checked for a while."""

    code = "too many token checks"

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed token checks from this address; try again later")
        self.retry_after = retry_after
