"""Sessions end for good: a password change or a removal from the directory signs out
every browser the member was signed in on."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.dashboard import conftest
from tests.dashboard.conftest import Running, sign_in, start_running
from tests.dashboard.test_cli import set_password
from tests.web.conftest import KeySpace

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]


async def browser(running: Running, member: str) -> httpx.AsyncClient:
    http = running.client()
    assert (await sign_in(http, member)).status_code == 303
    assert (await http.get("/care")).status_code == 200
    return http


def sent_to_sign_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/care/sign-in")


async def test_old_cookies_are_refused_after_set_password(running: Running, tmp_path: Path) -> None:
    desk, phone = await browser(running, "hope_tx"), await browser(running, "hope_tx")
    other = await browser(running, "hope_sw")
    done = set_password(running, tmp_path, "hope_tx", "a long new passphrase 42")
    assert done.returncode == 0, done.stderr
    assert "2 open dashboard sessions ended" in done.stdout
    for http in (desk, phone):
        assert sent_to_sign_in(await http.get("/care"))
    assert (await other.get("/care")).status_code == 200  # someone else's stay
    fresh = running.client()
    assert (await sign_in(fresh, "hope_tx", "a long new passphrase 42")).status_code == 303
    assert (await fresh.get("/care")).status_code == 200


async def test_a_removed_member_is_signed_out_even_if_added_back(
    tmp_path: Path, keyspace: KeySpace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started with a directory without Ana: her sessions end then, so adding her back
    later does not bring an old cookie back to life."""
    async with start_running(tmp_path, keyspace) as first:
        ana, rosa = await browser(first, "laramie_hv"), await browser(first, "hope_sw")
        cookies = {"ana": dict(ana.cookies), "rosa": dict(rosa.cookies)}
    monkeypatch.delitem(conftest.MEMBERS, "laramie_hv")
    async with start_running(tmp_path, keyspace):
        pass
    monkeypatch.undo()
    async with start_running(tmp_path, keyspace) as third:
        ana, rosa = third.client(), third.client()
        ana.cookies.update(cookies["ana"])
        rosa.cookies.update(cookies["rosa"])
        assert sent_to_sign_in(await ana.get("/care"))
        assert (await rosa.get("/care")).status_code == 200
