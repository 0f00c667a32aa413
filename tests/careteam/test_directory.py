"""The directory file: the shipped example loads; every mistake is named by file, line, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.careteam.directory import (
    DirectoryError,
    hash_token_secret,
    load_directory,
    new_api_token,
    verify_token_secret,
)
from bot.settings import ROOT

EXAMPLE = ROOT / "careteam.yaml"
GOOD = """\
version: 1
program:
  intermediary: Safe Start
  crisis_fallback: hope
organizations:
  - id: hope
    name: Hope
    service_area: {zip_prefixes: ["06"]}
members:
  - id: rosa
    name: Rosa
    organization: hope
    roles: [social_worker]
endpoints:
  - id: hope_ehr
    organization: hope
    url: https://ehr.example/hook
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    serves: {roles: [social_worker]}
  - id: hope_on_call
    organization: hope
    url: https://oncall.example/hook
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    serves: {roles: [on_call]}
    events: [plan.crisis, plan.handoff_requested, plan.cant_reach]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "careteam.yaml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(DirectoryError) as caught:
        load_directory(write(tmp_path, text), env or {})
    return [str(p) for p in caught.value.problems]


def test_the_shipped_example_loads_and_its_trial_tokens_work() -> None:
    """The documented trial tokens in careteam.yaml's header match their stored hashes."""
    directory = load_directory(EXAMPLE, {})
    assert {o.id for o in directory.organizations} == {"hartford_hope", "laramie_family"}
    header = EXAMPLE.read_text().split("version: 1")[0]
    tokens = [word for word in header.split() if word.startswith("sst_")]
    owners = {who.id for who in map(directory.authenticate, tokens) if who}
    assert owners == {"rosa_diaz", "hope_ehr", "program_ops"}
    assert directory.authenticate(tokens[0] + "x") is None
    assert directory.authenticate("sst_nobody.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") is None


