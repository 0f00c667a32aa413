"""scripts/system-packages, the step `make test` runs before pytest: it installs what is
missing with apt-get and does nothing when all is there. apt-get, dpkg-query and id are
stand-ins on PATH that record their calls, so no package is installed here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "system-packages"

FAKE_DPKG_QUERY = """#!/bin/sh
# dpkg-query -W -f=... PACKAGE: installed only if listed in $INSTALLED
for p in $INSTALLED; do
    if [ "$p" = "$3" ]; then printf 'install ok installed'; exit 0; fi
done
echo "dpkg-query: no packages found matching $3" >&2
exit 1
"""

FAKE_APT_GET = """#!/bin/sh
echo "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> "$CALLS"
if [ "$1" = install ] && [ -n "${FAIL_FIRST_INSTALL:-}" ] && [ ! -e "$CALLS.failed" ]; then
    touch "$CALLS.failed"
    exit 100
fi
"""


def run(
    tmp_path: Path, installed: str, has_lists: bool, fail_first_install: bool = False
) -> list[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (
        ("dpkg-query", FAKE_DPKG_QUERY),
        ("apt-get", FAKE_APT_GET),
        ("id", "#!/bin/sh\necho 0\n"),
    ):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    lists = tmp_path / "lists"
    lists.mkdir()
    if has_lists:
        (lists / "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4").touch()
    calls = tmp_path / "calls"
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "INSTALLED": installed,
        "APT_LISTS": str(lists),
        "CALLS": str(calls),
        "FAIL_FIRST_INSTALL": "1" if fail_first_install else "",
    }
    subprocess.run(["sh", str(SCRIPT), "chromium", "faketime"], check=True, env=env)
    return calls.read_text().splitlines() if calls.exists() else []


def test_nothing_runs_when_everything_is_installed(tmp_path: Path) -> None:
    assert run(tmp_path, installed="chromium faketime", has_lists=False) == []


def test_only_the_missing_package_is_installed_without_update_when_lists_exist(
    tmp_path: Path,
) -> None:
    assert run(tmp_path, installed="faketime", has_lists=True) == [
        "apt-get install -y -qq chromium DEBIAN_FRONTEND=noninteractive"
    ]


def test_a_fresh_machine_updates_the_lists_first(tmp_path: Path) -> None:
    assert run(tmp_path, installed="", has_lists=False) == [
        "apt-get update -qq DEBIAN_FRONTEND=noninteractive",
        "apt-get install -y -qq chromium faketime DEBIAN_FRONTEND=noninteractive",
    ]


def test_stale_lists_are_updated_when_the_install_fails(tmp_path: Path) -> None:
    assert run(tmp_path, installed="", has_lists=True, fail_first_install=True) == [
        "apt-get install -y -qq chromium faketime DEBIAN_FRONTEND=noninteractive",
        "apt-get update -qq DEBIAN_FRONTEND=noninteractive",
        "apt-get install -y -qq chromium faketime DEBIAN_FRONTEND=noninteractive",
    ]
