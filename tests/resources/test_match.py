"""Matching: county beats state beats national, the parent's language first, never elsewhere."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.resources import ResourceDirectory, Service
from tests.resources.strategies import directories, queries


def svc(key: str, *areas: tuple[str, str | None], langs: tuple[str, ...] = ("en",),
        needs: tuple[str, ...] = ("housing",), name: str | None = None) -> Service:  # fmt: skip
    return Service(id=key, name=name or key, languages=langs, needs=needs, service_areas=areas)


def ids(found: list[Service]) -> list[str]:
    return [s.id for s in found]


def test_county_beats_state_beats_national() -> None:
    """A service for the parent's county comes before a statewide one, then a national one."""
    directory = ResourceDirectory(
        [svc("a-national"), svc("b-state", ("CT", None)), svc("c-county", ("CT", "Hartford"))]
    )
    found = directory.match("housing", state="CT", county="Hartford", locale="en")
    assert ids(found) == ["c-county", "b-state", "a-national"]


def test_language_first_within_a_place_not_across_places() -> None:
    """Spanish speakers lead within each place, but a nearer place still comes first."""
    directory = ResourceDirectory(
        [
            svc("a-county-en", ("CT", "Hartford")),
            svc("b-county-es", ("CT", "Hartford"), langs=("en", "es")),
            svc("c-state-es", ("CT", None), langs=("es",)),
            svc("d-state-en", ("CT", None)),
        ]
    )
    found = directory.match("housing", state="CT", county="Hartford", locale="es", limit=4)
    assert ids(found) == ["b-county-es", "a-county-en", "c-state-es", "d-state-en"]


def test_portuguese_locale_prefers_pt_and_unlisted_language_counts_as_english() -> None:
    """pt_BR asks for "pt"; a service listing no language is taken to speak English."""
    directory = ResourceDirectory(
        [svc("a-none", ("CT", None), langs=()), svc("b-pt", ("CT", None), langs=("pt",))]
    )
    assert ids(directory.match("housing", state="CT", county=None, locale="pt_BR")) == [
        "b-pt",
        "a-none",
    ]
    assert ids(directory.match("housing", state="CT", county=None, locale="en")) == [
        "a-none",
        "b-pt",
    ]


def test_never_offers_a_service_for_another_state_or_another_county() -> None:
    """Areas elsewhere exclude a service: another state, or only other counties of this one."""
    directory = ResourceDirectory(
        [
            svc("wy-state", ("WY", None)),
            svc("wy-county", ("WY", "Laramie")),
            svc("ct-other-county", ("CT", "New Haven")),
            svc("ct-county", ("CT", "Hartford")),
        ]
    )
    assert ids(directory.match("housing", state="CT", county="Hartford", locale="en")) == [
        "ct-county"
    ]


def test_without_a_state_only_national_and_without_a_county_no_county_services() -> None:
    """Unknown state: only services with no area. Unknown county: state and national ones."""
    directory = ResourceDirectory(
        [svc("a-county", ("CT", "Hartford")), svc("b-state", ("CT", None)), svc("c-national")]
    )
    assert ids(directory.match("housing", state=None, county="Hartford", locale="en")) == [
        "c-national"
    ]
    assert ids(directory.match("housing", state="CT", county=None, locale="en")) == [
        "b-state",
        "c-national",
    ]


def test_county_and_state_are_read_loosely() -> None:
    """ "Hartford County" and "hartford" name the same county; "ct" the same state."""
    directory = ResourceDirectory([svc("a", ("CT", "Hartford"))])
    assert ids(directory.match("housing", state="ct", county="Hartford County", locale="en")) == [
        "a"
    ]


def test_a_service_listed_twice_is_offered_once_at_its_best_place() -> None:
    """A service for its county and for the whole state appears once, as a county one."""
    directory = ResourceDirectory(
        [svc("a-both", ("CT", None), ("CT", "Hartford")), svc("b-state", ("CT", None))]
    )
    found = directory.match("housing", state="CT", county="Hartford", locale="en", limit=5)
    assert ids(found) == ["a-both", "b-state"]


def test_limit_unknown_need_and_ties() -> None:
    """At most `limit`; an unknown need or a limit of 0 finds nothing; ties go by name then id."""
    directory = ResourceDirectory(
        [svc(f"s{i}", ("CT", None), name="Same Name" if i % 2 else "Other") for i in range(6)]
    )
    found = directory.match("housing", state="CT", county=None, locale="en", limit=4)
    assert ids(found) == ["s0", "s2", "s4", "s1"]
    assert directory.match("legal", state="CT", county=None, locale="en") == []
    assert directory.match("no_such_need", state="CT", county=None, locale="en") == []
    assert directory.match("housing", state="CT", county=None, locale="en", limit=0) == []


def test_get_by_id(sample: ResourceDirectory) -> None:
    """get() finds a service by id, and gives None for an unknown one."""
    found = sample.get("hartford-housing")
    assert found is not None
    assert found.name == "Hartford Family Housing Help"
    assert sample.get("nope") is None


@pytest.mark.parametrize(
    ("need", "state", "county", "locale", "expected"),
    [
        ("housing", "CT", "Hartford County", "es", ["hartford-housing"]),
        ("insurance", "CT", "Fairfield County", "pt_BR", ["fairfield-insurance", "ct-insurance"]),
        ("peer_support", "WY", "Natrona County", "en", ["wy-peer", "national-parent-line"]),
        ("transportation", "WY", "Natrona County", "en", ["wy-rides"]),
        ("housing", "MA", "Suffolk County", "en", []),
        ("safe_storage", "MA", "Suffolk County", "en", ["national-lock-box"]),
    ],
)
def test_sample_directory_answers(
    sample: ResourceDirectory,
    need: str,
    state: str,
    county: str,
    locale: str,
    expected: list[str],
) -> None:
    """The shipped sample answers a few parents' questions as the rule says."""
    assert ids(sample.match(need, state=state, county=county, locale=locale)) == expected


# 60 examples each keep the whole resource suite under 2 s; the scan comparison is exact.
@settings(max_examples=60)
@given(directories, queries)
def test_match_agrees_with_a_scan_of_every_service(
    services: list[Service], query: dict[str, Any]
) -> None:
    """The indexes give exactly what ranking every service by the rule gives."""
    directory = ResourceDirectory(services)
    assert directory.match(**query) == directory.scan_match(**query)


@settings(max_examples=60)
@given(directories, queries, st.randoms(use_true_random=False))
def test_match_properties(
    services: list[Service], query: dict[str, Any], rng: random.Random
) -> None:
    """Never more than the limit, each serves the need and the state, none twice, and the
    order does not depend on the order services were loaded in."""
    directory = ResourceDirectory(services)
    found = directory.match(**query)
    assert len(found) <= max(query["limit"], 0)
    assert len({s.id for s in found}) == len(found)
    for service in found:
        assert query["need"] in service.needs
        states = {state for state, _ in service.service_areas}
        assert not states or (query["state"] or "").upper() in states
    shuffled = list(services)
    rng.shuffle(shuffled)
    assert ResourceDirectory(shuffled).match(**query) == found
    assert directory.match(**query) == found
