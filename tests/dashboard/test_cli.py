"""`python -m bot.dashboard set-password MEMBER_ID`: the password from stdin, only its hash kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dashboard.conftest import REDIS_URL, Running, sign_in

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]

ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    running: Running, folder: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`python -m bot.dashboard ARGS` against the running app's Redis keys."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": REDIS_URL,
        "CARE_TEAM_FILE": str(folder / "careteam.yaml"),
    }
    prefix = running.dash.records.store.keys.prefix
    return subprocess.run(
        [sys.executable, "-m", "bot.dashboard", *args, "--key-prefix", prefix],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,  # no developer .env is read
        timeout=60,
        check=False,
    )


def set_password(
    running: Running, folder: Path, member: str, password: str
) -> subprocess.CompletedProcess[str]:
    return run_cli(running, folder, "set-password", member, stdin=password + "\n")


async def test_a_password_set_on_the_command_line_signs_the_member_in(
    running: Running, tmp_path: Path
) -> None:
    done = set_password(running, tmp_path, "hope_tx", "a long new passphrase 42")
    assert done.returncode == 0, done.stderr
    assert "password set for hope_tx" in done.stdout
    assert "passphrase" not in done.stdout + done.stderr
    stored = await running.dash.records.store.redis.get(running.keys.password("hope_tx"))
    assert stored is not None
    assert stored.startswith(b"$argon2id$")
    assert (await sign_in(running.http, "hope_tx", "a long new passphrase 42")).status_code == 303


async def test_unknown_members_and_short_passwords_are_refused(
    running: Running, tmp_path: Path
) -> None:
    before = await running.dash.records.store.redis.get(running.keys.password("hope_tx"))
    unknown = set_password(running, tmp_path, "no_such_member", "a long new passphrase 42")
    assert unknown.returncode == 2
    assert "no member 'no_such_member'" in unknown.stderr
    short = set_password(running, tmp_path, "hope_tx", "short")
    assert short.returncode == 1
    assert "at least 12 characters" in short.stderr
    assert await running.dash.records.store.redis.get(running.keys.password("hope_tx")) == before
