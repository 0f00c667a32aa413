"""CSRF: each form carries its session's token; a missing, wrong or borrowed one changes nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.dashboard.conftest import PASSWORD, Running, csrf_of, signed_in
from tests.dashboard.seed import shares

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]


def forms(plan_id: str, day: str) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/care/sign-out", {}),
        (
            f"/care/plans/{plan_id}/appointments",
            {"kind": "prenatal_visit", "day": day, "at": "10:00", "repeat": "once"},
        ),
        (f"/care/plans/{plan_id}/flags/crisis/clear", {}),
        (f"/care/inbox/{plan_id}/claim", {}),
        (f"/care/inbox/{plan_id}/answer", {"text": "Hi, this is Rosa."}),
        (f"/care/inbox/{plan_id}/hand-back", {}),
    ]


async def test_every_form_without_the_session_token_is_refused(running: Running) -> None:
    """No token, a made-up one, or another member's valid one: 403 each time, and the plan,
    the claim and the session are as they were."""
    now = running.clock()
    made = await running.seed(
        "Maria",
        shares(share_basic_needs=["social_worker"]),
        flags={"crisis": now, "handoff": now},
        handoff=True,
    )
    http = await signed_in(running, "hope_sw")
    other = running.client()
    other_page = await other.post(
        "/care/sign-in",
        data={
            "csrf": csrf_of(await other.get("/care/sign-in")),
            "member_id": "hope_nurse",
            "password": PASSWORD,
        },
    )
    assert other_page.status_code == 303
    borrowed = csrf_of(await other.get("/care"))
    day = (now + timedelta(days=7)).date().isoformat()
    for path, fields in forms(made.plan_id, day):
        for token in (None, "forged-token", borrowed):
            data = dict(fields) if token is None else {**fields, "csrf": token}
            response = await http.post(path, data=data)
            assert response.status_code == 403, (path, token, response.status_code)
            assert "This form has expired" in response.text
    session = await running.session_of(made)
    assert session.handoff_claim is None
    assert set(session.plan.flags) == {"crisis", "handoff"}
    assert (await http.get("/care")).status_code == 200  # still signed in
    planner = running.dash.planner
    assert planner is not None
    assert await planner.upcoming(made.contact) == []


async def test_the_sign_in_form_needs_its_token_too(running: Running) -> None:
    """Login CSRF: a sign-in posted from elsewhere (no cookie, or no token) signs no one in."""
    bare = running.client()
    no_session = await bare.post(
        "/care/sign-in", data={"member_id": "hope_sw", "password": PASSWORD}
    )
    assert no_session.status_code == 403
    await running.http.get("/care/sign-in")
    no_token = await running.http.post(
        "/care/sign-in", data={"member_id": "hope_sw", "password": PASSWORD}
    )
    assert no_token.status_code == 403
    assert (await running.http.get("/care")).status_code == 303


async def test_a_valid_token_works(running: Running) -> None:
    """The same form with the page's own token goes through (so the 403s above are CSRF)."""
    made = await running.seed("Maria", shares(share_basic_needs=["social_worker"]))
    http = await signed_in(running, "hope_sw")
    page = await http.get(f"/care/plans/{made.plan_id}")
    response = await http.post("/care/sign-out", data={"csrf": csrf_of(page)})
    assert isinstance(response, httpx.Response)
    assert response.status_code == 303
