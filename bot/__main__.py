"""Command line: `python -m bot flows check [DIR]`, `python -m bot whatsapp templates` and
`python -m bot chat`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.engine.loader import check_flows, read_flows
from bot.flows import FLOWS_DIR, build_engine


def _flows_check(directory: Path) -> int:
    flows, problems = read_flows(directory)
    problems += check_flows(flows)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    steps = sum(len(f.steps) for f in flows)
    print(f"ok: {len(flows)} flows, {steps} steps in {directory}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "careteam":
        from bot.careteam.cli import main as careteam_main

        return careteam_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bot", description="Safe Start tools")
    commands = parser.add_subparsers(dest="command", required=True)
    flows = commands.add_parser("flows", help="work with conversations/*.yaml")
    flows_commands = flows.add_subparsers(dest="flows_command", required=True)
    check = flows_commands.add_parser("check", help="validate every flow file")
    check.add_argument("directory", nargs="?", type=Path, default=FLOWS_DIR)
    i18n = commands.add_parser("i18n", help="the catalog build: extract, update, compile")
    i18n.add_argument("step", choices=("extract", "update", "compile", "all"))
    whatsapp = commands.add_parser("whatsapp", help="WhatsApp: the templates to submit")
    whatsapp_commands = whatsapp.add_subparsers(dest="whatsapp_command", required=True)
    listing = whatsapp_commands.add_parser("templates", help="list the templates for approval")
    listing.add_argument("--json", action="store_true", help="as JSON")
    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument(
        "--locale", action="append", default=None, help="locales to load (default: all shipped)"
    )
    store = commands.add_parser("store", help="the Redis store (REDIS_URL)")
    store_commands = store.add_subparsers(dest="store_command", required=True)
    store_commands.add_parser(
        "reindex",
        help="list every saved plan in the contacts index (after a rolling upgrade from a "
        "version without it; the app does it once by itself)",
    )
    args = parser.parse_args(argv)
    if args.command == "store":
        import asyncio

        from bot.store.maintenance import reindex

        print(f"{asyncio.run(reindex())} contacts added to the index")
        return 0
    if args.command == "flows":
        return _flows_check(args.directory)
    if args.command == "whatsapp":
        from bot.channels.templates import print_templates

        return print_templates(as_json=args.json)
    if args.command == "i18n":
        from bot import i18n_catalogs

        if args.step in ("extract", "all"):
            i18n_catalogs.extract()
        if args.step in ("update", "all"):
            i18n_catalogs.update()
        if args.step in ("compile", "all"):
            i18n_catalogs.compile_all()
        return 0
    from bot.channels.terminal import run_chat
    from bot.flows import resource_finder
    from bot.i18n_catalogs import shipped_locales
    from bot.resources import load_resource_directory
    from bot.settings import Settings

    folder = Settings().resources_folder  # the sample directory unless RESOURCES_DIR is set
    finder = resource_finder(load_resource_directory(folder)) if folder else None
    run_chat(build_engine(locales=tuple(args.locale or shipped_locales()), resource_finder=finder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
