"""`python -m bot careteam ...`: check a directory file, make tokens and secrets, retry parked."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.careteam.consent import PART2_SECTION, PRIVATE_SECTION, PRIVATE_YES_STEP, SHARE_STEPS
from bot.careteam.directory import (
    CONSENT_ROLES,
    CONSENTED_EVENTS,
    DELETED_EVENT,
    ON_CALL,
    ON_CALL_EVENTS,
    ROLE_LABELS,
    SECTION_EVENT,
    Directory,
    DirectoryError,
    load_directory,
    new_api_token,
    new_webhook_secret,
)

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store.care_records_command import Connect


def report(directory: Directory, out: TextIO) -> None:
    """What each role would receive, through which endpoints, if the parent says yes."""
    sections = []
    for section in SHARE_STEPS:
        if section == PART2_SECTION:
            sections.append(f"{section} (only with its own Part 2 yes)")
        elif section == PRIVATE_SECTION:
            sections.append(f"{section} (private answers only with {PRIVATE_YES_STEP} = yes)")
        else:
            sections.append(section)
    print(f"ok: {directory.source}", file=out)
    print(
        f"  {len(directory.organizations)} organizations, {len(directory.members)} members, "
        f"{len(directory.endpoints)} endpoints, {len(directory.operators)} operators. "
        "Nothing is sent without the parent's yes.",
        file=out,
    )
    print("  Each consent role may receive, section by section as the parent chooses:", file=out)
    for line in sections:
        print(f"    - {line}", file=out)
    print(f"  {ON_CALL} receives {', '.join(ON_CALL_EVENTS)} (name and phone only).", file=out)
    print(
        f"  {DELETED_EVENT} reaches every endpoint that received anything of an erased plan.",
        file=out,
    )
    if directory.operators:
        names = ", ".join(o.id for o in directory.operators)
        print(f"  Operators (de-identified reports, never a plan): {names}", file=out)
    for org in directory.organizations:
        area = org.service_area
        where = ", ".join([*(f"ZIP {p}*" for p in area.zip_prefixes), *area.states]) or "nowhere"
        print(f"\n{org.name} [{org.id}], for parents in {where}", file=out)
        for role in (*CONSENT_ROLES, ON_CALL):
            members = [m for m in directory.members if m.organization == org.id and role in m.roles]
            endpoints = [
                e
                for e in directory.endpoints
                if e.organization == org.id and role in directory.endpoint_roles(e)
            ]
            if not members and not endpoints:
                continue
            who = ", ".join(m.id for m in members) or "no member"
            print(f"  {ROLE_LABELS[role]} ({role}): {who}", file=out)
            for e in endpoints:
                offered = ON_CALL_EVENTS if role == ON_CALL else CONSENTED_EVENTS
                kinds = [k for k in offered if e.subscribes(k)]
                if kinds:
                    print(f"    -> webhook {e.id} {e.url} ({', '.join(kinds)})", file=out)
            if role != ON_CALL and not any(e.subscribes(SECTION_EVENT) for e in endpoints):
                print("    -> no webhook: reads through the API (or dashboard) only", file=out)
    for warning in warnings(directory):
        print(f"warning: {warning}", file=out)


def warnings(directory: Directory) -> list[str]:
    """What loads but may not be meant. A missing on-call or crisis_fallback is no warning:
    the directory refuses to load (promises.py), since parents are told on-call hears."""
    return [
        f"{org.id}: no ZIP code or state in its service_area; no parent reaches it"
        for org in directory.organizations
        if not (org.service_area.zip_prefixes or org.service_area.states)
        and org.id != directory.program.crisis_fallback
    ]


def _check(path: Path, out: TextIO, err: TextIO) -> int:
    try:
        directory = load_directory(path)
    except DirectoryError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        print(f"{len(exc.problems)} problem(s) in {path}", file=err)
        return 1
    report(directory, out)
    return 0


async def _retry(
    webhook_id: str | None, settings: Settings | None = None, connect: Connect | None = None
) -> tuple[int, str]:
    """Put parked deliveries back in the schedule (one by webhook-id, or all); how many, and
    which Redis. The app's Redis, found as the app finds it (REDIS_URL, 127.0.0.1:6379, or the
    embedded server `make run` started, from var/redis.url): never a second one on the same
    data."""

    from bot.careteam.delivery.timer import TimedWork
    from bot.careteam.wiring import start_careteam, stop_careteam
    from bot.scheduling.scheduler import Scheduler
    from bot.settings import Settings
    from bot.store.care_records_command import care_records_for
    from bot.store.crypto import cipher_from_settings
    from bot.store.keys.reminders import ReminderKeys
    from bot.store.reminder_redis import RedisReminderStorage

    settings = settings or Settings()
    async with care_records_for(settings, connect) as (store, care, where):
        cipher = cipher_from_settings(settings)
        # A retry is fired into the due stream at once: this scheduler never runs (it is
        # the app's leader that runs the scheduled ones).
        timing = RedisReminderStorage.open(care.redis, cipher, ReminderKeys())
        timed = TimedWork.on(Scheduler(timing), timing)
        careteam = await start_careteam(
            settings, store, care, cipher, timed=timed, run_worker=False
        )
        try:
            return await careteam.worker.retry_parked(webhook_id), where
        finally:
            await stop_careteam(careteam)
            timing.close()


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """`careteam check FILE | token ID | secret | retry [WEBHOOK_ID | --all]`."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m bot careteam", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate a directory file; show who gets what")
    check.add_argument("file", type=Path)
    token = commands.add_parser("token", help="make an API token and the hash to store")
    token.add_argument("token_id", help="a short name, e.g. rosa-1")
    commands.add_parser("secret", help="make a Standard Webhooks secret (whsec_...)")
    retry = commands.add_parser("retry", help="retry parked deliveries (needs REDIS_URL)")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("webhook_id", nargs="?")
    which.add_argument("--all", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command == "check":
        return _check(args.file, out, err)
    if args.command == "token":
        try:
            value, hashed = new_api_token(args.token_id)
        except ValueError as exc:
            print(exc, file=err)
            return 2
        print(f"token (give it to its owner once; it is not stored): {value}", file=out)
        print(f'api_token: {{id: {args.token_id}, hash: "{hashed}"}}', file=out)
        return 0
    if args.command == "secret":
        print(new_webhook_secret(), file=out)
        return 0
    count, where = asyncio.run(_retry(None if args.all else args.webhook_id))
    print(f"{count} parked deliveries back in the schedule ({where})", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
