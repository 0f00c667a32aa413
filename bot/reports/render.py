"""A published program report as JSON (withheld counts null) and as CSV (counts only). Pure."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.reports.program import Published
from bot.reports.suppress import MIN_CELL

SMALL_MARK = f"<{MIN_CELL}"
COMPLEMENTARY_MARK = "suppressed"
SUPPRESSION_NOTE = (
    f"Counts from 1 to {MIN_CELL - 1} are withheld (null here, {SMALL_MARK!r} in the CSV), and "
    "so is one more count wherever a withheld count could be worked out from the others "
    f"(null here, {COMPLEMENTARY_MARK!r} in the CSV)."
)


def report_json(report: Published) -> dict[str, Any]:
    """{"period", "counts" (nested by the dotted cell names), "suppressed", "suppression"}."""
    counts: dict[str, Any] = {}
    for name, count in report.cells.items():
        *path, leaf = name.split(".")
        node = counts
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = count
    return {
        "period": {"from": report.from_.isoformat(), "to": report.to.isoformat()},
        "counts": counts,
        "suppressed": dict(report.withheld),
        "suppression": SUPPRESSION_NOTE,
    }


def report_csv(report: Published) -> str:
    """`measure,count`, one row a cell in report order; withheld counts carry a mark."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["measure", "count"])
    for name, count in report.cells.items():
        if count is None:
            small = report.withheld.get(name) == "small"
            writer.writerow([name, SMALL_MARK if small else COMPLEMENTARY_MARK])
        else:
            writer.writerow([name, count])
    return out.getvalue()


def csv_filename(report: Published) -> str:
    return f"safe-start-program-{report.from_.isoformat()}-to-{report.to.isoformat()}.csv"
