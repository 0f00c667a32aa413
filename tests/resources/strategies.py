"""Hypothesis strategies for services and the questions asked of a directory."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.resources import Service

STATES = ("CT", "WY", "MA")
COUNTIES = ("Hartford", "New Haven", "Laramie", "Natrona")
NEEDS = ("housing", "food", "treatment", "peer_support")
# Few names, differing only in case for some: ties that only the id can break.
NAMES = ("Alpha Help", "alpha help", "Beta Line", "Gamma Center", "Zeta Desk")

areas = st.tuples(st.sampled_from(STATES), st.none() | st.sampled_from(COUNTIES))
services = st.builds(
    Service,
    id=st.text("abcdef0123", min_size=1, max_size=6),
    name=st.sampled_from(NAMES),
    phone=st.sampled_from(("+18605550142", "211", "")),
    languages=st.lists(st.sampled_from(("en", "es", "pt")), unique=True, max_size=3).map(tuple),
    needs=st.lists(st.sampled_from(NEEDS), unique=True, max_size=3).map(tuple),
    service_areas=st.lists(areas, unique=True, max_size=3).map(tuple),
)
directories = st.lists(services, max_size=25, unique_by=lambda s: s.id)
queries = st.fixed_dictionaries(
    {
        "need": st.sampled_from((*NEEDS, "legal", "no_such_need")),
        "state": st.none() | st.sampled_from((*STATES, "ct", "")),
        "county": st.none() | st.sampled_from((*COUNTIES, "Hartford County", "new haven")),
        "locale": st.sampled_from(("en", "es", "pt_BR", "fr")),
        "limit": st.integers(min_value=0, max_value=6),
    }
)
