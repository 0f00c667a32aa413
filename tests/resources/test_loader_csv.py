"""Loading HSDS CSV folders: the sample, the HSDS 2.0 layout, and each mistake by file and row."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.resources import ResourceDirectory, ResourceDirectoryError, load_resource_directory
from tests.resources.helpers import found, write_folder

REQUIRED_KINDS = ("housing", "food", "car_seat", "child_care", "transportation", "treatment",
                  "peer_support", "home_visiting", "pediatric_care", "mental_health",
                  "insurance", "safe_sleep")  # fmt: skip
SERVICES = """\
    id,organization_id,name,description,status
    s1,o1,Sample One,Sample data: one.,active
    s2,o1,Sample Two,Sample data: two.,active
"""


def test_sample_loads_active_services_and_covers_the_issue_kinds(
    sample: ResourceDirectory,
) -> None:
    """The sample holds 25 active services (one inactive is left out, with a note) and serves
    every need kind the issue names."""
    assert len(sample) == 25
    assert sample.get("hartford-diapers-closed") is None
    assert any("1 service(s) left out" in note for note in sample.notes)
    served = {need for s in sample.services for need in s.needs}
    assert served >= set(REQUIRED_KINDS)
    assert "household_support" in served  # the family group, for a household member's use


def test_sample_is_marked_as_fictional(sample: ResourceDirectory) -> None:
    """Every sample service says "Sample" and uses a 555-01xx number reserved for fiction."""
    for service in sample.services:
        assert service.description.startswith("Sample data:")
        assert service.organization.startswith("Sample ")
        assert service.phone[5:9] == "5550"
        assert service.phone[9] == "1"


def test_sample_fields_are_joined_from_every_table(sample: ResourceDirectory) -> None:
    """Phones skip faxes and fall back to the location's, then the organization's; terms
    match by code, by a parent's code and by name; hours and city come through."""
    housing = found(sample, "hartford-housing")
    food = found(sample, "hartford-food")
    child_care = found(sample, "ct-child-care")
    rides = found(sample, "hartford-rides")
    recovery = found(sample, "hartford-recovery")
    assert rides
    assert (housing.phone, housing.city, housing.hours) == ("+18605550142", "Hartford",
                                                            "Mon-Fri 9am-5pm")  # fmt: skip
    assert housing.service_areas == (("CT", "Hartford"),)
    assert housing.url == "https://capitol-family.example.org"
    assert food.phone == "+18605550143"
    assert food.needs == ("food",)
    assert food.languages == ("en", "es", "pt")
    assert child_care.phone == "+18605550170"
    assert child_care.service_areas == (("CT", None),)
    assert (rides.phone, rides.extension) == ("+18605550147", "2")
    assert recovery.needs == ("counseling", "naloxone", "treatment")


def test_hsds_2_layout(tmp_path: Path) -> None:
    """HSDS 2.0 names: services_taxonomy + taxonomy.csv (id as code), service_area,
    language names, regular_schedules by weekday, services_at_location, physical_addresses."""
    folder = write_folder(
        tmp_path / "v2",
        {
            "organizations.csv": "id,name,url\no1,Sample Org,https://org.example.org\n",
            "services.csv": SERVICES,
            "taxonomy.csv": "id,name,parent_id,parent_name,vocabulary\n"
            "BD-1800,Emergency Food,,,AIRS\nBD-1800.2000,Food Pantries,BD-1800,,AIRS\n",
            "services_taxonomy.csv": "id,service_id,taxonomy_id,taxonomy_detail\n"
            "st1,s1,BD-1800.2000,\n",
            "service_area.csv": "id,service_id,service_area,description\n"
            'a1,s1,"Natrona County, WY",\na2,s2,WY,\n',
            "languages.csv": "id,service_id,location_id,language\nl1,s1,,Spanish\n",
            "regular_schedules.csv": "id,service_id,weekday,opens_at,closes_at\n"
            "r1,s1,Tuesday,10:00,14:00\nr2,s1,4,10:00,14:00\n",
            "services_at_location.csv": "id,service_id,location_id\nsal1,s1,loc1\n",
            "locations.csv": "id,organization_id,name\nloc1,o1,Office\n",
            "physical_addresses.csv": "id,location_id,address_1,city,state_province\n"
            "pa1,loc1,1 Sample St,Casper,WY\n",
            "phones.csv": "id,location_id,service_id,organization_id,number\n"
            "p1,loc1,,,307-555-0101\n",
        },
    )
    directory = load_resource_directory(folder)
    one = found(directory, "s1")
    two = found(directory, "s2")
    assert one.needs == ("food",)
    assert one.languages == ("es",)
    assert (one.city, one.hours, one.phone) == ("Casper", "Tue, Thu 10am-2pm", "+13075550101")
    assert one.url == "https://org.example.org"
    assert one.organization == "Sample Org"
    assert two.service_areas == (("WY", None),)
    assert two.needs == ()


