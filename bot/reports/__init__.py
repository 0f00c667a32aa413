"""De-identified program reports (issue #8): counts a program can share, never a person.

    facts.py     PURE: one plan -> PlanFacts (flags, counts, windows; no name, phone, ZIP, dates)
    program.py   PURE: PlanFacts of many plans -> ProgramReport (named counts and their sums)
    suppress.py  PURE: which counts to withhold (1-4, and complements that would give them away)
    render.py    PURE: the published report as JSON and CSV
    chart.py     PURE: the funnel as accessible SVG text
    collect.py   the I/O edge: every plan from the store (and appointments) -> PlanFacts

The HTTP routes are bot/web/reports.py (operators only).
"""
