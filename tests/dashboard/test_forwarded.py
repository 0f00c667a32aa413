"""The per-address sign-in cap counts the real client: X-Forwarded-For is believed only from
the proxies in FORWARDED_ALLOW_IPS (none by default), as the app is served (app.server_config).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app import server_config
from tests.dashboard.conftest import csrf_of, dashboard_settings, start_running
from tests.web.conftest import KeySpace

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]

# The address the connection really comes from: loopback, which uvicorn trusts by default.
CLIENT = ("127.0.0.1", 50000)
TRIES = 33  # the cap is 30 attempts per address per window


async def failures(
    folder: Path, keyspace: KeySpace, trusted: str, forwarded: list[str]
) -> list[int]:
    """Wrong passwords (each for another member id, so no lockout), one per forwarded
    address, through the app wrapped as uvicorn serves it."""
    async with start_running(folder, keyspace, forwarded_allow_ips=trusted) as running:
        config = server_config(dashboard_settings(folder, forwarded_allow_ips=trusted), running.app)
        config.load()
        transport = httpx.ASGITransport(app=config.loaded_app, client=CLIENT)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            csrf = csrf_of(await http.get("/care/sign-in"))
            statuses = []
            for n, address in enumerate(forwarded):
                response = await http.post(
                    "/care/sign-in",
                    data={"csrf": csrf, "member_id": f"nobody{n}", "password": "wrong password"},
                    headers={"x-forwarded-for": address},
                )
                statuses.append(response.status_code)
    return statuses


async def test_a_new_forwarded_address_each_try_still_hits_the_cap(
    tmp_path: Path, keyspace: KeySpace
) -> None:
    forged = [f"203.0.113.{n}" for n in range(TRIES)]
    statuses = await failures(tmp_path, keyspace, "", forged)
    assert statuses == [401] * 30 + [429] * 3


async def test_a_configured_proxy_is_believed(tmp_path: Path, keyspace: KeySpace) -> None:
    """Behind the proxy at CLIENT, each forwarded address is its own client (what uvicorn's
    defaults did for anyone connecting from loopback)."""
    forwarded = [f"203.0.113.{n}" for n in range(TRIES)]
    statuses = await failures(tmp_path, keyspace, CLIENT[0], forwarded)
    assert statuses == [401] * TRIES
