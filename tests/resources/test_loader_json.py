"""Loading HSDS 3 JSON: nested service objects, per-table arrays, API pages, and mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.resources import ResourceDirectoryError, load_resource_directory
from tests.resources.helpers import FIXTURES, found, write_folder


def test_nested_services_json() -> None:
    """Organization, phones, languages, areas, schedules, attributes with their terms and
    locations with addresses are all read from inside each service object."""
    directory = load_resource_directory(FIXTURES / "hsds3_json")
    assert {s.id for s in directory.services} == {"json-housing", "json-food", "json-line"}
    housing = found(directory, "json-housing")
    food = found(directory, "json-food")
    line = found(directory, "json-line")
    assert housing.organization == "Sample Frontier JSON Org"
    assert (housing.phone, housing.extension) == ("+13075550112", "7")
    assert housing.languages == ("en", "es")
    assert housing.needs == ("housing",)  # BH-1800.8500 falls under BH-1800 in the map
    assert housing.service_areas == (("WY", "Laramie"),)
    assert (housing.city, housing.hours) == ("Cheyenne", "Mon-Fri 8am-4:30pm")
    assert housing.url == "https://laramie-housing.example.org"
    assert food.needs == ("food",)
    assert food.service_areas == (("WY", "Natrona"),)
    assert food.phone == "+13075550110"  # the organization's, given with the first service
    assert line.service_areas == ()
    assert line.phone == "+18005550113"
    assert line.needs == ("housing",)  # a term given once, referred to by id elsewhere


def test_per_table_arrays_and_an_api_page(tmp_path: Path) -> None:
    """Flat JSON arrays per table work like CSV files; an HSDS API page's contents too."""
    services = {"contents": [{"id": "s1", "name": "Sample One"}], "total_items": 1}
    folder = write_folder(
        tmp_path / "flat",
        {
            "services.json": json.dumps(services),
            "phones.json": json.dumps([{"id": "p1", "service_id": "s1", "number": "2035550123"}]),
            "taxonomy_terms.json": json.dumps([{"id": "t1", "code": "safestart:legal"}]),
            "attributes.json": json.dumps(
                [{"id": "a1", "link_id": "s1", "link_entity": "service", "taxonomy_term_id": "t1"}]
            ),
        },
    )
    one = found(load_resource_directory(folder), "s1")
    assert one.phone == "+12035550123"
    assert one.needs == ("legal",)


@pytest.mark.parametrize(
    ("text", "row", "message"),
    [
        ('[{"id": "s1", "name": "A"}, "s2"]', 2, "must be an object"),
        ('[{"id": "s1", "name": "A", "phones": {"number": "1"}}]', 1, "phones: must be a list"),
        ('[{"id": "s1", "name": "A", "phones": [{"number": "1"}, 5]}]', 1, r"phones\[1\]"),
        ('[{"id": "s1", "name": ["A"]}]', 1, "'name' must be text"),
        ('[{"id": "s1", "name": "A", "service_areas": [{"name": "Hartford"}]}]', 1,
         r"service_areas\[0\]: service area 'Hartford'"),
        ('{"id": "s1"}', None, "array of objects"),
        ('[{"id": "s1",', None, "not JSON"),
    ],
)  # fmt: skip
def test_mistakes_name_file_and_item(
    tmp_path: Path, text: str, row: int | None, message: str
) -> None:
    """Each unreadable item raises ResourceDirectoryError with the file and item number."""
    folder = write_folder(tmp_path / "bad", {"services.json": text})
    with pytest.raises(ResourceDirectoryError, match=message) as caught:
        load_resource_directory(folder)
    assert (caught.value.file, caught.value.row) == ("services.json", row)
