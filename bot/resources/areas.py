"""Read a service area's text ("Hartford County, CT", "Wyoming", "US") as states and counties.

HSDS 3 keeps a service area as free text (`name`, or `extent` when `extent_type` is "text");
HSDS 2.0 as `service_area`. Safe Start reads these forms, case-insensitively, several in one
field when separated by ";" or a new line:

- national: "US", "USA", "United States", "Nationwide", "National";
- a whole state: its USPS code or name, "CT" or "Connecticut";
- a county: "<county>, <state>" or "<county> County, <state>", e.g. "New Haven County, CT".

Anything else (a town, a ZIP code, "Greater Hartford") raises ValueError: a program maps such
areas to counties in its export, so that nobody is offered a service that does not serve them.
"""

from __future__ import annotations

import re

from bot.resources.model import Area, county_name

_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming", "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands",
    "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip
_STATE_BY_WORDS: dict[str, str] = {
    **{code.casefold(): code for code in _STATES},
    **{name.casefold(): code for code, name in _STATES.items()},
}
_NATIONAL = frozenset({"us", "u.s.", "usa", "united states", "united states of america",
                       "nationwide", "national"})  # fmt: skip
_SEPARATORS = re.compile(r"[;\n]")


def state_code(text: str) -> str | None:
    """The USPS code of a state given by code or name ("ct", "Wyoming"), else None."""
    return _STATE_BY_WORDS.get(" ".join(text.split()).casefold())


def parse_areas(text: str) -> list[Area] | None:
    """The areas a text names, or None when one of them is the whole country.

    Raises ValueError naming the part it cannot read.
    """
    areas: list[Area] = []
    national = False
    for part in _SEPARATORS.split(text):
        part = " ".join(part.split())
        if not part:
            continue
        if part.casefold() in _NATIONAL:
            national = True
        elif code := state_code(part):
            areas.append((code, None))
        else:
            areas.append(_county(part))
    return None if national else areas


def _county(part: str) -> Area:
    county, comma, state = part.rpartition(",")
    code = state_code(state) if comma else None
    county = county_name(county)
    if code is None or not county:
        raise ValueError(
            f"service area {part!r} is not a state, a county with its state "
            "(e.g. 'Hartford County, CT') or 'US'"
        )
    return (code, county)
