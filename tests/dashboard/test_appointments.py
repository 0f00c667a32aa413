"""Appointments on a plan: upcoming ones with their reminders, and the add form."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bot.reminders.intake import add_appointment
from tests.dashboard.conftest import Running, csrf_of, sign_in, signed_in
from tests.dashboard.seed import Seeded, recovery_to, shares

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]

MARIA = shares(share_basic_needs=["social_worker"], **recovery_to("treatment"))


async def add(
    http: httpx.AsyncClient, made: Seeded, **fields: str
) -> tuple[httpx.Response, httpx.Response]:
    page = await http.get(f"/care/plans/{made.plan_id}")
    response = await http.post(
        f"/care/plans/{made.plan_id}/appointments",
        data={"csrf": csrf_of(page), "request_id": "form-1", **fields},
    )
    return page, response


async def test_an_added_appointment_is_scheduled_with_its_reminders(running: Running) -> None:
    made = await running.seed("Maria", MARIA)
    http = await signed_in(running, "hope_sw")
    day = (running.clock() + timedelta(days=10)).date().isoformat()
    fields = {"kind": "prenatal_visit", "day": day, "at": "10:30", "place": "Hope Clinic"}
    _page, response = await add(http, made, **fields)
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/care/plans/{made.plan_id}?done=added#visits",
    )
    planner = running.dash.planner
    assert planner is not None
    [upcoming] = await planner.upcoming(made.contact)
    assert (upcoming.appointment.kind, upcoming.appointment.source) == (
        "prenatal_visit",
        "care_team",
    )
    page = await http.get(response.headers["location"])
    assert "Appointment added" in page.text
    assert "Prenatal visit, Hope Clinic" in page.text
    assert "10:30 AM" in page.text
    assert "Not confirmed yet" in page.text
    assert "Day before:" in page.text  # the reminders still to go out, with their times
    # The same form sent twice (a double click, a reload) makes one appointment.
    await http.post(
        f"/care/plans/{made.plan_id}/appointments",
        data={"csrf": csrf_of(page), "request_id": "form-1", **fields},
    )
    assert len(await planner.upcoming(made.contact)) == 1
    log = await running.dash.records.audit_log(made.contact)
    assert [e.what for e in log if e.action == "appointment.add"] == [
        f"appointment {upcoming.appointment.id} on {day}"
    ] * 2


async def test_a_bad_appointment_is_explained_and_nothing_is_added(running: Running) -> None:
    made = await running.seed("Maria", MARIA)
    http = await signed_in(running, "hope_sw")
    yesterday = (running.clock() - timedelta(days=1)).date().isoformat()
    _page, past = await add(http, made, kind="baby_checkup", day=yesterday, at="09:00")
    assert past.status_code == 422
    assert "That appointment is in the past." in past.text
    assert f'value="{yesterday}"' in past.text  # the form keeps what was typed
    _page, no_day = await add(http, made, kind="baby_checkup", day="", at="09:00")
    assert no_day.status_code == 422
    assert "Please give the date and time" in no_day.text
    planner = running.dash.planner
    assert planner is not None
    assert await planner.upcoming(made.contact) == []


async def test_treatment_appointments_are_part_2_information(running: Running) -> None:
    """Only a member who may see the recovery section sees, or adds, treatment appointments."""
    made = await running.seed("Maria", MARIA)
    planner = running.dash.planner
    assert planner is not None
    soon = (running.clock() + timedelta(days=3)).date()
    await add_appointment(
        planner, made.contact[1:-1], kind="treatment", day=soon, at=running.clock().time()
    )
    social = await signed_in(running, "hope_sw")
    listing = await social.get("/care")
    page = await social.get(f"/care/plans/{made.plan_id}")
    for html in (listing.text, page.text):
        assert "Treatment visit" not in html
    assert "None planned" in listing.text
    _page, refused = await add(social, made, kind="treatment", day=soon.isoformat(), at="10:00")
    assert refused.status_code == 422
    assert "Please pick what kind" in refused.text

    counselor = running.client()
    assert (await sign_in(counselor, "hope_tx")).status_code == 303
    assert "Treatment visit" in (await counselor.get("/care")).text
    assert "Treatment visit" in (await counselor.get(f"/care/plans/{made.plan_id}")).text
