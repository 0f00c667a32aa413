"""`python -m bot.resources check DIR [--taxonomy FILE]`: load a folder and count what it holds."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from bot.resources.directory import ResourceDirectory
from bot.resources.errors import ResourceDirectoryError
from bot.resources.loader import DEFAULT_TAXONOMY, load_resource_directory
from bot.resources.model import NEED_KINDS


def report(directory: ResourceDirectory) -> list[str]:
    """Lines of the check's report: services per need kind and per area."""
    needs = Counter(need for s in directory.services for need in s.needs)
    areas: Counter[str] = Counter()
    for service in directory.services:
        if not service.service_areas:
            areas["national or not said"] += 1
        for state, county in service.service_areas:
            areas[f"{state}, {county}" if county else f"{state} (whole state)"] += 1
    untagged = sum(1 for s in directory.services if not s.needs)
    lines = [f"ok: {len(directory)} services ({untagged} serve no need kind)", "", "per need kind:"]
    lines += [f"  {kind:<20} {needs[kind]:>6}" for kind in NEED_KINDS]
    lines += ["", "per area:"]
    lines += [f"  {area:<30} {count:>6}" for area, count in sorted(areas.items())]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.resources", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="load an HSDS folder and count its services")
    check.add_argument("directory", type=Path)
    check.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY)
    args = parser.parse_args(argv)
    try:
        directory = load_resource_directory(args.directory, args.taxonomy)
    except ResourceDirectoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report(directory)))
    for note in directory.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
