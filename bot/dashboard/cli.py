"""`python -m bot.dashboard set-password MEMBER_ID`: a member's dashboard password, hashed.
`python -m bot.dashboard unlock MEMBER_ID [--minutes N]`: a time-limited unlock.

The password is read from standard input when it is not a terminal (one line), otherwise
asked for twice without echo. Only its argon2id hash is stored, in the app's Redis. Every
dashboard session the member had is ended: whoever knew the old password is signed out.

`unlock` is for a member locked out while someone guesses at their id: it clears the
member's lockouts, and for the next N minutes (default 30) the right password signs in
even through a new lockout. Wrong passwords still count.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from bot.careteam.directory import DirectoryError, load_directory
from bot.dashboard.config import DashboardConfig
from bot.dashboard.passwords import PasswordStore, WeakPassword, check_policy
from bot.dashboard.sessions import SessionStore
from bot.dashboard.throttle import SignInThrottle
from bot.errors import ConfigError
from bot.settings import Settings
from bot.store.care_access_redis import care_access_for


class Mismatch(ConfigError):
    """The two typed passwords differ."""


def read_password(stdin: TextIO) -> str:
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New dashboard password: ")
    if getpass.getpass("Once more: ") != first:
        raise Mismatch("the two passwords differ; nothing was changed")
    return first


async def set_password(settings: Settings, prefix: str, member: str, password: str) -> int:
    """Set the password and end the member's sessions; how many sessions ended."""

    async with care_access_for(settings, prefix) as access:
        await PasswordStore(access).set(member, password)
        return await SessionStore(access, DashboardConfig()).end_all(member)


async def unlock(settings: Settings, prefix: str, member: str, lasting: timedelta) -> None:
    async with care_access_for(settings, prefix) as access:
        await SignInThrottle(access, DashboardConfig()).unlock(member, lasting)


def main(argv: list[str] | None = None, stdin: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.dashboard")
    commands = parser.add_subparsers(dest="command", required=True)
    setter = commands.add_parser("set-password", help="set a member's dashboard password")
    unlocker = commands.add_parser(
        "unlock", help="let a locked-out member sign in with the right password for a while"
    )
    default_minutes = int(DashboardConfig().unlock.total_seconds() // 60)
    unlocker.add_argument("--minutes", type=int, default=default_minutes, choices=range(1, 241))
    for command in (setter, unlocker):
        command.add_argument("member", help="the member's id in the care-team directory")
        command.add_argument("--directory", type=Path, help="default: CARE_TEAM_FILE")
        # The app's key prefix: empty in production; tests keep their keys apart with one.
        command.add_argument("--key-prefix", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    settings = Settings()
    try:
        directory = load_directory(args.directory or settings.care_team_file)
        if args.member not in directory.member_by_id:
            known = ", ".join(sorted(directory.member_by_id)) or "none"
            print(
                f"no member {args.member!r} in {directory.source} (members: {known})",
                file=sys.stderr,
            )
            return 2
        if args.command == "unlock":
            lasting = timedelta(minutes=args.minutes)
            asyncio.run(unlock(settings, args.key_prefix, args.member, lasting))
            print(
                f"ok: {args.member}'s lockouts are cleared; for {args.minutes} minutes the "
                "right password signs in even if the id is locked again"
            )
            return 0
        password = read_password(stdin or sys.stdin)
        check_policy(password, DashboardConfig().min_password_length)
        ended = asyncio.run(set_password(settings, args.key_prefix, args.member, password))
    except (DirectoryError, WeakPassword, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"ok: password set for {args.member}; it works at the next sign-in "
        f"({ended} open dashboard session{'s' if ended != 1 else ''} ended)"
    )
    return 0
