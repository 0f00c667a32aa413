"""Shared-phone mode: no text to that phone names substances, treatment, medication,
pregnancy, birth control or child protection: not the questions (a part's private questions
wait for the private web chat, or HERE to answer them by text), not what repeats the plan back
(read-backs, the menu, NEEDS, SAVED, offers of local places, reminders, MY RECORD), not the
sharing questions and the consent details before them (roles, organizations and contents named
neutrally), not the support sentence. DETAILS shows the full consent, after a warning."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.disclosures import Disclosure, record_texts
from bot.engine import messages as m
from bot.engine.answers import ZipInfo
from bot.engine.discretion import SENSITIVE_WORDS
from bot.engine.events import ConsentChanged
from bot.engine.machine import Engine
from bot.engine.model import Step
from bot.engine.render import Voice
from bot.engine.resources import Offer, ResourceFinder
from bot.engine.session import Session
from bot.engine.sharing import TeamView, withheld
from bot.flows import build_engine
from bot.i18n_catalogs import shipped_locales
from bot.reminders.prefs import DETAILED, profile
from tests.conftest import sample_finder
from tests.drive import NAME, answer_for, next_text
from tests.engine.test_consent_names import transcript_until

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
YES = {"en": "yes", "es": "sí", "pt_BR": "sim"}
# Words a person glancing at the phone must not read, per language (stems, lower case).
SENSITIVE = SENSITIVE_WORDS


def found_words(locale: str, text: str) -> list[str]:
    """The locale's sensitive words in a text, and any language's in a name the directories
    gave ("Hope Recovery Center" in a Spanish text)."""
    lowered = text.lower()
    found = [w for w in SENSITIVE[locale] if re.search(rf"\b{re.escape(w)}", lowered)]
    return found + [name for _, name in SENSITIVE_ORGANIZATIONS if name.lower() in lowered]


def needy_answer(step: Step, locale: str) -> str:
    """The last choice that shows a need (so NEEDS and offers have the most to say)."""
    with_need = [i for i, c in enumerate(step.choices, 1) if c.need and not c.exclusive]
    if with_need:
        return str(with_need[-1])
    return answer_for(step, NOW.date(), locale)


def asked_texts(engine: Engine, voice: Voice) -> set[str]:
    """The flows' own questions, intros and thank-yous: what the parent is asked now. Not
    the part that asks who may see what: its texts are checked like any other."""
    texts: set[str] = set()
    for flow in engine.flows.flows.values():
        if "ConsentChanged" in flow.emits:
            continue
        texts.update(voice(t) for t in (flow.intro, flow.done) if t)
        texts.update(voice.question(s) for s in flow.steps)
    return texts


def texted_back(engine: Engine, locale: str, sent: list[str], name: str = "Ana") -> list[str]:
    """What the bot texted back: a turn's texts go as one, so take the questions, intros,
    thank-yous and the support sentence out of each, and what is left is it. The sharing
    questions and the consent details before them stay in: on a shared phone they name no
    one's treatment."""
    voice = Voice(engine.translator, locale, "Safe Start", "Plan of Safe Care", name)
    # Said to everyone, to say answers do NOT go there (item "support, not a report").
    support = voice(m.SUPPORT_NOT_REPORT)
    ordered = sorted(asked_texts(engine, voice) | {support}, key=len, reverse=True)

    def echo(text: str) -> str:
        for known in ordered:
            text = text.replace(known, "")
        return text.strip()

    return [t for t in (echo(s) for s in sent) if t]


@dataclass
class SharedPhonePlan:
    """A whole plan made on a shared phone: every text sent to the phone once the parent
    said it is shared, and every reply in the private chat."""

    session: Session
    sms: list[str]
    chat: list[str]


def private_now(engine: Engine, session: Session) -> bool:
    """Is the parent answering in the private chat: a question waits for it, or one of the
    private questions it asks is open?"""
    if session.mode == "private":
        return True
    if session.mode != "ask" or not session.flow or not session.step:
        return False
    flow = engine.flows[session.flow]
    return flow.asks_privately(flow.step(session.step))


