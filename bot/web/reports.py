"""Program reports for operators: de-identified counts as JSON, CSV, and a printable page.

    GET /api/v1/reports/program?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv]
    GET /api/v1/reports/program.csv?from=...&to=...
    GET /care/reports[?from=...&to=...]     the funnel (SVG) and every count, to read or print

Every route wants an operator's bearer token (`operators` in the care-team directory);
members and endpoints get 403. The page takes the same header for now: it will take the
dashboard's sign-in once that lands, and until then a browser needs something that adds the
header (a proxy, or curl to save the page). Never a token in the query string: URLs end up
in logs and browser history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from bot.careteam.reader import PlanReader
from bot.engine.today import local_today
from bot.reports.chart import Stage, funnel_svg
from bot.reports.collect import published_report
from bot.reports.program import FUNNEL, Published
from bot.reports.render import (
    COMPLEMENTARY_MARK,
    SMALL_MARK,
    SUPPRESSION_NOTE,
    csv_filename,
    report_csv,
    report_json,
)
from bot.web.careteam_deps import PRIVATE, OperatorDep, careteam_of

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
# Longer periods are allowed; this only stops a typo (from=0025-...) scanning nothing for long.
MAX_DAYS = 20 * 366

router = APIRouter(tags=["reports"])


@dataclass(frozen=True, slots=True)
class Period:
    from_: date
    to: date


def _checked(from_: date, to: date) -> Period:
    if from_ > to:
        raise HTTPException(422, "`from` must not be after `to`")
    if (to - from_).days > MAX_DAYS:
        raise HTTPException(422, "a report covers at most 20 years")
    return Period(from_, to)


async def get_period(
    from_: Annotated[date, Query(alias="from", description="first day, YYYY-MM-DD")],
    to: Annotated[date, Query(description="last day (included), YYYY-MM-DD")],
) -> Period:
    return _checked(from_, to)


PeriodDep = Annotated[Period, Depends(get_period)]


async def _published(request: Request, period: Period, who: OperatorDep) -> Published:
    careteam = careteam_of(request)
    reader: PlanReader = careteam.reader
    report = await published_report(
        reader.store,
        from_=period.from_,
        to=period.to,
        as_of=local_today(reader.clock(), None, careteam.needs.default_timezone),
        appointments=careteam.appointments,
        default_timezone=careteam.needs.default_timezone,
    )
    log.info(
        "program report made",
        extra={"event": "report", "operator": who.id, "enrolled": report.cells["enrolled"]},
    )
    return report


@router.get("/api/v1/reports/program", summary="Program counts for a period (operators)")
async def program_report_route(
    request: Request,
    period: PeriodDep,
    who: OperatorDep,
    format: Literal["json", "csv"] = "json",
) -> Response:
    report = await _published(request, period, who)
    if format == "csv":
        return _csv(report)
    return JSONResponse(report_json(report), headers=PRIVATE)


@router.get("/api/v1/reports/program.csv", summary="Program counts for a period, as CSV")
async def program_csv_route(request: Request, period: PeriodDep, who: OperatorDep) -> Response:
    return _csv(await _published(request, period, who))


def _csv(report: Published) -> Response:
    headers = {**PRIVATE, "content-disposition": f'attachment; filename="{csv_filename(report)}"'}
    return Response(report_csv(report), media_type="text/csv; charset=utf-8", headers=headers)


@cache
def _templates() -> Jinja2Templates:
    return Jinja2Templates(directory=TEMPLATES)


@router.get("/care/reports", include_in_schema=False, response_class=HTMLResponse)
async def report_page(
    request: Request,
    who: OperatorDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
) -> Response:
    """The funnel and every count; by default this year so far."""
    careteam = careteam_of(request)
    today = local_today(careteam.reader.clock(), None, careteam.needs.default_timezone)
    period = _checked(from_ or today.replace(month=1, day=1), to or today)
    report = await _published(request, period, who)
    query = f"from={period.from_.isoformat()}&to={period.to.isoformat()}"
    svg = funnel_svg(_stages(report), **_funnel_words(period))
    context = {
        "period": period,
        "funnel": Markup(svg),  # noqa: S704 - funnel_svg escapes every text it writes
        "rows": [(_label(name), name, _shown(report, name)) for name in report.cells],
        "csv_url": f"/api/v1/reports/program.csv?{query}",
        "json_url": f"/api/v1/reports/program?{query}",
        "suppression": SUPPRESSION_NOTE,
    }
    return _templates().TemplateResponse(request, "reports/program.html", context, headers=PRIVATE)


def _stages(report: Published) -> list[Stage]:
    return [
        Stage(label, report.cells[name], report.withheld.get(name) != "complementary")
        for name, label in FUNNEL
    ]


def _funnel_words(period: Period) -> dict[str, str]:
    span = f"{period.from_:%B} {period.from_.day}, {period.from_.year} to "
    span += f"{period.to:%B} {period.to.day}, {period.to.year}"
    return {
        "title": f"From enrolment to connection, parents enrolled {span}",
        "description": "Plans at each stage, each stage a part of the one before.",
    }


def _shown(report: Published, name: str) -> str:
    count = report.cells[name]
    if count is not None:
        return f"{count:,}"
    return SMALL_MARK if report.withheld.get(name) == "small" else COMPLEMENTARY_MARK


_LABELS = {
    "enrolled": "Parents enrolled",
    "started.prenatally": "Started the plan in pregnancy",
    "started.after_birth": "Started the plan after the birth",
    "started.unknown": "Started: not known",
    "plans.with_a_section_done": "Plans with a part finished",
    "plans.with_every_section_done": "Plans with every part finished",
    "plans.with_a_need": "Plans with a need found",
    "plans.referred": "Plans with a need referred",
    "plans.connected": "Plans with a need connected",
    "sections_by_36_weeks.plans": "36 weeks of pregnancy reached (due date known)",
    "sections_by_36_weeks.any": "... with a part finished by 36 weeks",
    "sections_by_36_weeks.all": "... with every part finished by 36 weeks",
    "sections_by_discharge.plans": "Birth date known and reached (stands in for discharge)",
    "sections_by_discharge.any": "... with a part finished by discharge",
    "sections_by_discharge.all": "... with every part finished by discharge",
    "referrals.made": "Needs referred (referred or connected)",
    "referrals.connected": "Needs connected",
    "postpartum_contact_by_3_weeks.plans": "Three weeks after birth passed, or contact made",
    "postpartum_contact_by_3_weeks.met": "... postpartum contact within 3 weeks",
    "pediatric_visit_by_72_hours.plans": "Three days after birth passed, or visit made",
    "pediatric_visit_by_72_hours.met": "... first pediatric visit within 72 hours",
    "opted_out": "Opted out of texts (STOP) since",
}


def _label(name: str) -> str:
    if name.startswith("needs."):
        _, kind, status = name.split(".")
        return f"Need: {kind.replace('_', ' ')}, {status}"
    return _LABELS.get(name, name)
