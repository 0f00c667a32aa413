"""A whole Plan of Safe Care built over POST /twilio/sms, answering whatever the flows ask."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from bot.engine.answers import relative_day
from bot.engine.events import SectionCompleted
from bot.engine.machine import Engine
from bot.engine.model import Step
from bot.engine.session import Session
from bot.service import Handled
from bot.settings import Settings
from tests.clock import NOW
from tests.web.conftest import (
    KeySpace,
    make_settings,
    new_phone,
    running_app,
    runtime_of,
    store_of,
    text,
)

# Every test here shares Redis db 14 (flushed around each test): one xdist worker runs them.
pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

MAX_TURNS = 600
SORRY = "Sorry, I didn't get that."

# The onboarding answers a parent would give: "yes, Sam, 1, <due date>, 06103, 1, no, 0".
ONBOARDING = {"name": "Sam", "zip": "06103", "shared_phone": "no", "other_children": "0"}
BY_TYPE = {
    "choice": "1",
    "multi": "1",
    "yes_no": "yes",
    "time": "10am",
    "phone": "860-555-0123",
    "zip": "06103",
    "text": "Dr. Lee",
}


def us_date(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def answer_for(flow_id: str, step: Step, today: date) -> str:
    """A valid answer to any step, from its type and rules (the flows are data; so is this)."""
    if flow_id == "onboarding" and step.id in ONBOARDING:
        return ONBOARDING[step.id]
    if flow_id == "onboarding" and step.id == "due_date":
        return us_date(today + timedelta(days=60))
    if step.type == "date":
        low = relative_day(step.earliest, today) if step.earliest else today - timedelta(365)
        high = relative_day(step.latest, today) if step.latest else today + timedelta(365)
        return us_date(low + (high - low) / 2)
    if step.type == "number":
        assert step.minimum is not None
        assert step.maximum is not None
        return str(min(max(1, step.minimum), step.maximum))
    return BY_TYPE[step.type]


def next_text(engine: Engine, session: Session, last_reply: str, today: date) -> str:
    """What the parent sends next, judged by the session's mode and the bot's last text."""
    mode = session.mode
    if mode == "ask":
        assert session.flow is not None
        assert session.step is not None
        return answer_for(session.flow, engine.flows[session.flow].step(session.step), today)
    if mode == "readback":
        assert "Is this right?" in last_reply
        return "yes"
    if mode == "offer":
        assert "Next up: " in last_reply  # after the thank-you and any local places
        return "yes"
    if mode == "menu":
        undone = [
            f
            for f in engine.flows.menu_flows
            if f.kind == "section" and not session.plan.is_done(f.id)
        ]
        return str(engine.flows.menu_flows.index(undone[0]) + 1)
    raise AssertionError(f"the driver does not expect mode {mode!r} here: {last_reply!r}")


Send = Callable[[int, str], Awaitable[list[str]]]


async def build_whole_plan(
    send: Send,
    load: Callable[[str], Awaitable[Session | None]],
    phone: str,
    engine: Engine,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Text "Hi", consent, then whatever the flows ask until every section is done.
    `send(turn, body)` sends the turn-th text; returns (texts after "Hi", last replies)."""
    sections = [f.id for f in engine.flows.sections]
    replies = await send(0, "Hi")
    assert replies[0].startswith("Hi! This is Safe Start.")
    replies = await send(1, "yes")
    sent: list[str] = ["yes"]
    for turn in range(2, MAX_TURNS):
        session = await load(phone)
        assert session is not None
        if all(session.plan.is_done(s) for s in sections):
            return sent, replies
        tz = ZoneInfo(session.timezone or "America/New_York")
        message = next_text(engine, session, replies[-1], now.astimezone(tz).date())
        sent.append(message)
        replies = await send(turn, message)
        assert replies, f"no reply to {message!r}"
        assert not any(r.startswith(SORRY) for r in replies), (message, replies)
    raise AssertionError(f"plan not finished after {MAX_TURNS} texts")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A whole plan at machine speed: more texts in a few seconds than the flood limit lets
    one phone send (a person takes many minutes)."""
    return make_settings(tmp_path, flood_texts_per_contact=10_000)


@pytest.fixture
async def app(settings: Settings, keyspace: KeySpace) -> AsyncIterator[FastAPI]:
    """The app on the tests' fixed clock: "today" in the answers is the app's today."""
    async with running_app(settings, keyspace, clock=lambda: NOW) as application:
        yield application


async def test_a_whole_plan_over_twilio_sms(client: httpx.AsyncClient, app: FastAPI) -> None:
    """Consent, onboarding, then every section confirmed: all sections done, events emitted."""
    runtime = runtime_of(app)
    engine = runtime.service.engine
    store = store_of(app)
    phone = new_phone()
    sections = [f.id for f in engine.flows.sections]
    completed: list[SectionCompleted] = []

    async def seen(handled: Handled) -> None:
        completed.extend(e for e in handled.events if isinstance(e, SectionCompleted))

    runtime.service.add_hook(seen)

    sent, replies = await build_whole_plan(
        lambda _, body: text(client, phone, body), store.load, phone, engine, NOW
    )

    session = await store.load(phone)
    assert session is not None
    done = [s for s in sections if session.plan.is_done(s)]
    assert done == sections
    assert len(done) == 8
    onboarding = session.plan.answers["onboarding"]
    assert onboarding["name"] == "Sam"
    assert onboarding["zip"] == "06103"
    first_steps = [s.id for s in engine.flows.onboarding.steps][:5]
    if first_steps == ["consent", "name", "shared_phone", "stage", "due_date"]:
        assert sent[:8] == ["yes", "Sam", "no", "1", sent[4], "06103", "1", "0"]
    assert "Every part of your Plan of Safe Care is done" in replies[-1]

    # Seen by a hook (the service runs them after each commit): the care-team worker may have
    # delivered and trimmed these outbox entries already.
    assert sorted(e.section for e in completed) == sorted(sections)
    metrics = (await client.get("/metrics")).text
    assert 'safestart_engine_events_total{type="SectionCompleted"} 8.0' in metrics
