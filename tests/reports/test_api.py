"""The report routes: operators only; JSON and CSV counts match the plans; the printable page."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import httpx
import pytest

from bot.careteam.wiring import CareTeam
from bot.store.redis_store import RedisConversationStore
from tests.reports.conftest import Tokens, write_plans
from tests.reports.synthetic import FROM, TO, expected, specs

pytestmark = pytest.mark.anyio
Client = tuple[httpx.AsyncClient, CareTeam]
PERIOD = {"from": FROM.isoformat(), "to": TO.isoformat()}


def flat(counts: dict[str, object], prefix: str = "") -> dict[str, object]:
    found: dict[str, object] = {}
    for key, value in counts.items():
        if isinstance(value, dict):
            found.update(flat(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


async def test_an_operator_gets_the_counts_as_json_and_csv(
    app_client: Client, store: RedisConversationStore, tokens: Tokens
) -> None:
    """Every published count equals the independent one; each withheld one is null in JSON,
    "<5" (1-4) or "suppressed" (to protect another) in the CSV; no parent's name, phone or
    ZIP code is in either."""
    client, _ = app_client
    made = specs(200)
    await write_plans(store, made)
    want = expected(made)
    ops = tokens.header("ops")
    answer = await client.get("/api/v1/reports/program", params=PERIOD, headers=ops)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["period"] == {"from": "2024-01-01", "to": "2024-06-30"}
    counts = flat(body["counts"])
    for name, count in counts.items():
        if count is None:
            reason = body["suppressed"][name]
            assert reason == "complementary" or 1 <= want.get(name, 0) <= 4, name
        else:
            assert count == want.get(name, 0), name
    assert counts["enrolled"] == want["enrolled"]
    assert set(body["suppressed"]) == {n for n, c in counts.items() if c is None}

    as_csv = await client.get(
        "/api/v1/reports/program.csv", params=PERIOD, headers=tokens.header("ops")
    )
    same = await client.get(
        "/api/v1/reports/program", params={**PERIOD, "format": "csv"}, headers=tokens.header("ops")
    )
    assert as_csv.text == same.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "2024-01-01-to-2024-06-30.csv" in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["measure", "count"]
    for name, shown in rows[1:]:
        if counts[name] is None:
            small = body["suppressed"][name] == "small"
            assert shown == ("<5" if small else "suppressed")
        else:
            assert shown == str(counts[name])
    for text in (answer.text, as_csv.text):
        for s in made:
            assert s.name not in text
            assert s.phone not in text
            assert s.zip_code not in text


async def test_only_an_operator_may_see_reports(app_client: Client, tokens: Tokens) -> None:
    client, _ = app_client
    url = "/api/v1/reports/program"
    assert (await client.get(url, params=PERIOD)).status_code == 401
    for token_id in ("rosa", "ehr"):  # a member, an endpoint
        refused = await client.get(url, params=PERIOD, headers=tokens.header(token_id))
        assert refused.status_code == 403
        page = await client.get("/care/reports", headers=tokens.header(token_id))
        assert page.status_code == 403
    token = tokens.bearer["ops"]
    in_url = await client.get(url, params={**PERIOD, "token": token})
    assert in_url.status_code == 401  # never a token in the query string


async def test_a_bad_period_is_refused_clearly(app_client: Client, tokens: Tokens) -> None:
    client, _ = app_client
    ops = tokens.header("ops")
    backwards = await client.get(
        "/api/v1/reports/program", params={"from": "2024-06-01", "to": "2024-01-01"}, headers=ops
    )
    missing = await client.get("/api/v1/reports/program", params={"to": "2024-01-01"}, headers=ops)
    garbled = await client.get(
        "/api/v1/reports/program", params={"from": "June", "to": "2024-01-01"}, headers=ops
    )
    assert [backwards.status_code, missing.status_code, garbled.status_code] == [422, 422, 422]
    assert "after" in backwards.json()["detail"]


async def test_the_report_page_draws_the_funnel_on_the_server(
    app_client: Client, store: RedisConversationStore, tokens: Tokens
) -> None:
    """/care/reports: HTML with the funnel as inline SVG (title, desc, counts in text), every
    count in a table, links to the CSV and JSON of the same period, and no script."""
    client, _ = app_client
    await write_plans(store, specs(60))
    page = await client.get("/care/reports", params=PERIOD, headers=tokens.header("ops"))
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert "<script" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    svg = ET.fromstring(html[start:end])  # noqa: S314 - our own page, not untrusted input
    ns = "{http://www.w3.org/2000/svg}"
    assert "Enrolled" in (svg.find(f"{ns}desc").text or "")  # type: ignore[union-attr]
    labels = [t.text for t in svg.iter(f"{ns}text")][::2]
    assert labels == [
        "Enrolled",
        "Finished a part of the plan",
        "Needs found",
        "Referred",
        "Connected",
    ]
    assert "/api/v1/reports/program.csv?from=2024-01-01&amp;to=2024-06-30" in html
    assert "Parents enrolled" in html
    assert "<code>needs." in html


async def test_the_page_defaults_to_this_year_so_far(app_client: Client, tokens: Tokens) -> None:
    """This year in the program's zone (America/New_York here): at 02:00 UTC on New Year's
    Day it is still December 31 there, so the page shows last year. (It read the machine's
    clock and the UTC date, and failed every night between 00:00 UTC and midnight there.)"""
    client, team = app_client
    team.reader.clock = lambda: datetime(2027, 1, 1, 2, 0, tzinfo=UTC)
    page = await client.get("/care/reports", headers=tokens.header("ops"))
    assert page.status_code == 200
    assert 'value="2026-01-01"' in page.text
    assert 'value="2026-12-31"' in page.text
    team.reader.clock = lambda: datetime(2027, 1, 1, 5, 0, tzinfo=UTC)  # midnight there
    page = await client.get("/care/reports", headers=tokens.header("ops"))
    assert 'value="2027-01-01"' in page.text
    assert 'value="2026-12-31"' not in page.text


async def test_the_page_says_today_in_the_programs_zone_not_utc(
    app_client: Client, tokens: Tokens
) -> None:
    client, team = app_client
    # 03:00 UTC on Jan 1 2027 is still New Year's Eve 2026 in the program's zone (New York).
    team.reader.clock = lambda: datetime(2027, 1, 1, 3, 0, tzinfo=UTC)
    page = await client.get("/care/reports", headers=tokens.header("ops"))
    assert page.status_code == 200
    assert 'value="2026-01-01"' in page.text
    assert 'value="2026-12-31"' in page.text
