"""What a local service is to Safe Start, and the need kinds a service can serve."""

from __future__ import annotations

from dataclasses import dataclass

# The need kinds Safe Start's flows tag answers with (`need:` on a choice). A service serves
# the kinds its taxonomy terms map to in resources/taxonomy.yaml.
NEED_KINDS: tuple[str, ...] = (
    "car_seat",
    "case_management",
    "child_care",
    "counseling",
    "early_intervention",
    "feeding",
    "food",
    "home_visiting",
    "household_support",
    "housing",
    "insurance",
    "legal",
    "mental_health",
    "money",
    "naloxone",
    "pain_plan",
    "parenting_support",
    "pediatric_care",
    "peer_support",
    "phone",
    "postpartum_care",
    "prenatal_care",
    "safe_sleep",
    "safe_storage",
    "safety",
    "transportation",
    "treatment",
)

# (state, county): a USPS state code and a county name without the word "County", e.g.
# ("CT", "Hartford"); county None means the whole state.
Area = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class Service:
    """One service from a 2-1-1 directory, reduced to what an offer by text needs.

    `phone` is E.164 ("+18605550142") when the number is a 10-digit US one, else the text as
    given ("211"); `languages` are ISO 639-1 codes; no `service_areas` means national, or
    an area the directory did not say.
    """

    id: str
    name: str
    organization: str = ""
    description: str = ""
    phone: str = ""
    extension: str = ""
    languages: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    service_areas: tuple[Area, ...] = ()
    city: str = ""
    hours: str = ""
    url: str = ""


def county_name(county: str) -> str:
    """A county as Safe Start keeps it: spacing folded, a trailing word "County" dropped."""
    words = county.split()
    if words and words[-1].casefold() == "county":
        words = words[:-1]
    return " ".join(words)


def county_key(county: str) -> str:
    """How counties compare: as county_name, case-folded ("New Haven County" -> "new haven")."""
    return county_name(county).casefold()


def language_of(locale: str) -> str:
    """The ISO 639-1 language of a locale: "pt_BR" -> "pt", "es" -> "es", "en-US" -> "en"."""
    return locale.replace("-", "_").split("_", 1)[0].casefold()


def speaks(service: Service, language: str) -> bool:
    """Whether a service speaks a language; one that lists none is taken to speak English."""
    return language in service.languages or (language == "en" and not service.languages)
