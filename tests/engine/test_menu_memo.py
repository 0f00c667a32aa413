"""The numbered menu is rendered once per language, parts done and phone mode, then looked
up (walker.py): what it says is what rendering it gives, and no parent's name is kept."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.machine import Engine
from bot.engine.session import Session

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC).isoformat()


def session_with(engine: Engine, locale: str, done: list[bool], shared: bool) -> Session:
    session = Session(locale=locale, status="active", mode="menu")
    for flow, finished in zip(engine.flows.menu_flows, done, strict=False):
        if finished:
            session.plan.completed_at[flow.id] = NOW
    session.plan.prefs["shared_phone"] = shared
    return session


@settings(max_examples=60, deadline=None)
@given(
    locale=st.sampled_from(["en", "es", "pt_BR"]),
    done=st.lists(st.booleans(), min_size=9, max_size=9),
    shared=st.booleans(),
    name=st.sampled_from(["", "Sam", "Ana María"]),
)
def test_the_menu_looked_up_is_the_menu_rendered(
    i18n_engine: Engine, locale: str, done: list[bool], shared: bool, name: str
) -> None:
    session = session_with(i18n_engine, locale, done, shared)
    if name:
        session.plan.answers["onboarding"] = {"name": name}
    voice = i18n_engine.voice(session)
    rendered = i18n_engine._render_menu(session, voice)
    assert i18n_engine._menu_texts(session, voice) == rendered  # the first time
    assert i18n_engine._menu_texts(session, voice) == rendered  # and looked up


def test_one_menu_serves_every_parent_at_the_same_place(i18n_engine: Engine) -> None:
    i18n_engine._menus.clear()
    for name in ("Sam", "Ana", "Jo"):
        session = session_with(i18n_engine, "es", [True, False] * 4 + [False], False)
        session.plan.answers["onboarding"] = {"name": name}
        i18n_engine._menu_texts(session, i18n_engine.voice(session))
    assert len(i18n_engine._menus) == 1
    assert all(voice.name == "" for voice, _, _ in i18n_engine._menus)
