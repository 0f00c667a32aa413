"""Paths and small builders shared by the resource tests."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

from bot.resources import ResourceDirectory, Service
from bot.resources.loader import ROOT

SAMPLE = ROOT / "resources" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def write_folder(folder: Path, files: Mapping[str, str]) -> Path:
    """A folder holding each file's text (dedented), for one loader case."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def found(directory: ResourceDirectory, service_id: str) -> Service:
    """The service with this id, which the test expects to be there."""
    service = directory.get(service_id)
    assert service is not None, f"no service {service_id!r}"
    return service
