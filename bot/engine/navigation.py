"""Where a flow goes next, given the answers so far: pure walks over the step graph."""

from __future__ import annotations

from typing import Any

from bot.engine.conditions import Lookup
from bot.engine.loader import END
from bot.engine.model import Flow, Step
from bot.engine.session import Plan


def lookup_for(plan: Plan, flow: Flow) -> Lookup:
    """Answers as the condition language reads them: 'step' in this flow, 'flow.step' elsewhere."""

    def lookup(ref: str) -> tuple[bool, Any]:
        flow_id, _, step_id = ref.rpartition(".")
        answers = plan.answers.get(flow_id or flow.id, {})
        return step_id in answers, answers.get(step_id)

    return lookup


def applies(step: Step, lookup: Lookup) -> bool:
    return step.when is None or step.when.evaluate(lookup)


def after(flow: Flow, step_id: str, lookup: Lookup) -> str:
    """The step that follows step_id once it is answered (or END)."""
    index = flow.index(step_id)
    for branch in flow.steps[index].next:
        if branch.condition is None or branch.condition.evaluate(lookup):
            return branch.goto
    return flow.steps[index + 1].id if index + 1 < len(flow.steps) else END


def _enter(flow: Flow, step_id: str, lookup: Lookup) -> str:
    """From step_id on, the first step whose `when` holds (steps that do not apply are passed)."""
    seen: set[str] = set()
    while step_id != END and step_id not in seen:
        seen.add(step_id)
        step = flow.step(step_id)
        if applies(step, lookup):
            return step_id
        index = flow.index(step_id)
        step_id = flow.steps[index + 1].id if index + 1 < len(flow.steps) else END
    return END


# Routes already walked, keyed by flow, start and everything the walk reads (see _route_key).
# Flows are immutable once loaded, so a route depends only on that key; the cache is a
# memo with no effect on results (tests/engine/test_navigation_cache.py checks it).
_ROUTES: dict[tuple[Any, ...], tuple[str, ...]] = {}
_ROUTES_CAP = 4096
# Per flow (by identity): the (flow id, step id) answers its conditions read. Holding the
# flow keeps its id() from being reused while routes keyed by it are in _ROUTES.
_REFS: dict[int, tuple[Flow, tuple[tuple[str, str], ...]]] = {}


def _refs(flow: Flow) -> tuple[tuple[str, str], ...]:
    known = _REFS.get(id(flow))
    if known is not None and known[0] is flow:
        return known[1]
    if len(_REFS) >= 512:  # flows loaded again and again (tests): start over
        _REFS.clear()
        _ROUTES.clear()
    refs: dict[tuple[str, str], None] = {}
    for step in flow.steps:
        conditions = [step.when] + [branch.condition for branch in step.next]
        for condition in conditions:
            for ref in condition.refs if condition is not None else ():
                flow_id, _, step_id = ref.rpartition(".")
                refs[(flow_id or flow.id, step_id)] = None
    _REFS[id(flow)] = (flow, tuple(refs))
    return tuple(refs)


_SCALARS = frozenset({str, bool, int, float, type(None)})


def _frozen(value: Any) -> Any:
    """A hashable stand-in for an answer value that tells apart what conditions tell apart."""
    kind = type(value)
    if kind in _SCALARS:
        return (kind, value)
    if isinstance(value, list | tuple):
        return ("list", tuple(_frozen(item) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    return (kind, value)


def _route_key(flow: Flow, plan: Plan, after_step: str | None) -> tuple[Any, ...]:
    answers = plan.answers
    read: list[Any] = []
    for flow_id, step_id in _refs(flow):
        got = answers.get(flow_id)
        # None (absent) is distinct from any _frozen(...) pair.
        read.append(_frozen(got[step_id]) if got is not None and step_id in got else None)
    own = answers.get(flow.id)
    # The answered steps in the order answered: the same set in another order is only
    # another entry, never a wrong one.
    return (id(flow), after_step, tuple(own) if own else (), tuple(read))


def path(flow: Flow, plan: Plan, after_step: str | None = None) -> list[str]:
    """The steps on the parent's route through the flow so far, in order, answered or not.

    With after_step (a step on the route), the walk starts just after it: conditions only
    read earlier answers, so nothing before it can change where the route goes next.
    """
    key = _route_key(flow, plan, after_step)
    route = _ROUTES.get(key)
    if route is None:
        if len(_ROUTES) >= _ROUTES_CAP:
            _ROUTES.clear()
        route = _ROUTES[key] = tuple(walk(flow, plan, after_step))
    return list(route)


def walk(flow: Flow, plan: Plan, after_step: str | None = None) -> list[str]:
    """path() without the memo: the walk itself."""
    lookup = lookup_for(plan, flow)
    route: list[str] = []
    start = flow.steps[0].id if after_step is None else after(flow, after_step, lookup)
    step_id = _enter(flow, start, lookup) if start != END else END
    answers = plan.answers.get(flow.id, {})
    while step_id != END and step_id not in route:
        route.append(step_id)
        if step_id not in answers:
            break
        step_id = _enter(flow, after(flow, step_id, lookup), lookup)
    return route


def next_open(flow: Flow, plan: Plan, after_step: str | None = None) -> str:
    """The first step on the route that has no answer yet (or END when all are answered)."""
    route = path(flow, plan, after_step)
    answers = plan.answers.get(flow.id, {})
    if route and route[-1] not in answers:
        return route[-1]
    return END


def answered_route(flow: Flow, plan: Plan) -> list[Step]:
    """The answered (or skipped) steps on the route a texted read-back lists.

    Private steps (safety at home) are left out altogether: even "(kept private)" next to
    a follow-up question would hint at the answer on a shared phone.
    """
    answers = plan.answers.get(flow.id, {})
    return [
        step
        for step in (flow.step(s) for s in path(flow, plan) if s in answers)
        if not step.private
    ]
