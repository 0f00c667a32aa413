"""Hypothesis strategies shared across tests: what a parent might text, good and bad."""

from __future__ import annotations

from hypothesis import strategies as st

COMMANDS = [
    "STOP",
    "stop!",
    "START",
    "HELP",
    "menu",
    "Back",
    "skip",
    "REVIEW",
    "change 1",
    "CHANGE 3",
    "restart",
    "talk",
    "language",
    "add a reminder",
    "yes",
    "no",
    "y",
    "nope",
    "1",
    "2",
    "3",
    "1, 3",
    "1 and 2",
    "0",
    "15",
    "tomorrow",
    "next tuesday",
    "3/14",
    "in 2 weeks",
    "10am",
    "noon",
    "(860) 555-0123",
    "06103",
    "82001",
    "sí",
    "hola",
    "overdose",
]

inbound_text = st.one_of(
    st.sampled_from(COMMANDS),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=2000),
    st.text(alphabet=st.characters(categories=("Cc", "Cf", "Zs", "So")), max_size=50),
    st.just(""),
    st.just("\x00" * 10),
    st.just("\U0001f600" * 200),
)
