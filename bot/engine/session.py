"""Session (where a parent is) and plan (what they answered): plain data, JSON in and out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast

SCHEMA_VERSION = 1

Mode = Literal[
    "ask",
    "readback",
    "fix",
    "menu",
    "offer",
    "language",
    "confirm_restart",
    "confirm_erase",
    "pick",
    "idle",
    # On a shared phone, a question kept for the private chat: it waits for CHAT or HERE.
    "private",
]
NeedStatus = Literal["have", "need", "referred", "connected", "declined"]
NEED_STATUSES: tuple[NeedStatus, ...] = ("have", "need", "referred", "connected", "declined")
HISTORY_CAP = 20
# What a remembered text is about (its 4th item), so the handoff inbox shows a member only
# what consent covers (careteam/access.py): a flow id when the text was in a flow (a
# question, an answer, a read-back), TOPIC_PERSON for words to a person (TALK, HELP, STOP,
# crisis words, texts while a member has the conversation, chat at the menu), TOPIC_PLAN
# for anything else about the plan (lists of needs, reminders, sharing), TOPIC_RECOVERY for
# words about a return to use wherever they are said (42 CFR Part 2: only members with the
# recovery part's consent see them). Older entries have no 4th item and count as TOPIC_PERSON.
TOPIC_PERSON = ""
TOPIC_PLAN = "plan"
TOPIC_RECOVERY = "recovery"  # the recovery flow's id, careteam.consent.PART2_SECTION
Status = Literal["new", "active", "declined", "opted_out"]

JSON = Any


# The onboarding step and the prefs key of shared-phone mode.
SHARED_PHONE = "shared_phone"
# The prefs key of the parts whose private questions the parent chose to answer by text
# (HERE) on a shared phone: a list of flow ids.
ASKED_HERE = "asked_here"


@dataclass(slots=True)
class Plan:
    """What the parent answered: outlives any session and is what the care team reads."""

    answers: dict[str, dict[str, JSON]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    completed_at: dict[str, str] = field(default_factory=dict)
    # Sections changed since they were last confirmed: the next "yes" makes a new version.
    dirty: list[str] = field(default_factory=list)
    # The parent's choices that are not plan answers, e.g. {"reminders_off": true}.
    prefs: dict[str, JSON] = field(default_factory=dict)
    # Needs found in answers (flow choices tagged `need:`), keyed by need kind, e.g. "housing":
    # {"kind", "status" (NEED_STATUSES), "source": [flow, step], "owner": member id | None,
    #  "referred_on": ISO date | None, "notes": str, "version": int,
    #  "history": [{"at": ISO, "status", "by": "parent" | member id, "note": str}]}
    needs: dict[str, dict[str, JSON]] = field(default_factory=dict)
    # Local services the parent saved: [{"id", "name", "phone", "need", "saved_at": ISO}].
    saved: list[dict[str, JSON]] = field(default_factory=list)
    # What the care team should look at, flag -> ISO time raised: "crisis", "handoff",
    # "reschedule", "ride", "cant_reach". A member clears one when it is handled.
    flags: dict[str, str] = field(default_factory=dict)
    # When the parent agreed to texts (ISO); reports count enrolments from it.
    enrolled_at: str | None = None

    def answer(self, flow: str, step: str) -> JSON:
        return self.answers.get(flow, {}).get(step)

    def shared_phone(self) -> bool:
        """Shared-phone mode: texts to this phone name no sensitive detail. PRIVATE ON / OFF
        (kept in prefs) overrides the onboarding answer "Do other people use this phone?"."""
        chosen = self.prefs.get(SHARED_PHONE)
        if isinstance(chosen, bool):
            return chosen
        return self.answer("onboarding", SHARED_PHONE) is True

    def has_answer(self, flow: str, step: str) -> bool:
        return step in self.answers.get(flow, {})

    def is_done(self, flow: str) -> bool:
        return flow in self.completed_at

    def copy(self) -> Plan:
        """A copy safe to change: containers are new, answer values are never changed in place."""
        # Positional and with empty containers skipped: this runs on every message.
        return Plan(
            {k: v.copy() for k, v in self.answers.items()},
            {k: v.copy() for k, v in self.skipped.items()} if self.skipped else {},
            self.versions.copy(),
            self.completed_at.copy(),
            self.dirty.copy(),
            self.prefs.copy(),
            {k: v.copy() for k, v in self.needs.items()} if self.needs else {},
            [item.copy() for item in self.saved] if self.saved else [],
            self.flags.copy(),
            self.enrolled_at,
        )

    def to_json(self) -> dict[str, JSON]:
        return {
            "answers": self.answers,
            "skipped": self.skipped,
            "versions": self.versions,
            "completed_at": self.completed_at,
            "dirty": self.dirty,
            "prefs": self.prefs,
            "needs": self.needs,
            "saved": self.saved,
            "flags": self.flags,
            "enrolled_at": self.enrolled_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> Plan:
        return cls(
            answers={k: dict(v) for k, v in data.get("answers", {}).items()},
            skipped={k: list(v) for k, v in data.get("skipped", {}).items()},
            versions=dict(data.get("versions", {})),
            completed_at=dict(data.get("completed_at", {})),
            dirty=list(data.get("dirty", [])),
            prefs=dict(data.get("prefs", {})),
            needs={k: dict(v) for k, v in data.get("needs", {}).items()},
            saved=[dict(item) for item in data.get("saved", [])],
            flags=dict(data.get("flags", {})),
            enrolled_at=data.get("enrolled_at"),
        )


@dataclass(slots=True)
class Session:
    """Where the parent is in the conversation, plus their plan."""

    locale: str = "en"
    timezone: str | None = None
    status: Status = "new"
    mode: Mode = "idle"
    flow: str | None = None
    step: str | None = None
    tries: int = 0
    # Answered (flow, step) pairs in order, so BACK can walk back across sections.
    trail: list[list[str]] = field(default_factory=list)
    # Step ids shown by the last numbered review, for CHANGE n.
    review: list[str] = field(default_factory=list)
    # The mode to go back to after a detour that asks its own question (RESTART, LANGUAGE).
    resume: Mode | None = None
    last_seen: str | None = None
    handoff: bool = False
    plan: Plan = field(default_factory=Plan)
    # The last reminder texted ({"id", "kind", "at", "sent_at"}), so C / R / RIDE answer it.
    reminder: dict[str, JSON] | None = None
    # A care-team member answering by hand ({"member", "name", "until": ISO}): the bot stays
    # quiet (STOP, HELP and crisis words still work) until hand-back or `until`.
    handoff_claim: dict[str, JSON] | None = None
    # The recent texts, for the person taking a handoff: [["in" | "out", text, ISO, topic]],
    # oldest first, at most HISTORY_CAP. Stored encrypted like everything else.
    history: list[list[str]] = field(default_factory=list)
    # A numbered list the parent was just shown and may answer with a number:
    # {"kind": "needs" | "saved" | "offers" | "sharing" | "reminders", "items": [ids]}.
    listing: dict[str, JSON] | None = None
    # A just-in-time consent ask after a finished section: {"section", "needs": [kinds]};
    # when its care_team steps are answered the parent goes on from that section.
    detour: dict[str, JSON] | None = None

    def to_json(self) -> dict[str, JSON]:
        return {
            "v": SCHEMA_VERSION,
            "locale": self.locale,
            "timezone": self.timezone,
            "status": self.status,
            "mode": self.mode,
            "flow": self.flow,
            "step": self.step,
            "tries": self.tries,
            "trail": self.trail,
            "review": self.review,
            "resume": self.resume,
            "last_seen": self.last_seen,
            "handoff": self.handoff,
            "plan": self.plan.to_json(),
            "reminder": self.reminder,
            "handoff_claim": self.handoff_claim,
            "history": self.history,
            "listing": self.listing,
            "detour": self.detour,
        }

    def copy(self) -> Session:
        """A copy the engine may change while the caller's session stays as it was."""
        return Session(
            self.locale,
            self.timezone,
            self.status,
            self.mode,
            self.flow,
            self.step,
            self.tries,
            list(self.trail),
            list(self.review),
            self.resume,
            self.last_seen,
            self.handoff,
            self.plan.copy(),
            dict(self.reminder) if self.reminder else None,
            dict(self.handoff_claim) if self.handoff_claim else None,
            # Entries are never changed in place (appended, and the oldest dropped).
            list(self.history),
            dict(self.listing) if self.listing else None,
            dict(self.detour) if self.detour else None,
        )

    def position_json(self) -> dict[str, JSON]:
        """The session without the plan, for stores that keep the two apart."""
        data = self.to_json()
        del data["plan"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, JSON], plan: dict[str, JSON] | None = None) -> Session:
        plan_data = plan if plan is not None else data.get("plan", {})
        return cls(
            locale=str(data.get("locale", "en")),
            timezone=data.get("timezone"),
            status=cast(Status, data.get("status", "new")),
            mode=cast(Mode, data.get("mode", "idle")),
            flow=data.get("flow"),
            step=data.get("step"),
            tries=int(data.get("tries", 0)),
            # The pairs are never changed in place (the engine appends and removes whole
            # pairs), so they need no copy: a plan list opens hundreds of sessions.
            trail=list(data.get("trail", [])),
            review=list(data.get("review", [])),
            resume=cast("Mode | None", data.get("resume")),
            last_seen=data.get("last_seen"),
            handoff=bool(data.get("handoff", False)),
            plan=Plan.from_json(plan_data or {}),
            reminder=data.get("reminder"),
            handoff_claim=data.get("handoff_claim"),
            history=list(data.get("history", [])),
            listing=data.get("listing"),
            detour=data.get("detour"),
        )
