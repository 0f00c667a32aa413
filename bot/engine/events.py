"""Events the engine emits: facts for the service layer to act on (store, deliver, schedule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One answer in typed, language-neutral form, with its English question for receivers."""

    key: str
    question: str
    type: str
    value: Any
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class SectionCompleted:
    section: str
    version: int
    answers: tuple[AnswerRecord, ...]


@dataclass(frozen=True, slots=True)
class AnswerChanged:
    section: str
    key: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class ConsentChanged:
    section: str
    answers: tuple[AnswerRecord, ...]


# HandoffRequested reasons: the parent texted TALK, or said YES to a question offering that
# someone of the team reach out privately (safe_contact, mood_check_in).
PARENT_ASKED = "parent_asked"
PRIVATE_HELP = "private_check_in"
# The plan flag a private help request raises (beside "handoff", which the inbox reads).
HELP_FLAG = "private_help"


@dataclass(frozen=True, slots=True)
class HandoffRequested:
    reason: str
    flow: str | None = None
    step: str | None = None


@dataclass(frozen=True, slots=True)
class SharingWithheld:
    """The parent stopped one part (consent step `step`) going to one organization (its
    directory id), whatever the roles: the care-team side narrows the consent at once."""

    step: str
    organization: str


@dataclass(frozen=True, slots=True)
class SharingResumed:
    """The parent said an explicit yes to sharing one part (consent step `step`) again with
    one organization they had stopped it for (SharingWithheld), after being shown who, what
    the part holds and the date: the care-team side widens the consent for that organization
    and sends it the part."""

    step: str
    organization: str


@dataclass(frozen=True, slots=True)
class CrisisDetected:
    kind: str
    flow: str | None = None
    step: str | None = None


@dataclass(frozen=True, slots=True)
class OptedOut:
    keyword: str


@dataclass(frozen=True, slots=True)
class OptedIn:
    keyword: str


@dataclass(frozen=True, slots=True)
class ReminderRequested:
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReminderReplied:
    """The parent answered a reminder: confirm, reschedule, ride (needs transport) or off/on."""

    reminder_id: str | None
    action: str


@dataclass(frozen=True, slots=True)
class LanguageChanged:
    locale: str


@dataclass(frozen=True, slots=True)
class NeedChanged:
    """A need was found, or its status changed (by the parent's answer or text, or the team).

    `by` is "parent" or a care-team member id; `section`/`step` say which answer shows it.
    """

    kind: str
    status: str
    section: str
    step: str
    by: str = "parent"
    note: str = ""


@dataclass(frozen=True, slots=True)
class ResourceSaved:
    """The parent saved a local service to the plan (an id of the resource directory)."""

    service_id: str
    need: str


@dataclass(frozen=True, slots=True)
class RemindersListRequested:
    """REMINDERS: the reminders side texts the numbered list of what is coming."""


@dataclass(frozen=True, slots=True)
class ReminderCancelRequested:
    """The parent picked number `number` of the REMINDERS list to cancel."""

    number: int


@dataclass(frozen=True, slots=True)
class RecordRequested:
    """MY RECORD: the care-team side texts the list of who saw what."""


@dataclass(frozen=True, slots=True)
class PlanLinkRequested:
    """MY PLAN: text the parent a short-lived private link to see and print the plan."""


@dataclass(frozen=True, slots=True)
class ErasureRequested:
    """DELETE MY DATA, confirmed twice: erase everything about this contact."""


@dataclass(frozen=True, slots=True)
class CantReach:
    """Texts to the parent failed on `days` different days: the care team should reach out.

    Raised by the reminders side from delivery statuses, not by the engine.
    """

    failures: int
    days: int


Event = (
    SectionCompleted
    | AnswerChanged
    | ConsentChanged
    | SharingWithheld
    | SharingResumed
    | HandoffRequested
    | CrisisDetected
    | OptedOut
    | OptedIn
    | ReminderRequested
    | ReminderReplied
    | LanguageChanged
    | NeedChanged
    | ResourceSaved
    | RemindersListRequested
    | ReminderCancelRequested
    | RecordRequested
    | PlanLinkRequested
    | ErasureRequested
    | CantReach
)
