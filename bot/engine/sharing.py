"""Who may see what, by recipient: the consent answers read per role, and revoking one. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.engine import messages as m
from bot.engine.model import Flow, Step
from bot.engine.render import Voice
from bot.engine.session import Plan

ConsentStep = tuple[Flow, Step]


@dataclass(frozen=True, slots=True)
class TeamView:
    """What the engine may know of the care-team directory, to name who receives a part
    before the parent says yes (42 CFR 2.31): the organizations serving a ZIP code (and
    state), and the intermediary that routes the records. A pure, in-memory view."""

    intermediary: str = ""
    organizations: Callable[[str, str | None], Sequence[str]] = field(
        default=lambda _zip, _state: ()
    )
    # The same organizations as (directory id, name): SHARING lists them by name and a
    # stop names the id.
    named: Callable[[str, str | None], Sequence[tuple[str, str]]] = field(
        default=lambda _zip, _state: ()
    )
    # Who runs the intermediary, by name ("" when the directory names no one).
    operator: str = ""
    # Every organization's id in the directory's order: on a shared phone an organization
    # whose name says treatment is "Organization N" by this order, in SHARING, the consent
    # texts and MY RECORD alike.
    order: tuple[str, ...] = ()

    def number(self, organization: str, fallback: int) -> int:
        """An organization's place in the directory (`fallback` when it is not known)."""
        return self.order.index(organization) + 1 if organization in self.order else fallback

    def through(self, voice: Voice) -> str:
        """The intermediary as the parent reads it: its name, and who operates it in the
        parent's language; the program's own name when the directory gives none."""
        name = self.intermediary or voice.program
        if not self.operator:
            return name
        return voice(m.INTERMEDIARY_OPERATED_BY, intermediary=name, operator=self.operator)


NO_TEAM = TeamView()


def recipients(consent_steps: list[ConsentStep], plan: Plan) -> list[tuple[str, list[Step]]]:
    """Each role the parent shares with (in first-seen order) and the consent steps naming it:
    what actually goes out, so a Part 2 step counts only with its yeses (`agreed`)."""
    seen: dict[str, list[Step]] = {}
    for flow, step in consent_steps:
        value = plan.answer(flow.id, step.id)
        if step.type != "multi" or not isinstance(value, list) or not agreed(flow, step, plan):
            continue
        for role in value:
            if not _exclusive(step, role):
                seen.setdefault(role, []).append(step)
    return list(seen.items())


WITHHELD = "withheld"  # plan.prefs: consent step -> organization ids it no longer goes to


def withheld(plan: Plan) -> dict[str, list[str]]:
    """Consent step -> the organizations the parent stopped it going to (by text)."""
    value = plan.prefs.get(WITHHELD)
    if not isinstance(value, dict):
        return {}
    return {str(k): [str(o) for o in v] for k, v in value.items() if isinstance(v, list)}


def part2_yeses(flow: Flow, step: Step) -> tuple[str, ...]:
    """The yes/no steps a Part 2 sharing step needs, each an explicit yes, before the part
    goes to anyone it names: for a sensitive step, the sensitive yes/no steps of its flow
    about the same part (care_team.yaml: share_recovery_ok, recovery_terms and
    recovery_consent, as bot/careteam/consent.py decides; tests/careteam keeps them equal)."""
    if not (step.sensitive and step.shares):
        return ()
    return tuple(
        s.id for s in flow.steps if s.shares == step.shares and s.type == "yes_no" and s.sensitive
    )


def agreed(flow: Flow, step: Step, plan: Plan) -> bool:
    """Does this sharing step hold, its Part 2 yeses (if any) all given?"""
    return all(plan.answer(flow.id, s) is True for s in part2_yeses(flow, step))


def role_name(voice: Voice, steps: Iterable[Step], role: str, *, discreet: bool) -> str:
    """A role as the parent picked it, by its label; on a shared phone (`discreet`) a role
    whose label names treatment or recovery by its number in the sharing question, as a
    part is ("Care team member 3")."""
    for step in steps:
        if any(c.value == role for c in step.choices):
            return voice.choice(step, role, discreet=discreet)
    return role


def without_role(step: Step, value: Any, role: str | None) -> Any:
    """The consent answer with `role` taken out (None: everyone): 'no one' when none is left."""
    if step.type != "multi":
        return False
    kept = [] if role is None else [v for v in value or [] if v != role and not _exclusive(step, v)]
    return kept or [next(c.value for c in step.choices if c.exclusive)]


def _exclusive(step: Step, value: str) -> bool:
    return any(c.value == value and c.exclusive for c in step.choices)