def whole_plan_in_shared_phone_mode(engine: Engine, locale: str) -> SharedPhonePlan:
    """Every part, with answers that show needs (the private questions in the private chat,
    the rest by text), then NEEDS, SAVED, MENU, a read-back of the recovery part and
    SHARING; returns the session and the texts sent each way."""
    session, now = Session(locale=locale), NOW
    sms: list[str] = []
    chat: list[str] = []
    saved_one = False

    def say(text: str) -> None:
        nonlocal session, now
        now += timedelta(seconds=5)
        private = private_now(engine, session)
        result = engine.step(session, text, now, private=private)
        session = result.session
        if private:
            chat.extend(result.replies)
        elif session.plan.shared_phone():  # from the answer that says the phone is shared
            sms.extend(result.replies)

    say("hi")
    for _ in range(600):
        if all(session.plan.is_done(f.id) for f in engine.flows.sections):
            break
        if session.listing and session.listing.get("kind") == "offers" and not saved_one:
            saved_one = True
            say("1")  # save a local place: SAVED will list it
        elif session.mode == "private":
            say("hi")  # the parent opened the private chat: the question is asked there
        elif session.mode == "ask" and session.flow and session.step:
            step = engine.flows[session.flow].step(session.step)
            if step.id == "shared_phone":
                say(YES[locale])
            elif step.id == "name":
                say("Ana")
            elif step.consent and step.type == "multi":
                say(TEAM_WITH_RECOVERY_ROLES)
            else:
                say(needy_answer(step, locale))
        elif session.mode in ("readback", "offer"):
            say(YES[locale])
        else:
            say("menu" if session.mode != "menu" else "1")
    assert saved_one
    assert session.plan.saved
    for command in ("needs", "saved", "menu", "4"):  # 4: the recovery part's read-back
        say(command)
    # SHARING after the consents, then a stop and a new yes: every text that names who sees
    # the plan (roles, organizations, parts).
    say("sharing")
    say(listed(session, "treatment"))
    say("1")  # its first part: stopped for the treatment provider
    say("sharing")
    say(listed(session, "peer_specialist"))
    say(str(len(session.listing["items"]) if session.listing else 0))  # all of them
    say("sharing")
    say(listed(session, {"stopped": False}))  # the first organization...
    say("1")  # ...stops its first part
    say("sharing")
    say(listed(session, {"stopped": True}))  # the stopped part: share it again?
    if session.listing and session.listing.get("kind") == "sharing_stopped_part":
        say("1")
    say(YES[locale])
    return SharedPhonePlan(session, sms, chat)


# Who may see each part: the social worker, the treatment provider and the peer recovery
# specialist (the roles whose names say treatment or recovery).
TEAM_WITH_RECOVERY_ROLES = "1, 3, 4"


def listed(session: Session, item: object) -> str:
    """The number of a SHARING line: a role, or the first organization (stopped or not)."""
    items = (session.listing or {}).get("items", [])
    for number, shown in enumerate(items, 1):
        same_kind = isinstance(item, dict) and isinstance(shown, dict)
        if shown == item or (same_kind and shown.get("stopped") == item["stopped"]):
            return str(number)
    raise AssertionError(f"{item} is not listed in {items}")


# Directory names that say what a place is for, in each language: the care-team
# organizations serving the parent's ZIP code, and the local services offered for a need.
SENSITIVE_ORGANIZATIONS = (
    ("hope", "Hope Recovery Center"),
    ("luz", "Centro de Tratamiento Luz"),
    ("vida", "Clínica de Dependência Vida"),
)


def sensitive_names(finder: ResourceFinder) -> ResourceFinder:
    """The sample services, each renamed after one of the organizations above."""

    def find(need: str, where: ZipInfo | None, locale: str) -> list[Offer]:
        names = [name for _, name in SENSITIVE_ORGANIZATIONS]
        found = finder(need, where, locale)
        return [replace(o, name=names[i % len(names)]) for i, o in enumerate(found)]

    return find


def serving(zip_code: str, state: str | None) -> tuple[tuple[str, str], ...]:
    return SENSITIVE_ORGANIZATIONS if zip_code.startswith("06") else ()


@pytest.fixture(scope="module")
def sensitive_engine() -> Engine:
    """The shipped flows and catalogs with a care-team and a resource directory whose names
    hold sensitive words."""
    team = TeamView("Safe Start", lambda z, s: tuple(n for _, n in serving(z, s)), serving)
    return build_engine(
        locales=tuple(shipped_locales()),
        resource_finder=sensitive_names(sample_finder()),
        team=team,
    )


