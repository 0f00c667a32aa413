"""The flow format: pydantic models every conversations/*.yaml file must fit."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.engine.conditions import Condition, parse_condition

SPEC_VERSION = 1

AnswerType = Literal["yes_no", "choice", "multi", "date", "time", "phone", "zip", "number", "text"]
FlowKind = Literal["onboarding", "section", "reminders"]
Effect = Literal["timezone"]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RELATIVE_DAY = re.compile(r"^(today|[+-]\d+[dwy])$")
_NOTICE = re.compile(r"^(\d+)([mh])$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    line: int = Field(default=0, alias="__line__")


class Choice(_Strict):
    value: str
    label: str
    synonyms: tuple[str, ...] = ()
    need: str | None = None
    # In a multi-choice, picking this one ("None of these") clears the others.
    exclusive: bool = False
    # Its label names treatment or recovery: on a shared phone, not texted back when picked.
    sensitive: bool = False
    # Its label on a shared phone, where the step's shared_phone ask words it neutrally
    # ("Not yet" for "I'm pregnant").
    shared_label: str | None = None


class SameAs(_Strict):
    """The same question in another part ("flow.step"): asked once. Answered there, this
    step takes the answer (mapped by `values`, else the same value) without asking; a later
    answer here that says otherwise changes it there too, and the parent is told."""

    step: str
    values: dict[str, str] = Field(default_factory=dict)

    @field_validator("values", mode="before")
    @classmethod
    def _no_line(cls, raw: object) -> object:
        """The YAML loader marks every mapping with its line; a value map has no use for it."""
        return {k: v for k, v in raw.items() if k != "__line__"} if isinstance(raw, dict) else raw

    @property
    def flow_id(self) -> str:
        return self.step.split(".", 1)[0]

    @property
    def step_id(self) -> str:
        return self.step.split(".", 1)[-1]

    def map(self, value: Any, target: Step) -> Any:
        """This step's value as the other step's, or None when it has no counterpart."""
        if value is None:
            return None
        mapped = self.values.get(str(value), value) if isinstance(value, str) else value
        if target.choices and mapped not in {c.value for c in target.choices}:
            return None
        return mapped


class Upcoming(_Strict):
    """A time step that, with an earlier date step's answer, names when something happens:
    that instant (in the parent's zone) must be at least `notice` after now ("30m", "3h"),
    or a promise made on it (a reminder before it) could not be kept."""

    date: str  # the date step's id
    notice: str = "0m"

    @field_validator("notice")
    @classmethod
    def _notice_shape(cls, value: str) -> str:
        if not _NOTICE.match(value):
            raise ValueError(f"{value!r}: use minutes or hours, like 30m or 3h")
        return value

    @property
    def lead(self) -> timedelta:
        found = _NOTICE.match(self.notice)
        assert found is not None  # checked on load
        amount, unit = int(found[1]), found[2]
        return timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount)


class SharedPhoneTexts(_Strict):
    """What a step says on a shared phone instead, where its own words name treatment,
    recovery and the like: the full question is a DETAILS or MY PLAN away."""

    ask: str | None = None
    hint: str | None = None
    example: str | None = None


class FlowSharedPhone(_Strict):
    """What a part says on a shared phone instead, where its own thank-you names recovery
    and the like."""

    done: str | None = None


class Branch(_Strict):
    condition: Condition | None = Field(default=None, alias="if")
    goto: str

    @field_validator("condition", mode="before")
    @classmethod
    def _parse(cls, raw: object) -> object:
        return parse_condition(raw) if isinstance(raw, str) else raw


class Step(_Strict):
    id: str
    ask: str
    type: AnswerType
    label: str
    required: bool = True
    choices: tuple[Choice, ...] = ()
    hint: str | None = None
    example: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    earliest: str | None = None
    latest: str | None = None
    upcoming: Upcoming | None = None
    max_length: int = 300
    when: Condition | None = None
    next: tuple[Branch, ...] = ()
    # Answers kept private are saved and shared per consent, never repeated back by text.
    private: bool = False
    # A private answer about recovery in another part: shared only under the recovery
    # part's Part 2 consent (careteam/consent.py PART2_PRIVATE_SECTIONS), and listed with it.
    part2: bool = False
    sets: Effect | None = None
    # A sharing permission: STOP SHARING sets it to "no" (yes_no) or to its exclusive choice.
    consent: bool = False
    # The plan section this consent step is about: asked just in time, right after that
    # section is finished, when the parent has not yet said who may see it.
    shares: str | None = None
    # A YES asks someone of the parent's team to reach out: the on-call member is told at
    # once (flag and alert, no answers), whether or not the part is ever shared.
    asks_for_help: bool = False
    # The answer (or its label) names substances, treatment, medication, pregnancy or child
    # protection: on a shared phone it is never texted back (a flow marked sensitive: all).
    sensitive: bool = False
    same_as: SameAs | None = None
    # On a shared phone, in the part that asks who may see what: these texts instead.
    shared_phone: SharedPhoneTexts | None = None
    # The question itself names substances, treatment, medication, pregnancy, birth control
    # or abuse: on a shared phone it is not texted unasked, but waits for the private web
    # chat (CHAT) or the parent's HERE (walker.py, `held`).
    private_question: bool = False

    def text(self, key: Literal["ask", "hint", "example"], *, discreet: bool) -> str | None:
        """The step's ask, hint or example; on a shared phone (`discreet`) its shared-phone
        form where the flow gives one."""
        own: str | None = getattr(self, key)
        other = getattr(self.shared_phone, key) if discreet and self.shared_phone else None
        return other or own

    def discreet(self, value: Any) -> bool:
        """On a shared phone, is this answer kept out of texts?"""
        if self.sensitive:
            return True
        picked = value if isinstance(value, list) else [value]
        return any(c.sensitive and c.value in picked for c in self.choices)

    @cached_property
    def label_ids(self) -> tuple[str, ...]:
        """The choices' label message ids, in order."""
        return tuple(c.label for c in self.choices)

    @field_validator("when", mode="before")
    @classmethod
    def _parse_when(cls, raw: object) -> object:
        return parse_condition(raw) if isinstance(raw, str) else raw

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"step id {value!r} must be lower_snake_case")
        return value

    @field_validator("earliest", "latest")
    @classmethod
    def _relative_day(cls, value: str | None) -> str | None:
        if value is not None and not _RELATIVE_DAY.match(value):
            raise ValueError(f"{value!r}: use today, +Nd, -Nw or +Ny")
        return value

    @model_validator(mode="after")
    def _choices_fit_type(self) -> Step:
        if self.type in ("choice", "multi") and len(self.choices) < 2:
            raise ValueError(f"step {self.id!r}: a {self.type} step needs at least 2 choices")
        if self.type not in ("choice", "multi") and self.choices:
            raise ValueError(f"step {self.id!r}: only choice and multi steps take choices")
        if self.part2 and not self.private:
            raise ValueError(f"step {self.id!r}: a part2 answer must be private")
        if self.asks_for_help and self.type != "yes_no":
            raise ValueError(f"step {self.id!r}: only a yes_no step can ask for help")
        if self.upcoming is not None and self.type != "time":
            raise ValueError(f"step {self.id!r}: only a time step can be upcoming")
        if self.type == "number" and (self.minimum is None or self.maximum is None):
            raise ValueError(f"step {self.id!r}: a number step needs minimum and maximum")
        if self.consent and not (
            self.type == "yes_no"
            or (self.type == "multi" and any(c.exclusive for c in self.choices))
        ):
            raise ValueError(
                f"step {self.id!r}: a consent step is yes_no, or multi with an exclusive 'no one'"
            )
        values = [c.value for c in self.choices]
        if len(values) != len(set(values)):
            raise ValueError(f"step {self.id!r}: choice values repeat")
        return self


