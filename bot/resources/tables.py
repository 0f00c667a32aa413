"""Read an HSDS folder into tables of records, each knowing its file and row.

One file per table, CSV or JSON, named as in HSDS 3 (`services.csv`), in the singular
(`service.csv`) or as in HSDS 2.0 (`services_at_location.csv`, `regular_schedules.csv`,
`physical_addresses.csv`, and `taxonomy.csv` beside `services_taxonomy.csv`). A JSON file
holds an array of objects (or an HSDS API page, whose `contents` is that array); objects may
nest their related records as HSDS 3 JSON does (see nested.py). Only `services` is required.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.resources.errors import ResourceDirectoryError
from bot.resources.nested import flatten

FILE_NAMES: Mapping[str, tuple[str, ...]] = {
    "services": ("services", "service"),
    "organizations": ("organizations", "organization"),
    "locations": ("locations", "location"),
    "service_at_locations": ("service_at_locations", "service_at_location",
                             "services_at_location", "services_at_locations"),
    "service_areas": ("service_areas", "service_area"),
    "phones": ("phones", "phone"),
    "languages": ("languages", "language"),
    "schedules": ("schedules", "schedule", "regular_schedules", "regular_schedule"),
    "addresses": ("addresses", "address", "physical_addresses", "physical_address"),
    "taxonomy_terms": ("taxonomy_terms", "taxonomy_term"),
    "attributes": ("attributes", "attribute"),
    "services_taxonomy": ("services_taxonomy", "service_taxonomy"),
}  # fmt: skip
# HSDS 2.0 kept its terms in taxonomy.csv; in HSDS 3 that name holds the taxonomies themselves.
LEGACY_TERMS = ("taxonomy",)
SUFFIXES = (".csv", ".json")


@dataclass(frozen=True, slots=True)
class Record:
    """One row of one table, with where it came from for error messages."""

    file: str
    row: int
    fields: Mapping[str, object]
    path: str = ""  # inside a nested JSON item, e.g. "phones[0]"

    def text(self, name: str) -> str:
        """A field as trimmed text: "" when absent; numbers as written."""
        value = self.fields.get(name)
        if isinstance(value, str):  # first: nearly every value is (CSV holds nothing else)
            return value.strip()
        if value is None:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(int(value)) if float(value).is_integer() else str(value)
        raise self.error(f"{name!r} must be text, not {type(value).__name__}")

    def error(self, message: str) -> ResourceDirectoryError:
        where = f"{self.path}: " if self.path else ""
        return ResourceDirectoryError(self.file, self.row, where + message)


Tables = dict[str, list[Record]]


def read_tables(folder: Path) -> Tables:
    """Every known table in a folder; a missing optional table is an empty list."""
    if not folder.is_dir():
        raise ResourceDirectoryError(str(folder), None, "not a folder")
    present = {p.name.casefold(): p for p in folder.iterdir() if p.suffix.casefold() in SUFFIXES}
    if _find(present, "services", FILE_NAMES["services"]) is None:
        raise ResourceDirectoryError(str(folder), None, "no services.csv or services.json")
    tables: Tables = {table: [] for table in FILE_NAMES}
    legacy = _find(present, "services_taxonomy", FILE_NAMES["services_taxonomy"]) is not None
    for table, stems in FILE_NAMES.items():
        if table == "taxonomy_terms" and legacy and _find(present, table, stems) is None:
            stems = LEGACY_TERMS
        if path := _find(present, table, stems):
            for into, record in _read_file(path, table):
                tables[into].append(record)
    return tables


def _find(present: Mapping[str, Path], table: str, stems: tuple[str, ...]) -> Path | None:
    found = [present[s + x] for s in stems for x in SUFFIXES if s + x in present]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        message = f"{table} is in more than one file: {names}"
        raise ResourceDirectoryError(found[0].name, None, message)
    return found[0] if found else None


def _read_file(path: Path, table: str) -> Iterator[tuple[str, Record]]:
    if path.suffix.casefold() == ".csv":
        for record in _read_csv(path):
            yield table, record
    else:
        yield from _read_json(path, table)


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Name the file when it cannot be read or is not UTF-8; formats add their own errors."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise ResourceDirectoryError(path.name, None, "not UTF-8 text") from exc
    except OSError as exc:
        raise ResourceDirectoryError(path.name, None, f"cannot read: {exc.strerror}") from exc


def _read_csv(path: Path) -> Iterator[Record]:
    with _reading(path), path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        line = 1
        try:
            for fields in reader:
                row, line = line + 1, reader.line_num
                if None in fields:
                    raise ResourceDirectoryError(path.name, row, "more values than columns")
                yield Record(path.name, row, fields)
        except csv.Error as exc:
            raise ResourceDirectoryError(path.name, line + 1, f"not CSV: {exc}") from exc


def _read_json(path: Path, table: str) -> Iterator[tuple[str, Record]]:
    with _reading(path):
        text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResourceDirectoryError(path.name, None, f"not JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    if not isinstance(data, list):
        raise ResourceDirectoryError(path.name, None, "must hold an array of objects")
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ResourceDirectoryError(path.name, number, "must be an object")
        try:
            rows = list(flatten(table, item, f"{path.name}#{number}"))
        except ValueError as exc:
            raise ResourceDirectoryError(path.name, number, str(exc)) from exc
        for child_table, fields, where in rows:
            yield child_table, Record(path.name, number, fields, where)
