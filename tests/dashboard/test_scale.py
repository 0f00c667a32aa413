"""The plans list with 1,000 plans: it lists, pages and searches them; how long each page
took in this run is reported (not asserted, and measured once: speed belongs in bench/)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.dashboard import roster
from tests.dashboard.conftest import Running, signed_in
from tests.dashboard.seed import LARAMIE, recovery_to, shares

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.xdist_group("redis-db11")]

PLANS = 1_000
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard_1000_plans.txt"


async def test_the_list_of_1000_plans(running: Running) -> None:
    """A mix like a real program's: most plans shared with the Hartford social worker, some
    with Laramie, some with no one; a few flagged."""
    now = running.clock()
    hartford = shares(share_basic_needs=["social_worker"], **recovery_to("treatment"))
    laramie = shares(share_baby=["home_visitor"])

    async def one(i: int) -> None:
        flags = {"handoff": now - timedelta(minutes=i)} if i % 50 == 0 else None
        if i % 10 == 9:
            await running.seed(f"Parent {i}", laramie, zip_code=LARAMIE)
        elif i % 10 == 8:
            await running.seed(f"Parent {i}", shares())
        else:
            await running.seed(f"Parent {i}", hartford, flags=flags, handoff=bool(flags))

    # Ten at a time: the client's pool opens a connection per concurrent call, each with a
    # one-second connect timeout that a busy test machine can miss.
    for start in range(0, PLANS, 10):
        await asyncio.gather(*(one(i) for i in range(start, min(start + 10, PLANS))))

    http = await signed_in(running, "hope_sw")
    # Each page once: timing runs belong in bench/; these are the figures of this one run.
    timings: dict[str, float] = {}
    pages: dict[str, str] = {}
    for label, path, params in (
        ("plans list, page 1", "/care", {}),
        ("plans list, page 5", "/care", {"page": "5"}),
        ("search by name", "/care", {"q": "parent 77"}),
        ("inbox", "/care/inbox", {}),
    ):
        started = time.perf_counter()
        response = await http.get(path, params=params)
        timings[label] = time.perf_counter() - started
        assert response.status_code == 200
        pages[label] = response.text
    member = running.dash.directory.member_by_id["hope_sw"]
    started = time.perf_counter()
    rows = await roster.visible_plans(running.dash, member, running.clock())
    timings["reading and filtering the plans alone"] = time.perf_counter() - started
    assert len(rows) == 800
    listing = pages["plans list, page 1"]
    assert "800 plans" in listing  # 8 in 10 are Hartford's, shared with social workers
    assert listing.count('aria-current="page">Plans') == 1
    assert "Parent 77" in pages["search by name"]
    lines = [f"{PLANS} plans in Redis, signed in as a Hartford social worker (800 visible)"]
    lines += [f"{label}: {took * 1000:.0f} ms (one run)" for label, took in timings.items()]
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))
