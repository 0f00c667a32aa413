"""navigation.path() is memoised: it must give exactly what the uncached walk gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.machine import Engine
from bot.engine.model import Flow
from bot.engine.navigation import path, walk
from bot.engine.session import Plan, Session

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
MIX = ["yes", "1", "2", "no", "1, 2", "in 3 weeks", "06103", "10am", "Dr. Lee", "860-555-0123",
       "menu", "review", "back", "skip", "help", "what?", "0", "3 and 4"]  # fmt: skip


def assert_same_routes(engine: Engine, plan: Plan) -> None:
    for flow in engine.flows.flows.values():
        route = walk(flow, plan)
        assert path(flow, plan) == route
        assert path(flow, plan) == route  # the second time from the memo
        for step_id in route:
            assert path(flow, plan, step_id) == walk(flow, plan, step_id)


def test_random_conversations_walk_the_same_routes(shipped_engine: Engine) -> None:
    rng = random.Random(15)
    session, now = Session(), START
    for _ in range(600):
        session = shipped_engine.step(session, rng.choice(MIX), now).session
        now += timedelta(minutes=3)
        assert_same_routes(shipped_engine, session.plan)


def _values(flow: Flow) -> st.SearchStrategy[dict[str, Any]]:
    """Answers to any of the flow's steps, of any kind a condition might compare."""
    values: list[Any] = [True, False, None, "x", 3, "3", []]
    for step in flow.steps:
        choices = [c.value for c in step.choices]
        values += [*choices, choices[:1], choices[1:3], choices]
    ids = [step.id for step in flow.steps]
    return st.dictionaries(st.sampled_from(ids), st.sampled_from(values), max_size=len(ids))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_answers_walk_the_same_routes(shipped_engine: Engine, data: st.DataObject) -> None:
    flows = list(shipped_engine.flows.flows.values())
    plan = Plan(answers={f.id: data.draw(_values(f)) for f in flows if data.draw(st.booleans())})
    assert_same_routes(shipped_engine, plan)
