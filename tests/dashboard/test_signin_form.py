"""Showing the sign-in page writes nothing on the server, and its form still resists login
CSRF: the token signs a nonce only the browser's strict cookie carries, for a limited time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.dashboard.signin_form import FORM_COOKIE
from tests.dashboard.conftest import PASSWORD, Running, csrf_of
from tests.web.conftest import KeySpace

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]


async def test_showing_the_sign_in_page_writes_no_key(running: Running, keyspace: KeySpace) -> None:
    before = set(keyspace.stored())
    for _ in range(200):
        http = running.client()  # a new browser each time, as anonymous visitors are
        page = await http.get("/care/sign-in")
        assert page.status_code == 200
        assert csrf_of(page)
    assert set(keyspace.stored()) == before


async def test_the_form_token_holds_only_with_its_cookie_and_in_time(running: Running) -> None:
    mine, theirs = running.client(), running.client()
    token = csrf_of(await mine.get("/care/sign-in"))
    their_token = csrf_of(await theirs.get("/care/sign-in"))
    fields = {"member_id": "hope_sw", "password": PASSWORD}
    # Another browser's token, or a token without its cookie: refused, no one signed in.
    assert (
        await mine.post("/care/sign-in", data={**fields, "csrf": their_token})
    ).status_code == 403
    bare = running.client()
    assert (await bare.post("/care/sign-in", data={**fields, "csrf": token})).status_code == 403
    assert (
        await mine.post("/care/sign-in", data={**fields, "csrf": token + "x"})
    ).status_code == 403
    # A form left open longer than it lives has to be shown again.
    running.clock.advance(running.dash.config.anonymous_ttl + timedelta(minutes=1))
    assert (await mine.post("/care/sign-in", data={**fields, "csrf": token})).status_code == 403
    fresh = csrf_of(await mine.get("/care/sign-in"))
    signed = await mine.post("/care/sign-in", data={**fields, "csrf": fresh})
    assert signed.status_code == 303
    assert FORM_COOKIE not in mine.cookies  # its work is done
    assert (await mine.get("/care")).status_code == 200
