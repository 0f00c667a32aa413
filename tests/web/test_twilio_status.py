"""POST /twilio/status -> the care team's "can't reach" flag: signed callbacks, three days."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.engine.events import CantReach, Event
from bot.engine.session import Session
from bot.reminders.wiring import Reminders
from tests.clock import MovableClock
from tests.fakes.twilio_server import FakeTwilio, SentMessage
from tests.web.conftest import (
    KeySpace,
    hold_outbox,
    make_settings,
    new_phone,
    post_signed,
    running_app,
    store_of,
)

# Every test here shares Redis db 14 (flushed around each test): one xdist worker runs them.
pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

LA = "America/Los_Angeles"


@pytest.fixture
def clock() -> MovableClock:
    """The app's clock (every part of it: web, reminders, care team), moved by the test."""
    return MovableClock(datetime(2027, 3, 8, 3, 0, tzinfo=UTC))


@pytest.fixture
async def live_app(
    twilio: FakeTwilio,
    tmp_path: Path,
    keyspace: KeySpace,
    clock: MovableClock,
) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        tmp_path,
        twilio_api_base_url=twilio.base_url,
        reminders_send_rate=1000,  # no pacing between the test's texts
    )
    async with running_app(settings, keyspace, clock=clock) as application:
        yield application


@pytest.fixture
async def client(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=live_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as made:
        yield made


@pytest.fixture
async def phone(live_app: FastAPI) -> AsyncIterator[str]:
    """A parent in Los Angeles who agreed to texts; their reminder records go afterwards."""
    number = new_phone()

    def enrol(session: Session) -> tuple[Session, list[str], list[Event]]:
        session.status = "active"
        session.timezone = LA
        return session, [], []

    await store_of(live_app).transact(number, None, enrol)
    yield number
    await reminders_of(live_app).planner.forget(store_of(live_app).keys_for(number).contact)


def reminders_of(app: FastAPI) -> Reminders:
    reminders = app.state.runtime.reminders
    assert isinstance(reminders, Reminders)
    return reminders


async def text_and_report(
    app: FastAPI,
    client: httpx.AsyncClient,
    twilio: FakeTwilio,
    phone: str,
    status: str,
) -> SentMessage:
    """Send one text through the app's own outbound path, then Twilio's signed callback."""
    before = len(twilio.messages)
    await reminders_of(app).sender.send(phone, "Reminder: your appointment is tomorrow.")
    message = twilio.wait_for(before + 1)[-1]
    error = "30003" if status in {"failed", "undelivered"} else None
    response = await post_signed(
        client, "/twilio/status", twilio.status_params(message, status, error)
    )
    assert response.status_code == 204, response.text
    return message


async def flagged(app: FastAPI, phone: str) -> tuple[Session, list[CantReach]]:
    session = await store_of(app).load(phone)
    assert session is not None
    contact = store_of(app).keys_for(phone).contact
    raised = [
        e.event
        for e in await store_of(app).read_outbox(count=10_000)
        if e.contact == contact and isinstance(e.event, CantReach)
    ]
    return session, raised


async def test_three_failed_days_raise_the_flag_once_by_the_parents_calendar(
    live_app: FastAPI,
    client: httpx.AsyncClient,
    twilio: FakeTwilio,
    clock: MovableClock,
    phone: str,
) -> None:
    """Undelivered on Mar 7 and Mar 8 in Los Angeles (one UTC day) is two days; a repeated
    callback and a "sent" status count for nothing; the third local day flags the plan and
    tells the care team once; more failures while the flag stands raise nothing more."""
    await hold_outbox(live_app)
    first = await text_and_report(live_app, client, twilio, phone, "undelivered")  # Mar 7 LA
    await post_signed(client, "/twilio/status", twilio.status_params(first, "undelivered"))
    await text_and_report(live_app, client, twilio, phone, "sent")
    clock.at += timedelta(hours=17)  # 20:00 UTC, still Mar 8 in UTC: Mar 8 in LA
    await text_and_report(live_app, client, twilio, phone, "failed")
    session, raised = await flagged(live_app, phone)
    assert "cant_reach" not in session.plan.flags
    assert raised == []

    clock.at += timedelta(days=1)  # Mar 9 in LA
    await text_and_report(live_app, client, twilio, phone, "undelivered")
    session, raised = await flagged(live_app, phone)
    assert session.plan.flags["cant_reach"] == clock.at.isoformat()
    assert raised == [CantReach(failures=3, days=3)]
    assert session.status == "active"  # never an unsubscribe

    clock.at += timedelta(days=1)
    await text_and_report(live_app, client, twilio, phone, "undelivered")
    session, raised = await flagged(live_app, phone)
    assert raised == [CantReach(failures=3, days=3)]
    assert (await store_of(live_app).deliveries(phone))[first.sid]["status"] == "undelivered"


async def test_a_delivered_text_starts_the_count_again_and_leaves_the_flag(
    live_app: FastAPI,
    client: httpx.AsyncClient,
    twilio: FakeTwilio,
    clock: MovableClock,
    phone: str,
) -> None:
    """After "delivered" the flag stays for the team to clear; once cleared, it takes three
    new failed days (not the old ones plus one) to raise it again."""
    await hold_outbox(live_app)
    for _ in range(3):
        await text_and_report(live_app, client, twilio, phone, "failed")
        clock.at += timedelta(days=1)
    await text_and_report(live_app, client, twilio, phone, "delivered")
    session, raised = await flagged(live_app, phone)
    assert "cant_reach" in session.plan.flags
    assert len(raised) == 1

    def team_clears(current: Session) -> tuple[Session, list[str], list[Event]]:
        current.plan.flags.pop("cant_reach")
        return current, [], []

    await store_of(live_app).transact(phone, None, team_clears)
    for _ in range(2):
        clock.at += timedelta(days=1)
        await text_and_report(live_app, client, twilio, phone, "undelivered")
    session, raised = await flagged(live_app, phone)
    assert "cant_reach" not in session.plan.flags
    clock.at += timedelta(days=1)
    await text_and_report(live_app, client, twilio, phone, "undelivered")
    session, raised = await flagged(live_app, phone)
    assert "cant_reach" in session.plan.flags
    assert len(raised) == 2


async def test_a_status_for_a_number_we_do_not_know_changes_nothing(
    live_app: FastAPI, client: httpx.AsyncClient, twilio: FakeTwilio, keyspace: KeySpace
) -> None:
    """A failure for an address with no parent (never enrolled, or erased) is recorded
    as a status only: no session or plan appears for it."""
    stranger = new_phone()
    await reminders_of(live_app).sender.send(stranger, "Hello")
    [message] = twilio.wait_for(1)
    params = twilio.status_params(message, "undelivered", "30005")
    assert (await post_signed(client, "/twilio/status", params)).status_code == 204
    assert await store_of(live_app).load(stranger) is None
