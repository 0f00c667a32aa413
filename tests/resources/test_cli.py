"""`python -m bot.resources check DIR`: counts on success, the error and exit 1 on a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.resources.__main__ import main
from tests.resources.helpers import SAMPLE, write_folder


def test_check_counts_per_need_kind_and_area(capsys: pytest.CaptureFixture[str]) -> None:
    """The sample checks out, with counts per need kind and per county, and its notes."""
    assert main(["check", str(SAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: 25 services")
    assert "  housing                   3" in out
    assert "  household_support         1" in out
    assert "  CT, Hartford                        7" in out
    assert "national or not said" in out
    assert "note: 1 service(s) left out" in err


def test_check_fails_with_the_file_and_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad row exits 1 and names the file and line."""
    folder = write_folder(tmp_path / "bad", {"services.csv": "id,name\ns1,\n"})
    assert main(["check", str(folder)]) == 1
    assert "error: services.csv, line 2:" in capsys.readouterr().err


def test_check_takes_another_taxonomy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--taxonomy names the map; a broken map fails the check too."""
    bad_map = tmp_path / "map.yaml"
    bad_map.write_text("spec_version: 1\nneeds:\n  houses: [x]\n", encoding="utf-8")
    assert main(["check", str(SAMPLE), "--taxonomy", str(bad_map)]) == 1
    assert "map.yaml, line 3: unknown need kind 'houses'" in capsys.readouterr().err
