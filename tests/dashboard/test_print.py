"""The printable plan: the parent's language and English, the viewer's sections, the team."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.dashboard.about import long_date
from tests.dashboard.conftest import Running, signed_in
from tests.dashboard.seed import LARAMIE, recovery_to, shares

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]


async def test_a_spanish_plan_prints_in_spanish_and_in_english(running: Running) -> None:
    lucia = await running.seed(
        "Lucía",
        shares(share_basic_needs=["home_visitor"], share_baby=["home_visitor"]),
        zip_code=LARAMIE,
        locale="es",
    )
    # Printed at 00:30 UTC: still the day before in Laramie, and the plan says the local date.
    now = running.clock()
    running.clock.advance(datetime.combine(now.date() + timedelta(days=1), time(0, 30), UTC) - now)
    laramie_date = running.clock().astimezone(ZoneInfo("America/Denver")).date()
    assert laramie_date != running.clock().date()
    http = await signed_in(running, "laramie_hv")
    page = await http.get(f"/care/plans/{lucia.plan_id}/print")
    assert page.status_code == 200
    html = page.text
    assert re.findall(r'<article class="part" lang="([a-zA-Z-]+)"', html) == ["es", "en"]
    spanish, english = html.split('<article class="part" lang="en"')
    assert "Plan de Cuidado Seguro" in spanish
    assert "Necesidades básicas" in spanish
    assert "Salud y crecimiento del bebé" in spanish
    assert "Lugar donde vivir" in spanish
    assert "Basic needs" in english
    assert "Plan of Safe Care" in english
    assert f"Printed {long_date(laramie_date)}" in english
    for name in ("Ana Silva", "Laramie on-call"):
        assert name in english
    assert "Rosa" not in html  # another organization's people are not this parent's team
    assert '<link rel="stylesheet" href="/static/care.css">' in html
    log = await running.dash.records.audit_log(lucia.contact)
    assert [e.what for e in log if e.action == "read"] == [
        "dashboard.print: basic_needs v1, baby v1"
    ]


async def test_the_printout_names_only_team_members_who_share_what_the_reader_sees(
    running: Running,
) -> None:
    """A nurse's printout lists nurses and the on-call, not the treatment counselor: naming
    them would tell the reader the parent is in treatment."""
    maria = await running.seed(
        "Maria", shares(share_health=["medical"], **recovery_to("treatment"))
    )
    http = await signed_in(running, "hope_nurse")
    page = await http.get(f"/care/plans/{maria.plan_id}/print")
    html = page.text
    assert html.count('<article class="part"') == 1  # an English-speaking parent: one part
    assert "Health for you" in html
    assert "Recovery" not in html
    assert "Dana Lee" in html
    assert "Rosa Díaz" in html  # the on-call social worker
    assert "Sam Ortiz" not in html
    assert "42 CFR Part 2" in html  # the re-disclosure notice goes with every copy