@pytest.fixture(params=["example", "sensitive"])
def directory(request: pytest.FixtureRequest) -> tuple[Engine, dict[str, str]]:
    """An engine and the organizations MY RECORD names: the example directory, or names
    that say what each place is for."""
    if request.param == "example":
        return request.getfixturevalue("i18n_engine"), {"hope": "Hartford Hope"}
    return request.getfixturevalue("sensitive_engine"), dict(SENSITIVE_ORGANIZATIONS)


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_a_whole_plan_on_a_shared_phone_texts_back_no_sensitive_word(
    directory: tuple[Engine, dict[str, str]], locale: str
) -> None:
    """Every text sent to the phone once the parent said it is shared, questions and the
    support sentence included; the private questions were asked in the private chat."""
    i18n_engine, organizations = directory
    made = whole_plan_in_shared_phone_mode(i18n_engine, locale)
    session, echoed = made.session, made.sms
    assert session.plan.shared_phone()
    kinds = set(session.plan.needs)
    assert {"treatment", "naloxone", "peer_support", "prenatal_care", "pain_plan"} <= kinds
    voice = Voice(i18n_engine.translator, locale, "Safe Start", "Plan of Safe Care", "Ana")
    assert any(voice(m.SEE_PRIVATE) in t for t in echoed)  # details: by the private link
    assert any(voice(m.PRIVATE_QUESTIONS) in t for t in echoed)  # the rest: in the chat
    assert any(voice(m.SUPPORT_NOT_REPORT_SHARED) in t for t in echoed)  # before sharing
    # No private question is texted to the phone, in any words; the chat asked them all.
    steps = [(f, s) for f in i18n_engine.flows.flows.values() for s in f.steps]
    public = {s.ask for f, s in steps if not f.asks_privately(s)}  # "Their phone number?"
    private_asks = {voice(s.ask) for f, s in steps if f.asks_privately(s) and s.ask not in public}
    assert not [a for a in private_asks if any(a in t for t in echoed)]
    asked = "\n".join(made.chat)
    flows = i18n_engine.flows
    for flow_id, step_id in (("recovery", "medication"), ("health", "pain_plan")):
        assert voice.question(flows[flow_id].step(step_id)) in asked
    assert session.plan.answer("recovery", "medication") is not None
    # SHARING ran through: roles named by number, a part stopped and shared again.
    assert voice(m.TEAM_MEMBER_NUMBER, number=3) in "\n".join(echoed)
    resumed = i18n_engine.translator.gettext(locale, m.SHARING_RESUMED)
    assert resumed.split("{who}")[-1].split("{part}")[0] in "\n".join(echoed)
    assert not withheld(session.plan)
    leaks = {t: found_words(locale, t) for t in echoed if found_words(locale, t)}
    assert not leaks
    # No organization by name, whatever its name says: "Organization N".
    assert not [t for t in echoed if any(name in t for name in organizations.values())]

    # Reminders: discreet whatever was chosen before (day and time only).
    session.plan.prefs[DETAILED] = True
    assert profile(session, "America/New_York").detailed is False

    # MY RECORD: the recovery part is named by its number.
    titles = {f.id: f.title for f in i18n_engine.flows.sections}
    numbers = {f.id: f.number or 0 for f in i18n_engine.flows.sections if f.sensitive}
    record = record_texts(
        [Disclosure(NOW, org, set(titles)) for org in organizations],
        session,
        i18n_engine.translator,
        titles,
        organizations,
        numbers,
    )
    assert voice(m.PART_NUMBER, number=4) in "\n".join(record)
    assert not [found_words(locale, t) for t in record if found_words(locale, t)]


def test_without_shared_phone_mode_the_same_plan_names_its_details(i18n_engine: Engine) -> None:
    """The check above finds what it looks for: PRIVATE OFF, and the read-back of recovery
    names the medication again."""
    session = whole_plan_in_shared_phone_mode(i18n_engine, "en").session
    off = i18n_engine.step(session, "private off", NOW + timedelta(days=1))
    assert "Private mode is off" in off.replies[0]
    menu = i18n_engine.step(off.session, "menu", NOW + timedelta(days=1))
    shown = i18n_engine.step(menu.session, "4", NOW + timedelta(days=1))
    assert found_words("en", "\n".join(shown.replies))
    on = i18n_engine.step(shown.session, "private on", NOW + timedelta(days=1))
    assert on.session.plan.shared_phone()
    assert "MY PLAN" in on.replies[0]


