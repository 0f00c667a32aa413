"""Safe Start's error tree. Codes live inside; translated text is made only at the edges.

Every error Safe Start raises on purpose is a SafeStartError (tests/ci/test_error_tree.py
holds every class in bot/ to this tree, and to this list). Those that also were a built-in
error (ValueError, LookupError) stay one, so a caller catching that still does.

SafeStartError
├── ConfigError              settings or a data file that cannot be used; the app refuses to start
│   ├── FlowError            a conversations/*.yaml file that breaks the flow rules (file, line)
│   ├── DirectoryError       the care-team directory file (bot/careteam/directory/loading.py)
│   ├── ResourceDirectoryError  the local-services folder (bot/resources/errors.py)
│   └── Mismatch             the two passwords typed at `set-password` differ
├── StoreError               Redis unreachable or a record that cannot be read
│   ├── StoreUnavailable     Redis did not answer in time; nothing was changed
│   │   └── NotSent          a hot call that never reached Redis (bot/store/hot_calls.py)
│   ├── StoreContention      too many writers raced for one record; nothing was changed
│   ├── OutcomeUnknown       a write was sent but whether it ran is not known (yet)
│   └── DecryptionError      a value that does not decrypt with any known key
├── ChannelError             an inbound request that fails its channel's checks
│   ├── BadSignature         a Twilio request whose signature is missing or wrong
│   └── ChatInputError       a web-chat message that cannot be taken (bot/channels/webchat.py)
├── UnknownAddress           no way to text this address (bot/channels/outbound.py)
├── CannotReach              a text the provider refused or could not take
├── AttemptLost              a claimed text another process took over (bot/channels/attempts.py)
├── ParseFailed              a reply that does not read as the step's answer (engine; ValueError)
├── ConditionSyntaxError     a flow condition outside the grammar (engine; ValueError)
├── CareTeamError            a care-team request refused (bot/careteam/errors.py)
│   ├── PlanNotFound, NeedNotFound, NeedForbidden, NeedConflict, NeedInvalid
│   └── TooManyTokenChecks
├── Retry                    a delivery entry to leave pending and try again (a lost race)
├── UnknownPlan              no parent behind a plan id (reminders; LookupError)
├── InvalidAppointment       an appointment that cannot be scheduled (reminders; ValueError)
├── WeakPassword             a dashboard password that breaks the policy
├── BadVisit                 the dashboard's add-appointment form, not filled in right (ValueError)
└── HandoffError             a take-over that cannot be done (bot/dashboard/handoff.py)
    └── NotAllowed, ClaimedByOther, NotClaimed, CannotText, NoRequest, BadAnswer, SendFailed

HTTP errors (HTTPException, e.g. BodyTooLarge) live only in bot/web/, where these are mapped.
"""

from __future__ import annotations

from dataclasses import dataclass


class SafeStartError(Exception):
    """Base of every error Safe Start raises on purpose."""


class ConfigError(SafeStartError):
    """Settings or a data file that cannot be used."""


@dataclass(frozen=True, slots=True)
class FlowProblem:
    """One broken rule in a flow file, with where to look."""

    file: str
    line: int
    flow: str
    step: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.flow}.{self.step}" if self.step else self.flow
        return f"{self.file}:{self.line}: {where}: {self.message}"


class FlowError(ConfigError):
    """The shipped flows break one or more rules; each problem names file and line."""

    def __init__(self, problems: list[FlowProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(SafeStartError):
    """Redis could not do what was asked."""


class StoreUnavailable(StoreError):
    """Redis did not answer in time; nothing was changed."""


class StoreContention(StoreError):
    """Too many writers raced to change one record; nothing was changed."""


class OutcomeUnknown(StoreError):
    """A write was sent, Redis did not answer, and asking again found no answer either.

    It may have run. The caller must not say "not saved": fail so the sender retries the
    same message id, which then finds the stored replies.
    """


class DecryptionError(StoreError):
    """A stored value that does not decrypt with any known key."""


class ChannelError(SafeStartError):
    """An inbound request that fails its channel's checks."""


class BadSignature(ChannelError):
    """A Twilio request whose X-Twilio-Signature is missing or wrong."""
