"""The plans list: every plan a member may see, flagged ones first, newest first, searchable."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from bot.careteam.consent import PART2_SECTION
from bot.careteam.directory import Member
from bot.careteam.payload import plan_id_of
from bot.dashboard.about import About, Flag, about, flags_of, last_seen
from bot.dashboard.scan import every_plan, visible_sections
from bot.dashboard.wiring import Dashboard


@dataclass(frozen=True, slots=True)
class PlanRow:
    contact: str
    about: About
    done: int
    total: int
    flags: tuple[Flag, ...]
    last_activity: datetime | None
    sees_recovery: bool  # Part 2: treatment appointments show only with this
    timezone: str | None  # the parent's, from their ZIP code

    @property
    def plan_id(self) -> str:
        return plan_id_of(self.contact)

    @property
    def order(self) -> tuple[bool, float]:
        newest = self.flags[0].at if self.flags else self.last_activity
        return bool(self.flags), newest.timestamp() if newest else 0.0


@dataclass(frozen=True, slots=True)
class Page:
    rows: tuple[PlanRow, ...]
    number: int
    pages: int
    total: int


async def visible_plans(dash: Dashboard, member: Member, now: datetime) -> list[PlanRow]:
    """Plans whose newest consent lets this member see at least one section."""
    sections = [f.id for f in dash.flows.sections]
    rows = []
    async for found in every_plan(dash, lambda c: bool(visible_sections(c, member, now))):
        visible = visible_sections(found.consent, member, now)
        plan = found.session.plan
        rows.append(
            PlanRow(
                contact=found.contact,
                about=about(found.session),
                done=sum(1 for s in sections if plan.is_done(s)),
                total=len(sections),
                flags=flags_of(found.session),
                last_activity=last_seen(found.session),
                sees_recovery=PART2_SECTION in visible,
                timezone=found.session.timezone,
            )
        )
    rows.sort(key=lambda r: r.order, reverse=True)
    return rows


def fold(text: str) -> str:
    """Case and accents folded, so "jose" finds "José"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search(rows: list[PlanRow], query: str) -> list[PlanRow]:
    wanted = fold(query.strip())
    return [r for r in rows if wanted in fold(r.about.name)] if wanted else rows


def page_of(rows: list[PlanRow], number: int, size: int) -> Page:
    pages = max(1, -(-len(rows) // size))
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    return Page(tuple(rows[start : start + size]), number, pages, len(rows))