@pytest.mark.parametrize(
    ("locale", "on", "off"),
    [("es", "privado sí", "privado no"), ("pt_BR", "privado sim", "privado não")],
)
def test_private_on_and_off_in_every_language(
    i18n_engine: Engine, locale: str, on: str, off: str
) -> None:
    session = i18n_engine.step(Session(locale=locale), YES[locale], NOW).session
    turned_on = i18n_engine.step(session, on, NOW)
    assert turned_on.session.plan.shared_phone()
    turned_off = i18n_engine.step(turned_on.session, off, NOW)
    assert not turned_off.session.plan.shared_phone()
    off_text = i18n_engine.translator.gettext(locale, m.PRIVATE_OFF)
    assert turned_off.replies[0].startswith(off_text + "\n")  # then the open question


DETAILS = {"en": "details", "es": "detalles", "pt_BR": "detalhes"}


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_details_shows_the_full_consent_on_a_shared_phone_after_a_warning(
    sensitive_engine: Engine, locale: str
) -> None:
    """The sharing part on a shared phone names no treatment, recovery or organization that
    says so, down to the recovery part's question; DETAILS then shows the organizations by
    name, the intermediary, exactly what the part holds, the date and how long, after one
    line of warning, and the roles by their labels. The yes after it counts as before, and
    the consent recorded names every role and the full questions."""
    engine = sensitive_engine
    voice = engine.translator
    answers = {"shared_phone": YES[locale], "share_recovery_ok": YES[locale]}
    session, said = transcript_until(engine, locale, "share_recovery", answers)
    texts = [text for _, replies in said for text in replies]
    sent = texted_back(engine, locale, texts, NAME[locale])
    assert sent
    leaks = {t: found_words(locale, t) for t in sent if found_words(locale, t)}
    assert not leaks
    offer = voice.gettext(locale, m.CONSENT_DETAILS_OFFER)
    assert offer in "\n".join(sent)

    shown = engine.step(session, DETAILS[locale], NOW + timedelta(days=1))
    said = "\n".join(shown.replies)
    assert said.startswith(voice.gettext(locale, m.DETAILS_WARNING) + "\n")
    for _, name in SENSITIVE_ORGANIZATIONS:
        assert name in said
    assert "Safe Start" in said  # the intermediary
    for label in ("Medication for recovery", "Substance use at home", "Treatment provider"):
        assert voice.gettext(locale, label) in said, label
    day = (NOW + timedelta(days=1)).date()
    numbers = (day.month, day.day) if locale == "en" else (day.day, day.month)
    assert f"{numbers[0]}/{numbers[1]}/{day.year}" in said
    assert voice.gettext(locale, m.SHARING_RESUME_TERMS) in said
    assert shown.session.step == "share_recovery"  # still asked: DETAILS answers nothing

    later, events = shown.session, []
    for text in ("1, 3", YES[locale], YES[locale]):
        result = engine.step(later, text, NOW + timedelta(days=1))
        assert not [found_words(locale, t) for t in result.replies if found_words(locale, t)]
        later, events = result.session, events + list(result.events)
    assert later.plan.answer("care_team", "recovery_consent") is True
    consent = [e for e in events if isinstance(e, ConsentChanged)][-1]
    recorded = {a.key: a for a in consent.answers}
    assert recorded["share_recovery"].value == ["social_worker", "treatment"]
    asked = engine.flows["care_team"].step("recovery_consent").ask
    assert recorded["recovery_consent"].question == asked  # the full question, in English


def test_details_elsewhere_points_to_the_private_link(sensitive_engine: Engine) -> None:
    session = sensitive_engine.step(Session(), "hi", NOW).session
    shown = sensitive_engine.step(session, "details", NOW)
    assert shown.replies[0].startswith(m.SEE_PRIVATE)


def test_an_organization_has_one_number_in_every_text() -> None:
    """Riverside Recovery Center is third in the directory and second of those serving the
    parent: the consent text, SHARING and MY RECORD all call it "Organization 3". Hartford
    Hope, whose name says nothing of treatment, is "Organization 2" too: on a shared phone
    no organization is named (a hospital's or "... Behavioral Health" says enough)."""
    directory = {"laramie": "Laramie Family", "hope": "Hartford Hope"}
    directory["riverside"] = "Riverside Recovery Center"

    def named(zip_code: str, state: str | None) -> tuple[tuple[str, str], ...]:
        return tuple((o, directory[o]) for o in ("hope", "riverside"))

    team = TeamView("Safe Start", lambda z, s: tuple(n for _, n in named(z, s)), named)
    engine = build_engine(team=replace(team, order=tuple(directory)))
    answers = {"shared_phone": "yes", "share_basic_needs": "1"}
    session, said = transcript_until(engine, "en", "share_health", answers)
    consent = "\n".join(text for _, replies in said for text in replies)
    assert "goes to Organization 2, Organization 3, through Safe Start." in consent
    listed = "\n".join(engine.step(session, "sharing", NOW + timedelta(days=1)).replies)
    assert "By organization:\n2. Organization 2: Basic needs\n3. Organization 3: Basic" in listed
    titles = {f.id: f.title for f in engine.flows.sections}
    found = [Disclosure(NOW, "riverside", {"basic_needs"})]
    record = record_texts(found, session, engine.translator, titles, directory)
    assert "Organization 3 - Basic needs" in "\n".join(record)
    assert "Riverside" not in consent + listed + "\n".join(record)
    assert "Hartford" not in consent + listed + "\n".join(record)