class Flow(_Strict):
    spec_version: int
    id: str
    kind: FlowKind
    title: str
    number: int | None = None
    intro: str | None = None
    done: str
    sensitive: bool = False
    # Every question of the part is a private_question (see Step).
    private_questions: bool = False
    shared_phone: FlowSharedPhone | None = None
    readback: bool = True
    emits: tuple[Literal["ConsentChanged", "ReminderRequested"], ...] = ()
    steps: tuple[Step, ...]
    # Set by the loader: which file the flow came from.
    source: str = ""

    @field_validator("spec_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != SPEC_VERSION:
            raise ValueError(f"spec_version {value} is not supported (expected {SPEC_VERSION})")
        return value

    @model_validator(mode="after")
    def _section_numbered(self) -> Flow:
        if self.kind == "section" and self.number is None:
            raise ValueError(f"section {self.id!r} needs a number")
        if not self.steps:
            raise ValueError(f"flow {self.id!r} has no steps")
        return self

    def asks_privately(self, step: Step) -> bool:
        """Is this question kept for the private chat (or HERE) on a shared phone?"""
        return self.private_questions or step.private_question

    def done_text(self, *, discreet: bool) -> str:
        """The part's thank-you; on a shared phone its neutral form where the flow has one."""
        other = self.shared_phone.done if discreet and self.shared_phone else None
        return other or self.done

    @cached_property
    def _positions(self) -> dict[str, int]:
        # Steps are looked up by id on every message: a dict, not a scan. The first of a
        # repeated id wins here; the loader reports the repeat.
        return {step.id: i for i, step in reversed(list(enumerate(self.steps)))}

    def step(self, step_id: str) -> Step:
        return self.steps[self._positions[step_id]]

    def index(self, step_id: str) -> int:
        return self._positions[step_id]
