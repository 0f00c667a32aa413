"""Local-resource matching at scale: the indexed directory against a linear scan, one run.

    .venv/bin/python bench/bench_resources.py [--services 10000] [--queries 20000]
                                              [--baseline 1000] [--seed 1]

Writes a synthetic HSDS 3 CSV directory (organizations, services, service areas, phones,
languages, schedules, taxonomy terms, attributes) of `--services` services to a temp folder:
50 states of 12 counties each; 60 % of services serve one to three counties, 25 % a whole
state, 15 % no area (national); 1-3 need kinds and 1-3 languages each. Then it times
load_resource_directory (wall clock, best of 3), and per-call time (perf_counter_ns) of
ResourceDirectory.match over random (need, state, county, locale) questions against
scan_match, which ranks every service by the same rule (the naive baseline, run on the first
`--baseline` questions, each checked to give the same answer). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import gc
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.resources import (  # noqa: E402
    NEED_KINDS,
    ResourceDirectory,
    Service,
    load_resource_directory,
)

STATES = ("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
          "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
          "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
          "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY")  # fmt: skip
COUNTIES = tuple(f"County {n}" for n in range(1, 13))
LANGUAGES = ("en", "es", "pt", "ht", "vi", "zh")
LOCALES = ("en", "es", "pt_BR")
Query = tuple[str, str | None, str | None, str]
Timings = tuple[list[float], list[list[Service]]]


def write_directory(folder: Path, count: int, rng: random.Random) -> None:
    """A synthetic HSDS 3 CSV directory with `count` services."""
    tables: dict[str, list[list[object]]] = {
        "organizations": [["id", "name", "website"]],
        "services": [["id", "organization_id", "name", "description", "status"]],
        "service_areas": [["id", "service_id", "name"]],
        "phones": [["id", "service_id", "number", "type"]],
        "languages": [["id", "service_id", "code"]],
        "schedules": [["id", "service_id", "byday", "opens_at", "closes_at"]],
        "taxonomy_terms": [["id", "code", "name"]],
        "attributes": [["id", "link_id", "link_entity", "taxonomy_term_id"]],
    }
    tables["taxonomy_terms"] += [[f"t-{k}", f"safestart:{k}", k] for k in NEED_KINDS]
    orgs = max(count // 10, 1)
    tables["organizations"] += [
        [f"o{i}", f"Org {i}", f"https://o{i}.example.org"] for i in range(orgs)
    ]
    for i in range(count):
        sid = f"s{i}"
        words = rng.sample(("Family", "Help", "Center", "Line", "Care", "Hope", "Aid"), 3)
        tables["services"].append(
            [sid, f"o{i % orgs}", f"{' '.join(words)} {i}", "Synthetic.", "active"]
        )
        state, roll = rng.choice(STATES), rng.random()
        if roll < 0.60:
            for county in rng.sample(COUNTIES, rng.randint(1, 3)):
                tables["service_areas"].append([f"a{i}-{county}", sid, f"{county}, {state}"])
        elif roll < 0.85:
            tables["service_areas"].append([f"a{i}", sid, state])
        tables["phones"].append([f"p{i}", sid, f"860555{i % 10000:04d}", "voice"])
        for lang in rng.sample(LANGUAGES, rng.randint(1, 3)):
            tables["languages"].append([f"l{i}-{lang}", sid, lang])
        tables["schedules"].append([f"h{i}", sid, "MO,TU,WE,TH,FR", "09:00", "17:00"])
        for kind in rng.sample(NEED_KINDS, rng.randint(1, 3)):
            tables["attributes"].append([f"x{i}-{kind}", sid, "service", f"t-{kind}"])
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)


def questions(count: int, rng: random.Random) -> list[Query]:
    return [
        (
            rng.choice(NEED_KINDS),
            rng.choice(STATES),
            rng.choice((*COUNTIES, "Elsewhere County")),
            rng.choice(LOCALES),
        )
        for _ in range(count)
    ]


def timed(call: Callable[..., list[Service]], queries: Sequence[Query]) -> Timings:
    """Milliseconds per call, and what each call answered."""
    times, answers = [], []
    for need, state, county, locale in queries:
        started = time.perf_counter_ns()
        answer = call(need, state=state, county=county, locale=locale)
        times.append((time.perf_counter_ns() - started) / 1e6)
        answers.append(answer)
    return times, answers


def row(name: str, times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100)
    rate = len(times) / (sum(times) / 1000)
    return (f"| {name} | {len(times):,} | {cuts[49]:.3f} | {cuts[98]:.3f} | {max(times):.3f} "
            f"| {rate:,.0f} |")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="hsds-bench-") as tmp:
        folder = Path(tmp)
        write_directory(folder, args.services, rng)
        size = sum(p.stat().st_size for p in folder.iterdir())
        loads = []
        for _ in range(3):
            started = time.perf_counter()
            directory: ResourceDirectory = load_resource_directory(folder)
            loads.append(time.perf_counter() - started)
    queries = questions(args.queries, rng)
    gc.collect()  # the load's garbage is not the first match's cost
    indexed, answers = timed(directory.match, queries)
    scanned, expected = timed(directory.scan_match, queries[: args.baseline])
    assert answers[: args.baseline] == expected, "match and scan_match disagree"
    print(f"Python {platform.python_version()}, {len(directory):,} services, "
          f"{size / 1e6:.1f} MB of CSV")  # fmt: skip
    print(
        f"load_resource_directory: best {min(loads):.2f} s, median {statistics.median(loads):.2f} s"
    )
    print()
    print("| match (limit 3) | queries | p50 ms | p99 ms | max ms | queries/s |")
    print("|---|---:|---:|---:|---:|---:|")
    print(row("ResourceDirectory.match (indexes)", indexed))
    print(row("naive: scan_match over every service", scanned))
    print()
    ratio = statistics.median(scanned) / statistics.median(indexed)
    print(f"median speed-up {ratio:,.0f}x; the issue's limit is 50 ms per match")


if __name__ == "__main__":
    main()