HERE = {"en": "here", "es": "aquí", "pt_BR": "aqui"}


def shared_phone_at_menu(engine: Engine, locale: str) -> Session:
    """Onboarding done on a shared phone, at the menu."""
    session, now = Session(locale=locale), NOW
    for _ in range(40):
        if session.plan.is_done("onboarding"):
            break
        step = engine.flows.onboarding.step(session.step) if session.step else None
        text = "hi" if step is None else answer_for(step, NOW.date(), locale)
        if step is not None and step.id == "shared_phone":
            text = YES[locale]
        elif step is not None and step.id == "name":
            text = "Ana"
        session = engine.step(session, text, now).session
    return engine.step(session, "menu", now).session


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_here_asks_a_parts_private_questions_by_text(i18n_engine: Engine, locale: str) -> None:
    """By text on a shared phone, the recovery part waits: one neutral line, said again for
    any other reply; HERE (in the parent's language) asks its questions by text, for that
    part only; PRIVATE ON again makes it wait again."""
    engine, voice = i18n_engine, i18n_engine.translator
    waiting = voice.gettext(locale, m.PRIVATE_QUESTIONS)
    held = engine.step(shared_phone_at_menu(engine, locale), "4", NOW)
    assert held.replies == [waiting]
    assert held.session.mode == "private"
    again = engine.step(held.session, "1", NOW)
    assert again.replies == [waiting]
    assert not again.session.plan.answers.get("recovery")
    here = engine.step(again.session, HERE[locale], NOW)
    asked = voice.gettext(locale, engine.flows["recovery"].step("in_treatment").ask)
    assert here.replies[0].startswith(voice.gettext(locale, engine.flows["recovery"].intro or ""))
    assert asked in here.replies[0]
    answered = engine.step(here.session, "1", NOW)
    assert answered.session.plan.answer("recovery", "in_treatment") == "yes"
    # Another part with private questions still waits for the private chat.
    other = engine.step(engine.step(answered.session, "menu", NOW).session, "2", NOW)
    assert other.replies == [waiting]
    # PRIVATE ON again: the recovery part waits again.
    on = engine.step(other.session, "private on", NOW)
    menu = engine.step(on.session, "menu", NOW)
    assert engine.step(menu.session, "4", NOW).replies == [waiting]


def test_here_is_an_answer_where_no_question_waits(i18n_engine: Engine) -> None:
    """An answer of "here" to "has your baby been born?" still says the baby is born."""
    session, now = Session(), NOW
    for text in ("hi", "yes", "Ana", "no"):
        session = i18n_engine.step(session, text, now).session
    assert session.step == "stage"
    born = i18n_engine.step(session, "here", now)
    assert born.session.plan.answer("onboarding", "stage") == "born"


def test_the_private_chat_asks_what_the_phone_does_not(i18n_engine: Engine) -> None:
    """A question held on the shared phone is asked in full by the private chat, whatever
    is typed there first; the answers land in the same plan, and the read-back there shows
    them. PRIVATE OFF asks it by text again."""
    engine = i18n_engine
    held = engine.step(shared_phone_at_menu(engine, "en"), "4", NOW).session
    opened = engine.step(held, "hello", NOW, private=True)
    recovery = engine.flows["recovery"]
    assert recovery.intro in opened.replies[0]
    assert engine.voice(held).question(recovery.step("in_treatment")) in opened.replies[0]
    answered = engine.step(opened.session, "1", NOW, private=True)
    assert answered.session.plan.answer("recovery", "in_treatment") == "yes"
    session = answered.session
    while session.mode == "ask":
        session = engine.step(session, "skip", NOW, private=True).session
    shown = engine.step(session, "review", NOW, private=True).replies
    assert "Medication for recovery" in "\n".join(shown)
    by_text = engine.step(session, "review", NOW).replies
    assert "Medication for recovery" not in "\n".join(by_text)
    off = engine.step(held, "private off", NOW)
    assert recovery.intro in "\n".join(off.replies)