def test_only_services_is_required(tmp_path: Path) -> None:
    """Missing optional tables are fine: services load with no needs, areas or phones."""
    directory = load_resource_directory(write_folder(tmp_path / "d", {"services.csv": SERVICES}))
    assert [s.id for s in directory.services] == ["s1", "s2"]
    assert directory.match("food", state=None, county=None, locale="en") == []


@pytest.mark.parametrize(
    ("files", "file", "row", "message"),
    [
        ({"services.csv": "id,name\ns1,One\ns2,\n"}, "services.csv", 3, "needs an 'id' and a"),
        ({"services.csv": "id,name\ns1,One\ns1,Again\n"}, "services.csv", 3, "given twice"),
        ({"services.csv": "id,name\ns1,One,extra\n"}, "services.csv", 2, "more values"),
        ({"services.csv": 'id,name\ns1,"One\nTwo"\ns2,\n'}, "services.csv", 4, "needs an 'id'"),
        ({"phones.csv": "id,service_id,number\np1,s9,860-555-0100\n"}, "phones.csv", 2,
         "no service has id 's9'"),
        ({"phones.csv": "id,service_id,number\np1,s1,\n"}, "phones.csv", 2, "needs a 'number'"),
        ({"service_areas.csv": "id,service_id,name\na1,s1,CT\na2,s2,Greater Hartford\n"},
         "service_areas.csv", 3, "'Greater Hartford' is not a state"),
        ({"attributes.csv": "id,link_id,taxonomy_term_id,link_entity\nx1,s1,t9,service\n"},
         "attributes.csv", 2, "no taxonomy term has id 't9'"),
        ({"schedules.csv": "id,service_id,byday,opens_at\nh1,s1,MO,09:00\nh2,s1,XX,09:00\n"},
         "schedules.csv", 3, "'XX' is not a day"),
        ({"phones.csv": "id,service_at_location_id,number\np1,nope,860-555-0100\n"},
         "phones.csv", 2, "no service_at_location has id 'nope'"),
        ({"taxonomy_terms.csv": "id,code,name\n,BD,Food\n"}, "taxonomy_terms.csv", 2,
         "'id' is empty"),
    ],
)  # fmt: skip
def test_mistakes_name_file_and_row(
    tmp_path: Path, files: dict[str, str], file: str, row: int, message: str
) -> None:
    """Each unreadable row raises ResourceDirectoryError with its file and CSV line."""
    folder = write_folder(tmp_path / "bad", {"services.csv": SERVICES, **files})
    with pytest.raises(ResourceDirectoryError, match=message) as caught:
        load_resource_directory(folder)
    assert (caught.value.file, caught.value.row) == (file, row)
    assert str(caught.value).startswith(f"{file}, line {row}: ")


def test_folder_level_mistakes(tmp_path: Path) -> None:
    """No folder, no services file, one table in two files, a file that is not UTF-8."""
    cases = {
        tmp_path / "missing": "not a folder",
        write_folder(tmp_path / "empty", {"README.md": "hi"}): "no services.csv",
        write_folder(tmp_path / "two", {"services.csv": SERVICES, "service.json": "[]"}): (
            "more than one file"
        ),
    }
    latin = write_folder(tmp_path / "latin", {})
    (latin / "services.csv").write_bytes("id,name\ns1,Niño\n".encode("latin-1"))
    cases[latin] = "not UTF-8"
    for folder, message in cases.items():
        with pytest.raises(ResourceDirectoryError, match=message) as caught:
            load_resource_directory(folder)
        assert caught.value.row is None
