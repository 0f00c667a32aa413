"""MY RECORD: the audit log becomes a short list of who got which parts, in the parent's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.careteam.directory.model import ON_CALL_EVENTS
from bot.disclosures import ALERTS, disclosures, record_texts
from bot.engine.session import Session
from bot.i18n import Catalogs

AT = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
SECTIONS = ["basic_needs", "health", "recovery"]
TITLES = {
    "basic_needs": "Basic needs",
    "health": "Health for you",
    "recovery": "Recovery and emotional health",
}
ORGS = {"hope": "Hartford Hope", "laramie": "Laramie Family Services"}


def test_only_successful_deliveries_and_reads_count() -> None:
    rows = [
        (AT, "hope", "deliver", "basic_needs v1", "200"),
        (AT + timedelta(days=1), "hope", "read", "plan.json: health v2, basic_needs v1", "200"),
        (AT, "hope", "withhold", "recovery v1", "no consent"),
        (AT, "laramie", "deliver", "recovery v1", "503"),
        (AT, "laramie", "deny", "plan.json", "no consent"),
        (AT, "hope", "deliver", "plan.crisis", "200"),
    ]
    found = disclosures(rows, SECTIONS)
    assert [(d.organization, d.sections, d.at) for d in found] == [
        ("hope", {"basic_needs", "health"}, AT + timedelta(days=1)),
        ("hope", set(), AT),  # the alert: a line of its own
    ]


def test_the_list_is_in_the_parents_language_and_timezone() -> None:
    catalogs = Catalogs(("en", "es"))
    rows = [(AT.replace(hour=3), "hope", "deliver", "recovery v2", "204")]
    session = Session(locale="es", timezone="America/New_York")
    texts = record_texts(disclosures(rows, SECTIONS), session, catalogs, TITLES, ORGS)
    joined = "\n".join(texts)
    assert "2 de noviembre" in joined  # 03:00 UTC is still Nov 2 in Hartford
    assert "Hartford Hope" in joined
    assert catalogs.gettext("es", "Recovery and emotional health") in joined


def test_nothing_shared_says_so_kindly() -> None:
    texts = record_texts([], Session(), Catalogs(("en",)), TITLES, ORGS)
    assert texts == [
        "No one has seen your plan yet. Nothing is shared unless you say so. In a crisis, or if "
        "you ask to talk to someone, the on-call person gets your name and number."
    ]


def test_without_a_zone_the_list_uses_the_programs_zone_not_utc() -> None:
    # 03:00 UTC on Nov 3 is the evening of Nov 2 in Denver, the program's zone here.
    catalogs = Catalogs(("en",))
    rows = [(AT.replace(hour=3), "hope", "deliver", "recovery v2", "204")]
    found = disclosures(rows, SECTIONS)
    texts = record_texts(
        found, Session(), catalogs, TITLES, ORGS, default_timezone="America/Denver"
    )
    joined = "\n".join(texts)
    assert "November 2" in joined
    assert "November 3" not in joined


def test_a_part_stopped_for_one_organization_shows_with_its_day() -> None:
    """SHARING -> stop Basic needs for Laramie: MY RECORD names the stop beside what went."""
    catalogs = Catalogs(("en", "es", "pt_BR"))
    rows = [
        (AT, "laramie", "deliver", "basic_needs v1", "200"),
        (AT + timedelta(days=2), "laramie", "stop", "basic_needs", "stopped by the parent"),
    ]
    found = disclosures(rows, SECTIONS)
    assert [(d.organization, d.sections, d.stopped) for d in found] == [
        ("laramie", {"basic_needs"}, True),
        ("laramie", {"basic_needs"}, False),
    ]
    texts = record_texts(found, Session(timezone="UTC"), catalogs, TITLES, ORGS)
    assert (
        "November 5, 2026: you stopped sharing Basic needs with Laramie Family Services"
        in (texts[0])
    )
    assert "November 3, 2026: Laramie Family Services - Basic needs" in texts[0]
    for locale, words in (("es", "dejaste de compartir"), ("pt_BR", "parou de compartilhar")):
        local = record_texts(found, Session(locale=locale, timezone="UTC"), catalogs, TITLES, ORGS)
        assert words in "\n".join(local)


def test_only_a_stop_says_nothing_was_seen_and_names_the_stop() -> None:
    rows = [(AT, "hope", "stop", "health", "stopped by the parent")]
    texts = record_texts(
        disclosures(rows, SECTIONS), Session(timezone="UTC"), Catalogs(("en",)), TITLES, ORGS
    )
    joined = "\n".join(texts)
    assert joined.startswith("No one has seen your plan yet.")
    assert "you stopped sharing Health for you with Hartford Hope" in joined


def test_a_part_shared_again_shows_the_new_yes_after_the_stop() -> None:
    """SHARING -> share Basic needs with Laramie again: MY RECORD names the new yes, so the
    stop before it is not the last word, even when Laramie already had that version."""
    catalogs = Catalogs(("en", "es", "pt_BR"))
    rows = [
        (AT, "laramie", "deliver", "basic_needs v1", "200"),
        (AT + timedelta(days=2), "laramie", "stop", "basic_needs", "stopped by the parent"),
        (AT + timedelta(days=4), "laramie", "resume", "basic_needs", "shared again by the parent"),
    ]
    found = disclosures(rows, SECTIONS)
    assert [(d.sections, d.stopped, d.resumed) for d in found] == [
        ({"basic_needs"}, False, True),
        ({"basic_needs"}, True, False),
        ({"basic_needs"}, False, False),
    ]
    texts = record_texts(found, Session(timezone="UTC"), catalogs, TITLES, ORGS)
    assert texts[0].splitlines() == [
        "Who has seen your plan:",
        "Saturday, November 7, 2026: you shared Basic needs with Laramie Family Services again",
        "Thursday, November 5, 2026: you stopped sharing Basic needs with Laramie Family Services",
        "Tuesday, November 3, 2026: Laramie Family Services - Basic needs",
    ]
    for locale, words in (("es", "volviste a compartir"), ("pt_BR", "voltou a compartilhar")):
        local = record_texts(found, Session(locale=locale, timezone="UTC"), catalogs, TITLES, ORGS)
        assert words in "\n".join(local)
    only_texted = record_texts(found[:2], Session(timezone="UTC"), catalogs, TITLES, ORGS)
    assert only_texted[0].startswith("No one has seen your plan yet.")


def test_needs_and_alerts_sent_show_as_lines_of_their_own() -> None:
    """A need delivered on its own and an alert to the on-call person are disclosures too:
    each shows, with no need or reason named; "need safety v1" is not the Safety part."""
    catalogs = Catalogs(("en", "es", "pt_BR"))
    rows = [
        (AT, "hope", "deliver", "need treatment v1", "200"),
        (AT + timedelta(days=1), "hope", "deliver", "need safety v1", "204"),
        (AT, "laramie", "deliver", "plan.crisis", "200"),
        (AT + timedelta(days=2), "laramie", "deliver", "plan.handoff_requested", "200"),
        (AT, "laramie", "deliver", "plan.cant_reach", "503"),  # never arrived
    ]
    found = disclosures(rows, [*SECTIONS, "safety"])
    assert [(d.organization, d.about, d.sections, d.at) for d in found] == [
        ("laramie", "alert", set(), AT + timedelta(days=2)),
        ("hope", "needs", set(), AT + timedelta(days=1)),
    ]
    texts = record_texts(found, Session(timezone="UTC"), catalogs, TITLES, ORGS)
    assert texts[0].splitlines() == [
        "Who has seen your plan:",
        "Thursday, November 5, 2026: Laramie Family Services - your name and phone number, "
        "to reach you",
        "Wednesday, November 4, 2026: Hartford Hope - what you need help with",
    ]
    for word in ("treatment", "safe", "crisis", "Safety"):
        assert word not in texts[0]
    for locale in ("es", "pt_BR"):
        local = "\n".join(record_texts(found, Session(locale=locale), catalogs, TITLES, ORGS))
        assert "Hartford Hope" in local
        assert "what you need" not in local  # translated


def test_the_alert_events_are_the_directorys() -> None:
    assert frozenset(ON_CALL_EVENTS) == ALERTS