def test_a_good_file_loads(tmp_path: Path) -> None:
    directory = load_directory(write(tmp_path, GOOD), {})
    assert directory.organizations_for("06103") == ("hope",)
    assert directory.organizations_for("82001") == ()
    assert directory.endpoint_roles(directory.endpoints[0]) == {"social_worker"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("roles: [social_worker]\nendpoints", "roles: [nurse]\nendpoints"),
         ":10: members[0].roles[0]: should be 'social_worker'"),
        (("organization: hope\n    roles", "organization: nowhere\n    roles"),
         ":10: members[0].organization: no organization 'nowhere'"),
        (("https://ehr.example", "http://ehr.example"),
         ":15: endpoints[0].url: Value error, must be an https:// URL"),
        (('"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"', '"not-a-secret"'),
         ":15: endpoints[0].secret: Value error, must start with whsec_"),
        (("serves: {roles: [social_worker]}", "serves: {members: [ghost]}"),
         ":19: endpoints[0].serves.members[0]: no member 'ghost'"),
        (("id: hope_ehr", "id: rosa"), ":15: endpoints[0].id: id 'rosa' is already used"),
        (("    roles: [social_worker]\n", "    roles: [social_worker]\n    colour: red\n"),
         ":10: members[0].colour: Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_each_mistake_names_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    assert change[0] in GOOD
    found = problems(tmp_path, GOOD.replace(change[0], change[1], 1))
    assert any(expected in p and p.startswith(str(tmp_path)) for p in found), found


def test_an_endpoint_may_not_serve_a_member_of_another_organization(tmp_path: Path) -> None:
    text = GOOD.replace(
        "members:\n",
        "  - id: wy\n    name: WY\n    service_area: {states: [WY]}\nmembers:\n"
        "  - id: lee\n    name: Lee\n    organization: wy\n    roles: [social_worker]\n",
    ).replace("serves: {roles: [social_worker]}", "serves: {members: [lee]}")
    (found,) = problems(tmp_path, text)
    assert "member 'lee' belongs to 'wy', not to this endpoint's organization 'hope'" in found


def test_a_secret_can_come_from_the_environment(tmp_path: Path) -> None:
    text = GOOD.replace(
        'secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"', "secret_env: HOPE_SECRET"
    )
    env = {"HOPE_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
    assert load_directory(write(tmp_path, text), env).endpoints[0].secret.get_secret_value()
    assert any("environment variable HOPE_SECRET unset" in p for p in problems(tmp_path, text))


def test_bad_yaml_and_missing_files_are_clear(tmp_path: Path) -> None:
    assert "not valid YAML" in problems(tmp_path, "version: [1\n")[0]
    with pytest.raises(DirectoryError, match="No such file"):
        load_directory(tmp_path / "missing.yaml")


def test_tokens_are_stored_as_salted_hashes() -> None:
    token, stored = new_api_token("rosa-1")
    secret = token.split(".", 1)[1]
    assert secret not in stored
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_token_secret(secret, stored)
    assert not verify_token_secret(secret + "x", stored)
    assert hash_token_secret(secret) != stored  # a fresh salt each time
    assert not verify_token_secret(secret, "md5$abc")


def test_operators_hold_tokens_that_read_as_no_role(tmp_path: Path) -> None:
    """An operator's token authenticates as an operator with no organization and no role;
    its id and token id may repeat no one else's."""
    token, stored = new_api_token("ops-1")
    api_token = f"    api_token: {{id: ops-1, hash: '{stored}'}}\n"
    operators = "operators:\n  - id: ops\n    name: Office\n" + api_token
    directory = load_directory(write(tmp_path, GOOD + operators), {})
    who = directory.authenticate(token)
    assert who is not None
    assert (who.kind, who.id, who.organization, who.roles) == ("operator", "ops", "", frozenset())

    roles = "    roles: [social_worker]\n"
    clash = GOOD.replace(roles, roles + api_token, 1)
    found = problems(tmp_path, clash + operators.replace("id: ops\n", "id: rosa\n"))
    assert any("operators[0].id: id 'rosa' is already used" in p for p in found), found
    assert any("operators[0].api_token.id: token id repeats members[0]" in p for p in found), found


ORG_NAME = "    name: Hope\n"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((ORG_NAME, "    name: Connecticut DCF\n"), ":6: organizations[0].name: 'Connecticut DCF'"),
        ((ORG_NAME, "    name: Child Protective Services\n"), ":6: organizations[0].name"),
        ((ORG_NAME, "    name: Servicios de Protección Infantil\n"), ":6: organizations[0].name"),
        ((ORG_NAME, "    name: Conselho Tutelar Hartford\n"), ":6: organizations[0].name"),
        ((ORG_NAME, "    name: Oficina de protección de menores\n"), ":6: organizations[0].name"),
        (("    name: Rosa\n", "    name: Rosa\n    title: DCFS liaison\n"), ":10: members[0]"),
        (("https://ehr.example/hook", "https://intake.dcf.ct.gov/hook"), ":15: endpoints[0].url"),
        (("id: hope_ehr", "id: cps_intake"), ":15: endpoints[0].id: 'cps_intake'"),
    ],
)  # fmt: skip
def test_a_child_protection_agency_is_refused(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    """Parents read "Your answers do not go to child protective services": a directory with
    an organization, member or endpoint named as one does not load, whatever the language."""
    assert change[0] in GOOD
    found = problems(tmp_path, GOOD.replace(change[0], change[1], 1))
    assert any(expected in p and "child protection agency" in p for p in found), found


@pytest.mark.parametrize(
    "name",
    ["Hope Family Services", "Hospital social worker", "Centro de Salud Familiar", "SCPS Clinic"],
)
def test_ordinary_names_load(tmp_path: Path, name: str) -> None:
    load_directory(write(tmp_path, GOOD.replace("    name: Hope\n", f"    name: {name}\n")), {})


def test_every_organization_a_parent_reaches_has_an_on_call_for_crisis_and_talk(
    tmp_path: Path,
) -> None:
    """ "I've told the person on call for your care team" must be true for every parent: an
    organization with a service area, and the crisis fallback, each need an on-call
    endpoint taking plan.crisis and plan.handoff_requested, or the app does not start."""
    crisis_only = GOOD.replace(
        "events: [plan.crisis, plan.handoff_requested, plan.cant_reach]", "events: [plan.crisis]"
    )
    (found,) = problems(tmp_path, crisis_only)
    assert (
        ":6: organizations[0].id: no on-call endpoint of 'hope' takes plan.handoff_requested"
        in (found)
    )
    wyoming = GOOD.replace(
        "members:\n", "  - id: wy\n    name: WY\n    service_area: {states: [WY]}\nmembers:\n"
    )
    (found,) = problems(tmp_path, wyoming)
    assert "organizations[1].id: no on-call endpoint of 'wy' takes plan.crisis" in found
    # An organization no parent reaches needs none; the fallback always does.
    nowhere = wyoming.replace("service_area: {states: [WY]}", "service_area: {}")
    assert load_directory(write(tmp_path, nowhere), {})
    (found,) = problems(tmp_path, nowhere.replace("crisis_fallback: hope", "crisis_fallback: wy"))
    assert "no on-call endpoint of 'wy'" in found
    (found,) = problems(tmp_path, GOOD.replace("  crisis_fallback: hope\n", ""))
    assert "program.crisis_fallback: crisis_fallback is required" in found