PRIVATE_ON_WORDS = {"en": "private on", "es": "privado sí", "pt_BR": "privado sim"}


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_private_on_before_onboarding_asks_it_naming_nothing(
    i18n_engine: Engine, locale: str
) -> None:
    """PRIVATE ON at the first question: every onboarding text after it names nothing
    private; "has your baby been born yet?" (after "is this phone shared?", answered yes)
    replaces "are you pregnant?", and "Not yet"
    (by its number) still means pregnant."""
    engine, now = i18n_engine, NOW
    session = engine.step(Session(locale=locale), "hi", now).session
    session = engine.step(session, YES[locale], now).session
    sent: list[str] = []
    for text in (PRIVATE_ON_WORDS[locale], "Ana", YES[locale], "1"):
        result = engine.step(session, text, now)
        session = result.session
        sent.extend(result.replies)
    neutral = engine.translator.gettext(locale, "Thanks, {name}. Has your baby been born yet?")
    assert neutral.format(name="Ana") in "\n".join(sent)
    assert session.plan.answer("onboarding", "stage") == "pregnant"
    while not session.plan.is_done("onboarding"):
        step = engine.flows.onboarding.step(session.step or "")
        result = engine.step(session, answer_for(step, NOW.date(), locale), now)
        session = result.session
        sent.extend(result.replies)
    assert not [found_words(locale, t) for t in sent if found_words(locale, t)]


GREETINGS = {"en": "hi", "es": "hola", "pt_BR": "oi"}
# Said at the welcome on purpose: answers do NOT go to child protection (support, not a report).
SUPPORT_WORDS = {
    "child protective",
    "protección infantil",
    "conselho tutelar",
    "proteção à criança",
}
BABY_WORDS = {"en": ("baby",), "es": ("bebé",), "pt_BR": ("bebê",)}


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_the_shared_phone_question_comes_before_any_private_word(
    i18n_engine: Engine, locale: str
) -> None:
    """Onboarding asks "is this phone shared?" before any question that names pregnancy, the
    baby, health or substances: no text before that answer says them (the welcome's support
    sentence may say what answers do not go to), and on a shared phone the next question is
    worded neutrally."""
    engine, session = i18n_engine, Session(locale=locale)
    words = [w for w in SENSITIVE[locale] if w not in SUPPORT_WORDS] + list(BABY_WORDS[locale])
    before: list[str] = []
    for text in (GREETINGS[locale], YES[locale], "Ana"):
        result = engine.step(session, text, NOW)
        session = result.session
        before.extend(result.replies)
    assert session.step == "shared_phone"
    said = "\n".join(before).lower()
    assert not [w for w in words if re.search(rf"\b{re.escape(w)}", said)], said
    after = engine.step(session, YES[locale], NOW)
    assert after.session.step == "stage"
    assert not found_words(locale, "\n".join(after.replies)), after.replies


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_the_offer_of_a_part_that_opens_privately_takes_here(
    i18n_engine: Engine, locale: str
) -> None:
    """On a shared phone, the offer of the next part says when it opens with private
    questions, and HERE there asks them by text at once (one text less than YES, then HERE);
    YES still gets the one waiting line."""
    engine, voice = i18n_engine, i18n_engine.translator
    session = engine.step(shared_phone_at_menu(engine, locale), "1", NOW).session
    result = None
    while session.mode != "offer":
        result = engine.step(session, next_text(engine, session, NOW.date()) or "", NOW)
        session = result.session
    assert session.flow == "health"
    assert result is not None
    title = voice.gettext(locale, engine.flows["health"].title)
    offer = voice.gettext(locale, m.NEXT_OFFER_PRIVATE).format(title=title)
    assert result.replies[-1].endswith(offer)
    assert not found_words(locale, offer)
    here = engine.step(session, HERE[locale], NOW)
    first = engine.flows["health"].steps[0]
    assert voice.gettext(locale, first.ask) in here.replies[0]
    assert here.session.mode == "ask"
    assert here.session.step == first.id
    waiting = engine.step(session, YES[locale], NOW)
    assert waiting.replies == [voice.gettext(locale, m.PRIVATE_QUESTIONS)]
