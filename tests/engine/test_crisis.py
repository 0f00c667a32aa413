"""Crisis and relapse words as people write them, in three languages, and what the bot does.

The labelled sets in tests/corpora/crisis/ hold the detector to its goals (recall >= 0.97,
false alarms <= 0.01 per language); the texts named in issue 14 are checked one by one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.engine import messages as m
from bot.engine.crisis import CRISIS_DIR, CrisisDetector, load_detector
from bot.engine.events import CrisisDetected, HandoffRequested
from bot.engine.machine import Engine
from bot.engine.render import Voice
from bot.engine.session import Session
from bot.errors import ConfigError
from tests.crisis_corpus import LABELS, load_corpus, score, understanding_replies
from tests.drive import next_text
from tests.engine.test_shared_phone import found_words

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
LOCALES = ("en", "es", "pt_BR")
RECALL_GOAL = 0.97
FALSE_ALARM_GOAL = 0.01


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(CRISIS_DIR, LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_labelled_set_meets_the_goals(detector: CrisisDetector, locale: str) -> None:
    """At least 300 texts per language, every label present; recall and false alarms within
    the goals on the whole set and on the held-out fifth."""
    examples = load_corpus(locale)
    assert len(examples) >= 300
    assert {e.label for e in examples} == set(LABELS)
    for part in (examples, [e for e in examples if e.held_out]):
        result = score(detector, part)
        missed = [f"{e.label} -> {got}: {e.text}" for e, got in result.misses]
        assert result.recall >= RECALL_GOAL, missed
        assert result.false_alarm_rate <= FALSE_ALARM_GOAL, missed


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_no_plan_answer_alarms(detector: CrisisDetector, locale: str) -> None:
    """Every reply of the understanding corpus (dates, yes/no, choices, free answers) is read
    by the detector first on every webhook: not one may send a crisis reply."""
    replies = understanding_replies(locale)
    assert len(replies) > 300
    alarms = [(e.text, f.concern) for e in replies if (f := detector.find(e.text))]
    assert alarms == []


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        ("thinking about ending it all", "suicide"),
        ("i cant do this anymore", "suicide"),
        ("kms", "suicide"),
        ("kys", "suicide"),
        ("kill my self", "suicide"),
        ("i cut myself", "suicide"),
        ("me voy a quitar la vida", "suicide"),
        ("me kiero morir", "suicide"),
        ("vo me matar", "suicide"),
        ("quero sumir", "suicide"),
        ("me cortei", "suicide"),
        ("my husband hit me last night", "violence"),
        ("he hit me", "violence"),
        ("he said he will kill me", "violence"),
        ("me pegó mi marido", "violence"),
        ("apanhei do meu companheiro", "violence"),
        ("me amenazó con matarme", "violence"),
        ("over dosed", "emergency"),
        ("overdoze", "emergency"),
        ("sobre dosis", "emergency"),
        ("he od'd", "emergency"),
        ("i shook my baby", "baby"),
        ("I used again last night", "relapse"),
        ("recaí anoche", "relapse"),
        ("tive uma recaída", "relapse"),
        ("she threw her toy at me and then punched me", "violence"),  # the toy excuses no more
    ],
)
def test_issue_texts_are_understood(detector: CrisisDetector, text: str, concern: str) -> None:
    found = detector.find(text)
    assert found is not None
    assert found.concern == concern


@pytest.mark.parametrize(
    "text",
    [
        "that's odd",
        "thats odd",
        "I'm not going to hurt myself, just tired",
        "he didn't hit me",
        "he never hit me",
        "killing it at work",
        "this heat is killing me",
        "me muero de risa",
        "morrendo de fome",
        "my baby hit his head on the crib? no he is fine",
        "i have narcan in case of overdose",
        "i overdosed 3 years ago but im ok now",
        "i used to use heroin",
        # overdose or relapse as a topic, or a relapse into a pastime
        "we did a class on preventing overdoses at the clinic",
        "overdose awareness day is this sunday",
        "i relapsed into my old habit of scrolling all night lol",
        "mi madrina dice q recaer no es el fin",
        "tive uma recaida de series kkk",
        # a child's toy thrown at the parent
        "she threw her toy at me",
        "he keeps throwing his blocks at me",
    ],
)
def test_ordinary_texts_do_not_alarm(detector: CrisisDetector, text: str) -> None:
    assert detector.find(text) is None


def test_a_new_language_brings_its_own_words(tmp_path: Path) -> None:
    """A language is a folder with a crisis.yaml; nothing in Python changes."""
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "crisis.yaml").write_text(
        (CRISIS_DIR / "en" / "crisis.yaml").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "ht").mkdir()
    (tmp_path / "ht" / "crisis.yaml").write_text(
        "language: ht\ncommon: [mwen, vle]\nspellings: {m: mwen}\nnegations: [pa]\n"
        "negation_gap: [mwen]\nconcerns:\n  suicide: [mwen vle mouri, touye tet mwen]\n",
        "utf-8",
    )
    detector = load_detector(tmp_path, ["ht"])
    found = detector.find("m vle mouri")
    assert found is not None
    assert found.concern == "suicide"
    assert detector.find("mwen pa vle mouri") is None
    assert detector.find("he hit me") is not None


def test_a_stem_covers_every_form_of_a_word(tmp_path: Path) -> None:
    """`frape*` stands for frape, frapeli, frapem...: one entry, however the verb ends."""
    (tmp_path / "ht").mkdir()
    (tmp_path / "ht" / "crisis.yaml").write_text(
        "language: ht\ncommon: [li, mwen]\nnegations: [pa]\nnegation_gap: [li]\n"
        "groups: {bat: [frape*, kale*]}\nconcerns:\n  violence: ['li ... @bat mwen']\n",
        "utf-8",
    )
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "crisis.yaml").write_text(
        (CRISIS_DIR / "en" / "crisis.yaml").read_text("utf-8"), "utf-8"
    )
    detector = load_detector(tmp_path, ["ht"])
    for text in ("li frape mwen", "li te frapeli mwen", "li toujou kalem mwen"):
        found = detector.find(text)
        assert found is not None, text
        assert found.concern == "violence"
    assert detector.find("li pa frape mwen") is None
    assert detector.find("li fra mwen") is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("language: ht\ncommon: [a]\nconcerns: {suicide: [a]}\n", "only common words"),
        ("language: ht\ncommon: [a]\nconcerns: {suicide: ['@nobody b']}\n", "no group @nobody"),
        ("language: ht\ncommon: [a]\nconcerns: {danger: [b]}\n", "danger"),
        ("language: xx\ncommon: [a]\nconcerns: {suicide: [b]}\n", "says language"),
        ("language: ht\ncommon: [a]\nspellings: {kms: b}\nconcerns: {}\n", "another language"),
        ("language: ht\ncommon: [a]\nconcerns: {violence: ['a fra*']}\n", "shorter than"),
    ],
)
def test_a_bad_crisis_file_stops_the_start(tmp_path: Path, body: str, problem: str) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "crisis.yaml").write_text(
        (CRISIS_DIR / "en" / "crisis.yaml").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "ht").mkdir()
    (tmp_path / "ht" / "crisis.yaml").write_text(body, "utf-8")
    with pytest.raises(ConfigError, match=problem):
        load_detector(tmp_path, ["ht"])


def test_a_language_without_crisis_words_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing"):
        load_detector(tmp_path, ["en"])


# ---- in the conversation -----------------------------------------------------------------


def onboarded(engine: Engine) -> Session:
    session = Session()
    while session.flow != "basic_needs":
        text = next_text(engine, session, TODAY)
        assert text is not None
        session = engine.step(session, text, NOW).session
    return session


def question(engine: Engine, session: Session) -> str:
    """The open question as the parent reads it."""
    voice = Voice(engine.translator, session.locale, "Safe Start", "Plan of Safe Care", "")
    return voice.question(engine.flows[session.flow or ""].step(session.step or ""))


def test_crisis_reply_says_who_is_told_and_why(shipped_engine: Engine) -> None:
    """Numbers first, then who hears of it (the on-call person) and why, then the question."""
    session = onboarded(shipped_engine)
    result = shipped_engine.step(session, "i think i might hurt my baby", NOW)
    assert "988" in result.replies[0]
    assert result.replies[1] == m.CRISIS_FOLLOW
    assert "person on call" in result.replies[1]
    assert "check on you" in result.replies[1]
    assert result.replies[2:] == [question(shipped_engine, session)]  # no menu, no help text
    assert [type(e) for e in result.events] == [CrisisDetected]
    assert result.events[0] == CrisisDetected("baby", "basic_needs", session.step)


def test_after_stop_a_crisis_still_reaches_on_call(shipped_engine: Engine) -> None:
    """Opted out: an ordinary text gets silence, a crisis text the numbers once and an alert,
    and the parent stays opted out."""
    stopped = shipped_engine.step(onboarded(shipped_engine), "STOP", NOW).session
    assert shipped_engine.step(stopped, "hello?", NOW).replies == []
    crisis = shipped_engine.step(stopped, "i want to kms", NOW)
    assert crisis.events == [CrisisDetected("suicide", "basic_needs", stopped.step)]
    assert "988" in crisis.replies[0]
    assert len(crisis.replies) == 2
    assert "person on call" in crisis.replies[1]
    assert "START" in crisis.replies[1]
    assert crisis.session.status == "opted_out"
    assert "crisis" in crisis.session.plan.flags
    relapse = shipped_engine.step(crisis.session, "i relapsed", NOW)
    assert relapse.replies == []
    assert relapse.events == []


def test_relapse_gets_kind_words_and_a_person_only_if_wanted(shipped_engine: Engine) -> None:
    """No "didn't get that": a warm reply and an offer; YES asks the team (as TALK, with no
    word of why), NO goes back to the question; no alert before the parent says yes."""
    session = onboarded(shipped_engine)
    offer = shipped_engine.step(session, "I used again last night", NOW)
    assert offer.replies == [m.RELAPSE_OFFER]
    assert offer.events == []
    assert "crisis" not in offer.session.plan.flags
    yes = shipped_engine.step(offer.session, "yes", NOW)
    assert yes.events == [HandoffRequested("parent_asked", "basic_needs", session.step)]
    assert "handoff" in yes.session.plan.flags
    no = shipped_engine.step(offer.session, "no thanks", NOW)
    assert no.events == []
    assert no.replies == [f"{m.RELAPSE_DECLINED}\n{question(shipped_engine, session)}"]
    assert no.session.step == session.step
    assert no.session.mode == "ask"
    answer = shipped_engine.step(offer.session, "2", NOW)
    assert answer.replies == shipped_engine.step(session, "2", NOW).replies


def test_relapse_offer_on_a_shared_phone_names_nothing(shipped_engine: Engine) -> None:
    """Shared-phone mode: the offer still comes, with no word of use, recovery or naloxone."""
    session = onboarded(shipped_engine)
    session.plan.prefs["shared_phone"] = True
    offer = shipped_engine.step(session, "i relapsed last night", NOW)
    assert offer.replies == [m.RELAPSE_OFFER_PRIVATE]
    for word in ("recovery", "naloxone", "use", "slip"):
        assert word not in offer.replies[0].lower().split()
    assert [type(e) for e in shipped_engine.step(offer.session, "yes", NOW).events] == [
        HandoffRequested
    ]


@pytest.mark.parametrize(
    ("text", "locale"), [("recaí anoche", "es"), ("tive uma recaída", "pt_BR")]
)
def test_relapse_offer_in_the_parents_language(i18n_engine: Engine, text: str, locale: str) -> None:
    session = Session(locale=locale)
    session = i18n_engine.step(session, "hola" if locale == "es" else "oi", NOW).session
    session = i18n_engine.step(session, "si" if locale == "es" else "sim", NOW).session
    offer = i18n_engine.step(session, text, NOW)
    expected = i18n_engine.translator.gettext(locale, m.RELAPSE_OFFER)
    assert offer.replies == [expected]
    answer = i18n_engine.step(offer.session, "si" if locale == "es" else "sim", NOW)
    assert [type(e) for e in answer.events] == [HandoffRequested]


START = {"en": "hi", "es": "hola", "pt_BR": "oi"}
CRISES = {
    "en": ("he took too many pills and isnt breathing", "i want to kms", "my bf hit me"),
    "es": ("tuvo una sobredosis y no respira", "me quiero matar", "mi esposo me pego"),
    "pt_BR": ("ele teve uma overdose e nao respira", "quero me matar", "meu marido me bateu"),
}


def started(engine: Engine, locale: str) -> Session:
    return engine.step(Session(locale=locale), START[locale], NOW).session


@pytest.mark.parametrize("locale", LOCALES)
def test_help_after_stop_says_support_not_report_and_how_to_restart(
    i18n_engine: Engine, locale: str
) -> None:
    """Opted out, HELP still answers: the program, how to come back, 988/911, and that this
    is support, not a report."""
    stopped = i18n_engine.step(started(i18n_engine, locale), "STOP", NOW).session
    assert stopped.status == "opted_out"
    result = i18n_engine.step(stopped, "HELP", NOW)
    sent = "\n".join(result.replies)
    assert i18n_engine.translator.gettext(locale, m.SUPPORT_NOT_REPORT) in sent
    assert {"en": "START", "es": "EMPEZAR", "pt_BR": "COMEÇAR"}[locale] in sent
    assert "988" in sent
    assert result.session.status == "opted_out"
    assert result.events == []


@pytest.mark.parametrize("locale", LOCALES)
def test_crisis_texts_on_a_shared_phone_name_no_substance(i18n_engine: Engine, locale: str) -> None:
    """Shared-phone mode: every crisis reply (active or after STOP) still gives 911/988 and
    the on-call person, with no word of overdose, naloxone or substances."""
    session = started(i18n_engine, locale)
    session.plan.prefs["shared_phone"] = True
    stopped = i18n_engine.step(session, "STOP", NOW).session
    for base in (session, stopped):
        for text in CRISES[locale]:
            result = i18n_engine.step(base, text, NOW)
            assert [type(e) for e in result.events] == [CrisisDetected], text
            sent = "\n".join(result.replies)
            assert found_words(locale, sent) == [], (text, sent)
            assert "911" in sent or "988" in sent
            follow = m.CRISIS_FOLLOW_OPTED_OUT if base is stopped else m.CRISIS_FOLLOW
            assert i18n_engine.translator.gettext(locale, follow) in sent


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        ("i tried to kill myself last year and im feeling that way again", "suicide"),
        ("me corte hace anos y hoy lo hice otra vez, me corte", "suicide"),
        ("i overdosed 3 years ago but im ok now", None),
        ("meu ex me batia anos atras, agora to bem", None),
    ],
)
def test_the_past_excuses_a_phrase_unless_the_text_brings_it_back(
    detector: CrisisDetector, text: str, concern: str | None
) -> None:
    """ "Years ago" is not now; "...and I'm feeling that way again" is."""
    found = detector.find(text)
    assert (found.concern if found else None) == concern


GRIEF_FROM_AN_OVERDOSE: list[tuple[str, str | None]] = [
    # Grief told of someone, undated or dated "today" (stop 41: all 163 such corpus texts
    # are ordinary): no one to save now, so no overdose reply.
    ("we planted a tree for my cousin who passed from an overdose, today was hard", None),
    ("lost my best friend to an od and i think of her every time i feed the baby", None),
    ("hoy le llevamos flores a mi tio que murio de sobredosis", None),
    ("perdi a mi primo por una sobredosis y por el sigo en el programa", None),
    ("hoje tem missa pro meu primo q morreu de overdose", None),
    ("perdi meu melhor amigo pra overdose, por isso to firme", None),
    # Not a death that almost happened, nor one happening now.
    ("he almost died from an overdose just now, hes breathing funny", "emergency"),
    ("i think hes dying from an overdose", "emergency"),
    ("casi se murio de sobredosis mi hermano ahorita", "emergency"),
    ("meu irmao quase morreu de overdose agora pouco", "emergency"),
    # A wish to follow them is read on its own.
    ("my sister died of an overdose and i want to die too", "suicide"),
]

A_USE_PLANNED_OR_TOLD: list[tuple[str, str | None]] = [
    # A use planned for or asked ahead (stop 41): no relapse reply.
    ("if i ever relapsed who should i text first? putting it in my plan", None),
    ("we talked about what i would do if i relapsed, my sister has the kids", None),
    ("should i ever start using again i want my sponsor called", None),
    ("si algun dia recai quiero que llamen a mi madrina", None),
    ("se um dia eu recair quero que liguem pra minha madrinha", None),
    # A use told in a question or a doubt is a use.
    ("idk if i relapsed, i had one beer", "relapse"),
    ("not sure if i relapsed or not, i took one of his pills", "relapse"),
    ("will they take my baby if i tell them i used", "relapse"),
    ("do i still have to come in if i drank", "relapse"),
    ("if i ever relapsed what would happen, asking bc i used last night", "relapse"),
    ("que hago si ya use otra vez", "relapse"),
    ("nao sei se eu recai, tomei uma cerveja", "relapse"),
    ("posso ir na consulta se eu bebi ontem", "relapse"),
]

A_CHILD_WHO_STRIKES: list[tuple[str, str | None]] = [
    # A teen or grown child who hurts the parent is violence (stop 41); a small child's
    # swat is not, and "year old hits me" no longer excuses any age.
    ("my 17 year old punched me when i took his phone", "violence"),
    ("my teenage son shoved me into the wall", "violence"),
    ("my 15 yr old daughter slapped me", "violence"),
    ("my 17 year old hits me", "violence"),
    ("my 2 year old hits me when hes mad", None),
    ("my 3 year old kicked me in the belly", None),
    # Plain "hit" too (stop 42): the small child's ordinary phrase no longer takes "son" after
    # an age or "teenage".
    ("my 17 year old son hit me", "violence"),
    ("my teenage son hit me last night", "violence"),
    ("my daughter bit me", None),
]
EVERYDAY_WORDS_AROUND_A_CRISIS_WORD: list[tuple[str, str | None]] = [
    # Gone for a span of time, a toddler jumping off the couch, a soda, "without a drop"
    # (stop 42, from the dev sets' false alarms); the crisis beside each still reads.
    ("my husband and his brothers are gonna be gone all weekend hunting", None),
    ("im going to be gone for good by morning", "suicide"),
    ("he keeps trying to jump off the bed like spiderman", None),
    ("he was jumping off the couch and hit his head, now he wont wake up", "emergency"),
    ("le compre una coca al niño por portarse bien", None),
    ("ayer compre coca otra vez", "relapse"),
    ("pase toda la boda sin una gota de alcohol", None),
    ("consegui passar o natal sem uma gota de alcool", None),
    ("passei o natal sem uma gota de alcool mas ontem bebi de novo", "relapse"),
    # Someone else hit in a game, at school or work; not by a partner or a parent.
    ("my son got hit by a ball at practice, hes fine", None),
    ("my brother got jumped outside a bar but hes ok", None),
    ("my son got beat at his dads", "violence"),
    ("i got punched by my boyfriend last night", "violence"),
    # A breath-holding fit from crying that passes; not breathing after it still alarms.
    ("el bebe se puso morado de tanto llorar pero ya se calmo", None),
    ("se puso morado de tanto llorar y ahora no respira", "emergency"),
    ("he turned blue from crying so hard, then caught his breath", None),
    ("he turned blue from crying so hard and now hes not breathing", "emergency"),
    # Shaking a baby told as going on ("... e sacudindo ela") is the baby's harm.
    ("eu continuei gritando e sacudindo ela", "baby"),
]
A_PAST_THAT_LASTED: list[tuple[str, str | None]] = [
    # An imperfect tells a past that lasted (stop 42): long ago, unless the clause says now.
    ("mi papa me pegaba con el cinto, yo no lo hago con mis hijos", None),
    ("minha tia apanhava do marido, hoje ela ta separada", None),
    ("meu pai me batia de cinta e eu jurei nunca fazer isso", None),
    ("la niña vio como su papa me golpeaba anoche y no para de temblar", "violence"),
    ("ele me batia ontem de novo", "violence"),
]
NAMED_AS_A_TOPIC_OR_BY_WHO_THEY_ARE: list[tuple[str, str | None]] = [
    # Domestic violence asked about or taught is a topic; lived, a crisis (stop 42).
    ("whats the domestic violence hotline number? its for my coworker", None),
    ("cual es el numero de la linea de violencia domestica?", None),
    ("quais sao os sinais de violencia domestica? minha amiga quer saber", None),
    ("im in a domestic violence situation and i dont know what to do", "violence"),
    ("sufro violencia domestica", "violence"),
    ("sofro violencia domestica", "violence"),
    # The children's father, named so, is the partner: not a child who hits.
    ("o pai das minhas filhas me bate toda vez que bebe", "violence"),
    ("el papa de los niños me pego", "violence"),
    ("the father of my kids hit me", "violence"),
    ("minha filha me bateu", None),
]
A_PAST_IN_YOUTH: list[tuple[str, str | None]] = [
    # Told of one's teens, and not brought back to now (stop 42).
    ("ja quis morrer varias vezes na adolescencia, hoje tenho motivo pra viver", None),
    ("de joven me queria morir todo el tiempo, hoy ya no", None),
    ("my little sister cut herself in middle school, shes in college now", None),
    ("ja quis morrer na adolescencia e hoje quero de novo", "suicide"),
]
EVERYDAY_WORDING_SHARED_WITH_A_CRISIS_PHRASE: list[tuple[str, str | None]] = [
    # From the training sets' ordinary texts (stop 42); each beside the crisis it must not hide.
    ("its been a year since my overdose, so grateful", None),
    ("the shaken baby video at the hospital made me cry", None),
    ("had a rough night with the baby but we made it", None),
    ("my mom keeps threatening to move in with us to help lol", None),
    ("he keeps threatening to post my nudes if i dont come back", "violence"),
    ("he keeps pulling my hair when i hold him, those little fists", None),
    ("he pulled my hair and dragged me to the car", "violence"),
    ("me encerre en el baño para descansar de los niños", None),
    ("la lavadora se comio mis monedas", None),
    ("ela puxa meu cabelo quando mama", None),
    ("meu cunhado tentou me agarrar a força na cozinha", "violence"),
]
A_WHOLE_SUPPLY_PLANNED: list[tuple[str, str | None]] = [
    # Taking a whole supply as a thought or a plan is suicide (988), not an overdose now.
    ("thinking about taking the whole bottle tonight", "suicide"),
    ("estoy pensando tomarme todo el frasco de pastillas para dormir", "suicide"),
    ("to pensando em tomar toda a metadona q guardei de uma vez", "suicide"),
    ("i took the whole bottle of my sleeping pills", "emergency"),
]
EMERGENCIES_OF_THE_BODY: list[tuple[str, str | None]] = [
    # Kicks that stopped, a blistering burn, bleeding that gushes, stitches that open (stop 42);
    # the pipe again is a relapse.
    ("kicks stopped since last night, im 38 weeks", "emergency"),
    ("she pulled the hot coffee onto herself and her skin is blistering", "emergency"),
    ("20 weeks and gushing blood in the shower", "emergency"),
    ("my c section incision came open and its bleeding", "emergency"),
    ("hit the glass again last night", "relapse"),
    ("my skin is peeling from the sunburn lol", None),
    # A throat that closes, a baby's head already out; selling things to buy, a hit (stop 42).
    ("my throat is closing after i took the new medicine", "emergency"),
    ("se me esta cerrando la garganta despues de tomar esa medicina", "emergency"),
    ("to com a lingua inchando, tomei o antibiotico novo", "emergency"),
    ("minha vizinha ta em trabalho de parto, a cabeça do bebe ja ta aparecendo", "emergency"),
    ("vendi o carrinho do bebe pra comprar. nao consigo parar", "relapse"),
    ("vendi o sofa pra comprar um berço", None),
    ("ayer me di un pase despues de 4 meses limpia", "relapse"),
    ("mi pareja y yo volvimos a usar", "relapse"),
    # Kicks not felt today (es); not yet felt early on is no emergency.
    ("no siento las pataditas hoy para nada y tengo 36 semanas", "emergency"),
    ("todavia no siento las pataditas, tengo 16 semanas", None),
    # A number among a slot's choices ("in/since a/<n>/over ... months") reads a number.
    ("had my first drink in 14 months at my cousins graduation", "relapse"),
    ("threw away 2 years clean tonight", "relapse"),
    # A relapse found does not silence an emergency's weak signs.
    (
        "me di un pase despues de 6 meses y siento que me voy a desmayar no puedo respirar bien",
        "emergency",
    ),
]

# What comes after names the harm (stop 43): not waking up after a plan is suicide, a breath
# stopped by a headlock is violence, and a "not" far from "move" is no body that will not move.
NAMED_BY_WHAT_COMES_AFTER: list[tuple[str, str | None]] = [
    ("thinking about swallowing all my pills and just not waking up", "suicide"),
    ("im going to sleep and never waking up, i made my peace", "suicide"),
    ("she took all the pills and is not waking up", "emergency"),
    ("my husband will not wake up", "emergency"),
    ("he had me in a chokehold until i could not breathe", "violence"),
    ("he held a pillow on my face till i couldnt breathe", "violence"),
    ("i smoked what he gave me and i cant breathe", "emergency"),
    ("he wont give me my car keys back unless i move out", None),
    ("been having thoughts of hurting myself since my baby was born", "suicide"),
    ("i have thoughts of hurting my baby", "baby"),
    ("i sleep with my shoes on in case i need to run", None),
    ("i was on a 3 day coke run", "relapse"),
    ("been binge watching that show all week", None),
]
# Everyday words a crisis phrase shares (stop 43); beside each, the crisis that stays.
EVERYDAY_WORDS_OF_STOP_43: list[tuple[str, str | None]] = [
    ("got in a little fender bender on the way to daycare, all fine", None),
    ("on a bender since friday and i have the kids", "relapse"),
    ("im wasted after a 10 hour shift, going to bed", None),
    ("did the target run with both kids, never again", None),
    ("went for a run this morning with the stroller", None),
    ("drank a whole bottle of gatorade after my shift", None),
    ("we laughed so hard we couldnt breathe", None),
    ("i cant breathe this video is so funny", None),
    ("i want to sleep and not wake up until noon tomorrow", None),
    ("i want to sleep and not wake up", "suicide"),
    ("i want to disappear into my blankets all weekend", None),
    ("stuck on the bridge in traffic again, running late", None),
    ("i caved and ordered pizza again", None),
    ("its been 30 days since i last used, proud of me", None),
    ("she bit me with her new teeth lol", None),
    ("he bit me so hard it bled", "violence"),
    ("shes been kicking and punching from the inside all night", None),
    ("this flu has beat me down", None),
    ("my toddler follows me everywhere", None),
    ("he spit up on my last clean shirt", None),
    ("my husband pinned me down and tickled me", None),
    ("my partner smothered me with a pillow", "violence"),
    ("este calor me va a matar, 40 grados", None),
    ("me agarro la lluvia saliendo del super", None),
    ("compre una soga para el columpio de los niños", None),
    ("compre una soga para colgarme", "suicide"),
    ("las deudas me ahorcan este mes", None),
    ("mi esposo no despierta ni con el llanto del bebe", None),
    ("mi esposo no despierta ni con el narcan", "emergency"),
    ("la niña tiene la boca morada de la paleta de uva", None),
    ("queria sumir pra uma praia com meu marido", None),
    ("queria sumir pra sempre", "suicide"),
    ("vou sumir por uns dias pra casa da minha mae", None),
    ("quero me jogar no sofa e dormir", None),
    ("quero me jogar da ponte", "suicide"),
    ("comprei gilete nova pra depilar as pernas", None),
    ("esse aluguel ta me enforcando", None),
    ("vou matar essa barata", None),
    ("ela chuta minha costela o dia todo", None),
    ("ele me persegue pra mamar a noite toda", None),
    ("meu marido nao acorda nem com o despertador", None),
    ("meu marido nao acorda nem com narcan", "emergency"),
    ("o menino ta todo azul de caneta", None),
]
# Spanish use words read as a use, not an overdose or a blow (stop 43): "un pase" is a line,
# "pasarse de copas" is drinking too much, a bottle of liquor is no bottle of pills, "me aventé"
# and "me encerré" are done to oneself.
A_USE_NOT_AN_OVERDOSE: list[tuple[str, str | None]] = [
    ("anoche me meti un pase de coca", "relapse"),
    ("me pase de copas en la fiesta, llevaba un año", "relapse"),
    ("se paso de pastillas y no despierta", "emergency"),
    ("pase mi prueba de drogas hoy", None),
    ("me tome media botella de ron yo sola", "relapse"),
    ("me tome una botella de agua entera", None),
    ("se tomo toda la botella de pastillas", "emergency"),
    ("me avente tres cervezas ayer", "relapse"),
    ("mi esposo me avento contra la pared", "violence"),
    ("me agarro la tristeza otra vez", None),
    ("me encerre en la cochera con el motor prendido", "suicide"),
    ("llevo como 8 chelas y apenas es lunes", "relapse"),
]
# Wishing one had died in a past overdose is suicide, not an overdose now; a car running in a
# closed garage; finger marks on the parent (violence) or on a child (the baby's); a bottle of
# liquor is a use, of water nothing; clean time thrown away (stop 43).
A_PAST_OVERDOSE_WISHED_FATAL_AND_OTHER_NAMES: list[tuple[str, str | None]] = [
    ("i wish i had died from that overdose last spring", "suicide"),
    ("sat in my car with the motor running in the garage", "suicide"),
    ("ojala me hubiera muerto en esa sobredosis", "suicide"),
    ("queria ter morrido naquela overdose", "suicide"),
    ("fiquei no carro com o motor ligado dentro da garagem", "suicide"),
    ("to com marca de dedo no braço, ele apertou", "violence"),
    ("meu filho ta com marca de dedo na bochecha", "baby"),
    ("la niña tiene marcas de dedos en las piernitas", "baby"),
    ("bebi meia garrafa de pinga ontem", "relapse"),
    ("tomei uma garrafa de agua inteira", None),
    ("fiquei limpa 6 meses e joguei tudo fora", "relapse"),
    ("meu bebe de 6 meses e joguei fora a mamadeira velha", None),
]
# Ways of saying a plan, a wish the baby were gone, or a body that does not answer, read from
# the dev rounds' misses (stop 43); beside them, the ordinary text that stays so.
PLANS_AND_WISHES_SAID_SIDEWAYS: list[tuple[str, str | None]] = [
    ("i'll do the whole bag on purpose this time", "suicide"),
    ("the kids would do better with my mom than with me still around", "suicide"),
    ("been googling how much tylenol it takes to shut your liver down", "suicide"),
    ("got all my pills right here and no one home", "suicide"),
    ("sometimes i daydream about somebody taking the baby and never bringing her back", "baby"),
    ("i wish i could give him back", "baby"),
    ("i want the baby to go away forever", "baby"),
    ("how do i give my baby up without anybody knowing", "baby"),
    ("my dad collapsed in the kitchen and is not answering", "emergency"),
    ("my husband wont answer my calls", None),
]
# Spanish crises the rules read as nothing on the dev rounds, read by class (stop 43); beside
# them, the everyday text that stays ordinary.
SPANISH_CRISES_BY_CLASS: list[tuple[str, str | None]] = [
    ("anoche me pegue un jale de perico", "relapse"),
    ("me pegue un golpe en la rodilla", None),
    ("la niña se atraganto con una uva y no le sale la voz", "emergency"),
    ("me duele mucho la cabeza y veo lucecitas, tengo 35 semanas", "emergency"),
    ("si me muero mis hijos por fin van a estar en paz", "suicide"),
    ("ya me canse de respirar", "suicide"),
    ("su novio le pega a mi patojo", "baby"),
    ("me dio con el cinturon en las piernas", "violence"),
    ("me fueron a buscar a la casa con machetes", "violence"),
    ("me encañono con la pistola", "violence"),
    ("me corrio de la casa en la madrugada con la bebe", "violence"),
    ("me cure con chiva esta mañana", "relapse"),
    ("me dieron unas pastillas y luego me consegui mas", "relapse"),
    ("la voy a dejar en la puerta de la iglesia", "baby"),
]
# Portuguese crises the rules read as nothing on the dev rounds, read by class (stop 43).
PORTUGUESE_CRISES_BY_CLASS: list[tuple[str, str | None]] = [
    ("meu ex tentou me atropelar na frente da escola", "violence"),
    ("ele voltou com uma faca e ta batendo na porta", "violence"),
    ("se eu morrer minha filha fica com a minha irma ne", "suicide"),
    ("to sem vontade de viver", "suicide"),
    ("to com a gilete na mao chorando", "suicide"),
    ("pensei em largar ela na rua e ir embora", "baby"),
    ("vou deixar ele no hospital pra consulta", None),
    ("rolou po na festa e eu mandei pra dentro", "relapse"),
    ("mandei pra dentro um pratao de feijoada", None),
]
# An everyday line or a new phrase of stop 43 must not swallow the crisis beside its words:
# narrowed after a read of the whole diff.
# Stop 44: a negation is one of the language the text is written in. Portuguese "no" is "in
# the", so it excuses nothing in a Portuguese text; in Spanish and English it still does.
NEGATIONS_OF_THE_TEXTS_LANGUAGE: list[tuple[str, str | None]] = [
    ("to no dia 1 de novo hoje", "relapse"),
    ("ela ta sentada no trilho do trem esperando", "suicide"),
    ("no, eu não quero me matar", None),
    ("nao vou me matar, fica tranquila", None),
    ("no me voy a matar tranquila", None),
    ("no i am not going to kill myself", None),
    ("a enfermeira disse que é normal ficar roxinho no frio", None),
    ("a mi bebe se le ponen morados los pies con frio, la enfermera dijo que es normal", None),
]

# Stop 44: everyday words a crisis phrase shares, each beside the crisis it must not hide.
EVERYDAY_WORDS_OF_STOP_44: list[tuple[str, str | None]] = [
    ("got all choked up at her daycare graduation", None),
    ("he choked me up against the wall", "violence"),
    ("burnt my hand on the skillet flipping pancakes", None),
    ("burned my arm on the stove on purpose last night", "suicide"),
    ("i burned my arm with a lighter", "suicide"),
    ("not breathing a word about the baby shower to her", None),
    ("he had a relapse of the croup, back on steroids", None),
    ("baby is back on the bottle, is that ok at 9 months", None),
    ("back on the bottle since my daughter was born", "relapse"),
    ("fell off the wagon with my workouts since the c section", None),
    ("i fell off the wagon last night", "relapse"),
    ("drinking again... lemonade, this heat", None),
    ("im drinking again, vodka", "relapse"),
    ("drinking again, and coffee doesnt help the hangover", "relapse"),
    ("gave in and bought the fancy stroller", None),
    ("caved and bought the expensive vodka", "relapse"),
    ("i was choked up against the wall by him", "violence"),
    ("my husband is back on the bottle and watching the kids", "relapse"),
    ("her eyes went wide when she saw the cake, shaking with excitement", None),
    ("caved and bought a bag", "relapse"),
    ("thinking of disappearing from facebook till after christmas", None),
    ("i got hit in the nose with a frisbee at the park", None),
    ("i got hit in the face by my boyfriend", "violence"),
    ("she's out cold after her bottle, finally", None),
    ("he's asleep on my shoulder and i cant move lol", None),
    ("how do i get rid of old pain pills from my surgery", None),
    ("what do i do i took all the extra pills", "emergency"),
    ("we yell sometimes but i never felt scared of him", None),
    ("i have never been so scared of him", "violence"),
    ("my ex choked me back in college and last night he choked me again", "violence"),
    ("my mom drank a lot in the 90s, she is sober now", None),
]

# Stop 44: a teething baby's drool, a bruise from a fall or a door (never from someone who hit),
# a stuffy nose, a baby or a dog who follows, a nursing bite. Drool with no answer is still an
# emergency ("babando" is spelled as the Spanish "babeando"). "nunca pensei em" negates, but
# "nunca pensei que ele ia me bater" tells a blow (each language's `surprise`).
PORTUGUESE_EVERYDAY_WORDS_OF_STOP_44: list[tuple[str, str | None]] = [
    ("os dentinhos tao nascendo e ela ta babando demais, normal?", None),
    ("fiquei babando no video do ultrassom", None),
    ("ele ta babando e tremendo no chao e nao responde", "emergency"),
    ("meu primo ta no sofa babando com os olhos virados", "emergency"),
    ("o dedao ficou roxo pq prendeu na porta do carro", None),
    ("levou um tombo no parquinho e o joelho ta roxo", None),
    ("ele bateu no meu braco e ficou roxo", "emergency"),
    ("bati no braco dele e ficou roxo", "emergency"),
    ("meu irmao ta gelado e com a unha roxa", "emergency"),
    ("ele nao consegue respirar pelo nariz com essa gripe", None),
    ("a gata me segue ate na cozinha", None),
    ("ele mordeu meu bico mamando, doeu muito", None),
    ("nao to com vontade de me machucar, so to cansada", None),
    ("nunca pensei em me machucar, so to cansada", None),
    ("nunca pensei em machucar ela, so preciso de ajuda com o sono", None),
    ("nunca pensei que ele ia me bater assim", "violence"),
    ("i never thought he would hit me like that", "violence"),
    ("i never thought my husband would choke me", "violence"),
    ("no i never thought of killing myself", None),
    ("nunca pense que me iba a pegar asi", "violence"),
    ("nunca he pensado en hacerme dano", None),
    ("penso em me machucar todo dia", "suicide"),
]

# Stop 44: a death wished now of a past overdose is today's wish, whenever the overdose was.
A_DEATH_WISHED_NOW_OF_A_PAST_OVERDOSE: list[tuple[str, str | None]] = [
    ("i wish i had died from that overdose years ago", "suicide"),
    ("i overdosed back in 2019 and i wish i had died", "suicide"),
    ("ojala me hubiera muerto en esa sobredosis hace 2 anos", "suicide"),
    ("queria ter morrido naquela overdose ano passado", "suicide"),
    ("he hit me years ago, i wish i had left sooner", None),
    ("back when i was using i overdosed twice, now i carry narcan", None),
]

# Stop 44: read from the misses of a set no rule had seen (extra96-98). "so much blood / blood
# everywhere" had been written as slots, not alternatives, so it read only "so much blood
# everywhere clots clots" (es and pt_BR had three lines alike); an injury and its cover story;
# shaking with the eyes rolled back; a child locked away as a punishment.
READ_FROM_A_FRESH_SET: list[tuple[str, str | None]] = [
    ("37 weeks and theres blood everywhere, its not stopping", "emergency"),
    ("had her at home 2 days ago and theres so much blood on the towels", "emergency"),
    ("passing huge clots and i feel like im going to pass out", "emergency"),
    ("we practiced on a mannequin in the cpr simulation, fake blood everywhere lol", None),
    ("i got a busted lip and told my boss i tripped on the stairs", "violence"),
    ("she went stiff and her eyes rolled back, shes 6 months", "emergency"),
    ("my teen rolled her eyes at me and kept shaking her head", None),
    ("her boyfriend locks my son in the dark closet when he cries", "baby"),
    ("lo encontre en la cuna morado y flojito", "emergency"),
    # Much blood with a pregnancy or a birth, or blood that does not stop (es, pt_BR).
    ("tengo 33 semanas y hay muchisima sangre en el baño", "emergency"),
    ("me corte con una lata y no para la sangre", "emergency"),
    ("me sacaron mucha sangre en el laboratorio para los estudios", None),
    ("a bolsa estourou agora e tem muito sangue no chao", "emergency"),
    ("to saindo sangue sem parar desde o parto", "emergency"),
    ("fui no posto e tiraram muito sangue pros exames", None),
]

NARROWED_AFTER_REVIEW: list[tuple[str, str | None]] = [
    ("passei a gilete na perna ate sangrar", "suicide"),
    ("quero me jogar no mar e sumir", "suicide"),
    ("ele me persegue pra ver onde eu vou", "violence"),
    ("ele chutou minha costela ontem", "violence"),
    ("compre una soga para colgarme y saltar", "suicide"),
    ("lo voy a dejar en la puerta de la escuela", None),
    ("la voy a dejar en la puerta de la iglesia", "baby"),
    ("he fell asleep and wont answer his phone", None),
    ("stuck on the bridge thinking about jumping, traffic below", "suicide"),
]
# Taking it out on the baby (stop 43).
TAKEN_OUT_ON_THE_BABY: list[tuple[str, str | None]] = [
    ("me desquito con mi hijo cuando estoy estresada, le pego", "baby"),
    ("descontei a raiva na minha filha e bati nela", "baby"),
]
# Drinks counted or in the plural, someone else's pills, a child bruised by an adult (stop 45):
# 155 Spanish and 125 Portuguese relapses of the training sets told this way read as nothing.
DRINKS_COUNTED_AND_PILLS_NOT_MINE: list[tuple[str, str | None]] = [
    ("i had a few beers at my cousins wedding and kept going", "relapse"),
    ("we had like 6 seltzers on the boat, day one again", "relapse"),
    ("i took two of my grandmas pain pills last night", "relapse"),
    ("my husband had a couple beers watching the game", None),
    ("i had a couple shots at the clinic today, flu and tdap", None),
    ("i took my dads old pills to the pharmacy to dispose of them", None),
    ("i took his pills away so he cant use them", None),
    ("i took my husbands pills and flushed them", None),
    ("took a couple of my cousins percs last night", "relapse"),
    ("stole my grandmas oxys", "relapse"),
    ("anoche me tomé como siete cervezas en el bautizo", "relapse"),
    ("me tome unas chelas con los vecinos y ya no pare", "relapse"),
    ("la verdad si me tome unas", "relapse"),
    ("otra vez en las andadas, perdon", "relapse"),
    ("me tome dos de las pastillas de mi suegro para el dolor", "relapse"),
    ("me tome como 30 de las de dormir y estoy mareada", "emergency"),
    ("me tome una copa de champan en el brindis, puedo dar pecho?", None),
    ("me tome tres cafecitos y ando temblando jaja", None),
    ("me tome una cerveza sin alcohol en la boda", None),
    ("me tomé unas... fotos bien bonitas del bebe", None),
    ("tomei umas 6 latinha no churrasco do meu cunhado", "relapse"),
    ("bebi umas caipirinhas na festa e nao parei", "relapse"),
    ("tive uma recaida braba no fim de semana", "relapse"),
    ("ontem cheirei tudo de novo", "relapse"),
    ("tomei uma taca de vinho no casamento, posso amamentar?", None),
    ("tomei dois copos de agua gelada e ele mexeu", None),
    ("tomei as duas doses de metadona hoje", None),
    ("tomei umas cervejas sem alcool no aniversario", None),
    ("o padrasto bateu de cinta nela ate ficar roxa", "baby"),
    ("a vizinha apertou o bracinho do nenem e ficou roxo", "baby"),
    # Kicked out of a house or a program is no blow; put out for using is a relapse.
    ("my roommate got kicked out of the apartment last week", None),
    ("i got kicked out of my sober house for drinking", "relapse"),
    ("i got kicked in the back by my boyfriend", "violence"),
    ("i miss my kids so much when im using, so no", None),
    ("hoy se cumplen 2 años de mi sobredosis y estoy sana", None),
    ("ayer tuve una sobredosis y mi hermano me encontro", "emergency"),
]


@pytest.mark.parametrize(
    ("text", "concern"),
    GRIEF_FROM_AN_OVERDOSE
    + A_USE_PLANNED_OR_TOLD
    + A_CHILD_WHO_STRIKES
    + EVERYDAY_WORDS_AROUND_A_CRISIS_WORD
    + A_PAST_THAT_LASTED
    + NAMED_AS_A_TOPIC_OR_BY_WHO_THEY_ARE
    + A_PAST_IN_YOUTH
    + EVERYDAY_WORDING_SHARED_WITH_A_CRISIS_PHRASE
    + A_WHOLE_SUPPLY_PLANNED
    + EMERGENCIES_OF_THE_BODY
    + NAMED_BY_WHAT_COMES_AFTER
    + EVERYDAY_WORDS_OF_STOP_43
    + TAKEN_OUT_ON_THE_BABY
    + DRINKS_COUNTED_AND_PILLS_NOT_MINE
    + A_USE_NOT_AN_OVERDOSE
    + A_PAST_OVERDOSE_WISHED_FATAL_AND_OTHER_NAMES
    + PLANS_AND_WISHES_SAID_SIDEWAYS
    + SPANISH_CRISES_BY_CLASS
    + PORTUGUESE_CRISES_BY_CLASS
    + NARROWED_AFTER_REVIEW
    + NEGATIONS_OF_THE_TEXTS_LANGUAGE
    + EVERYDAY_WORDS_OF_STOP_44
    + PORTUGUESE_EVERYDAY_WORDS_OF_STOP_44
    + A_DEATH_WISHED_NOW_OF_A_PAST_OVERDOSE
    + READ_FROM_A_FRESH_SET,
)
def test_who_and_when_decide_the_concern(
    detector: CrisisDetector, text: str, concern: str | None
) -> None:
    """Whose harm, and whether it is now, planned or past, decides the reply (stop 41), and
    everyday words around a crisis word (stop 42)."""
    found = detector.find(text)
    assert (found.concern if found else None) == concern


def test_letter_rules_read_a_class_of_misspellings(tmp_path: Path) -> None:
    """A language's `rewrites` turn an unknown word into a known one ("kwe" -> "touye");
    a rewrite that makes no known word leaves the word alone."""
    (tmp_path / "ht").mkdir()
    (tmp_path / "ht" / "crisis.yaml").write_text(
        "language: ht\ncommon: [mwen, vle]\nnegations: [pa]\n"
        "rewrites: {'^kw': 'tou', 'e$': 'ye'}\n"
        "concerns:\n  suicide: [vle touye tet mwen]\n",
        "utf-8",
    )
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "crisis.yaml").write_text(
        (CRISIS_DIR / "en" / "crisis.yaml").read_text("utf-8"), "utf-8"
    )
    detector = load_detector(tmp_path, ["ht"])
    assert detector.fold("mwen vle kwe tet mwen") == ["mwen", "vle", "touye", "tet", "mwen"]
    assert detector.fold("kwaso") == ["kwaso"]


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        # Letter rules: k for qu, a dropped final g; spellings then phrases by class.
        ("me kiero matar", "suicide"),
        ("he was chokin me", "violence"),
        # A threat told in quotes, by a partner, is a threat.
        ('he said "i will kill you" and i believe him', "violence"),
        ("mi ex me dijo te voy a matar", "violence"),
        ("ele disse vou te matar", "violence"),
        # A joke marker never excuses the sender's own words.
        ('i want to "kill myself" jk', "suicide"),
        # The news before a phrase excuses it, not after.
        ("he beat me, it was on the news", "violence"),
    ],
)
def test_classes_of_wording(detector: CrisisDetector, text: str, concern: str) -> None:
    found = detector.find(text)
    assert found is not None, text
    assert found.concern == concern


@pytest.mark.parametrize(
    "text",
    [
        'my mom said "i will kill you" as a joke lol',
        'mi mama dijo "te voy a matar" de broma jaja',
        'minha mae disse "vou te matar" de brincadeira kkk',
        "the news said a man overdosed downtown",
        "vi en las noticias que un hombre tuvo una sobredosis",
        "o filme era sobre uma menina que teve overdose",
        "no estoy pensando en matarme, solo estresada",
        "i relapsed on my diet haha",
    ],
)
def test_quotes_jokes_and_the_news_do_not_alarm(detector: CrisisDetector, text: str) -> None:
    assert detector.find(text) is None, text


# Kinds of crisis the rules missed in rounds 5 and 6 (read as dev sets), each written in new
# wording so a class of phrases, not one text, is tested; beside them their ordinary twins.
KINDS_OF_CRISIS = [
    # Relapse said plainly: the word itself, on and off, a test that will show it, the dealer.
    ("relapse happened last night after the fight", "relapse"),
    ("i had a relapse, 8 months sober and gone", "relapse"),
    ("been drinking off and on all month", "relapse"),
    ("my ua is going to come back dirty", "relapse"),
    ("the plug texted me and i told him ok", "relapse"),
    ("seeing my connect after work", "relapse"),
    ("been high since this morning", "relapse"),
    ("snorted a bump in the bathroom at my cousins", "relapse"),
    ("i used saturday and sunday", "relapse"),
    # Suicide: a plan, means kept or looked at, goodbyes, self-harm till it bled.
    ("i already made a plan", "suicide"),
    ("been hoarding my oxys in a sock", "suicide"),
    ("how many xanax would it take to never wake up", "suicide"),
    ("i keep staring at the rope in the garage", "suicide"),
    ("tell my daughter mama loved her so much", "suicide"),
    ("i burned my thighs with a lighter till they bled", "suicide"),
    ("they would be better off without me honestly", "suicide"),
    # The baby: medicine in the bottle, left alone to go get, driving high, hands on the neck.
    ("i mixed my sleeping pills into her formula so she would sleep", "baby"),
    ("i left my son home alone to go cop", "baby"),
    ("drove drunk with my kids in the back", "baby"),
    ("my 4 year old walked in on me shooting up", "baby"),
    # Violence: forced use, threats to the neck, tracking, burning the house with her inside.
    ("he makes me snort with him or he leaves", "violence"),
    ("he says he will break my neck if i leave", "violence"),
    ("my boyfriend tracks my location and checks my texts every night", "violence"),
    ("my ex said he would burn the apartment with me inside", "violence"),
    # Emergency: postpartum bleeding by the pad, a head hit then vomiting and sleepy.
    ("soaking through a pad every 20 minutes", "emergency"),
    ("took like 15 of my gabapentin", "emergency"),
    ("my son hit his head and now hes throwing up and sleepy", "emergency"),
    # Spanish.
    ("mi prueba de drogas del lunes va a salir positiva", "relapse"),
    ("me meti unas lineas antes del turno", "relapse"),
    ("ya van dos semanas que me meto diario", "relapse"),
    ("ya tengo un plan para matarme", "suicide"),
    ("diganle a mi hijo que lo quise mucho", "suicide"),
    ("si me voy se les acaba el problema a todos", "suicide"),
    ("le puse de mi clonazepam en la leche para que durmiera", "baby"),
    ("deje a la nena dormida y me fui a comprar", "baby"),
    ("maneje pedo con los niños en el carro", "baby"),
    ("mis hijos me vieron fumar piedra", "baby"),
    ("me mande unas lineas antes de entrar", "relapse"),
    ("tengo tantas ganas de drogarme que me tiemblan las manos", "relapse"),
    ("me enoje tanto que le avente el biberon", "baby"),
    ("me amenaza con quemar el carro conmigo adentro", "violence"),
    ("me obliga a drogarme con el", "violence"),
    (
        "llevo una hora cambiando las toallas cada quince minutos, tuve a la bebe hace una semana",
        "emergency",
    ),
    # Portuguese.
    ("meu exame de urina de segunda vai dar positivo", "relapse"),
    ("vou encontrar o vapor pra pegar depois do trabalho", "relapse"),
    ("hoje a noite eu vou beber, ja decidi", "relapse"),
    ("virei uma garrafa de vodka sozinha ontem", "relapse"),
    ("ja tenho um plano pra me matar", "suicide"),
    ("fala pros meus filhos que a mamae amava eles", "suicide"),
    ("risquei o braço com estilete ate sangrar", "suicide"),
    ("se eu sumir acaba o problema de todo mundo", "suicide"),
    ("misturei meu rivotril no leite pra ela dormir", "baby"),
    ("dirigi bebada com as criancas no carro", "baby"),
    ("meu ex disse que vai tacar fogo no carro comigo dentro", "violence"),
    ("ele le todas as minhas mensagens e rastreia meu celular", "violence"),
    ("meu marido me obriga a cheirar com ele", "violence"),
    ("o bebe ta com febre e molinho, quase nao se mexe", "emergency"),
]

ORDINARY_TWINS = [
    "i made a plan with my sponsor for the holidays",
    "i have a plan for tonight, meal prep and bed",
    "my test came back clean today",
    "my sponsor texted and i said yes to coffee",
    "meeting my sponsor after work",
    "first time in a year i slept 8 hours",
    "what if i hurt her feelings by not going",
    "my baby was fine without me for the weekend",
    "he has a gun license and keeps it locked up",
    "had a dream i drank, woke up relieved",
    "i scratched my arm on the fence, it bled a little",
    "tell my kids i love them when they wake up",
    "this is my goodbye for tonight, see you tomorrow",
    "saving up my pills so i dont run out over the holidays",
    "ya tengo un plan para el fin de semana",
    "esta es mi despedida del grupo, me cambio de turno, gracias por todo",
    "mi prueba de orina salio limpia",
    "me voy a encontrar con mi padrino en 20 min",
    "no le veo sentido a seguir viendo esa serie",
    "me tome una pastilla a proposito para dormir bien, me la recetaron",
    "me dio un ataque de risa",
    "ja tenho um plano pro fim de semana",
    "meu exame de urina deu negativo",
    "vou encontrar minha madrinha pra pegar o bolo",
    "bebi agua o fim de semana todo",
    "essa e minha despedida do emprego, obrigada gente",
    "n vejo sentido em continuar pagando academia",
    # A child who hits at school, a show's episode, a betrayal, the county's news, dying of shame.
    "the daycare says my daughter bit two kids in class, what do i do",
    "we binged the episode of that show about the overdose last night",
    "i'm gonna shoot over to the store before it closes",
    "la maestra me dijo que mi nena muerde a los companeros en la guarderia",
    "mi cunada me apuñaló por la espalda con mi suegra",
    "casi me muero de la verguenza en la junta",
    "na escola disseram que meu filho morde os coleguinhas na creche",
    "o cara do grupo contou da overdose dele e eu chorei",
]


# Kinds of crisis the rules and the model both missed in stop 35's probe (~400 texts a
# language written to the blind rounds' brief, read as a dev set: tests/corpora/crisis_probe35),
# each in new wording: picturing the means, asking God to be taken, wanting to go with a child
# who died, bruised by kicks, breaking a door down to get in, wishing the baby away or leaving
# it somewhere and going. Beside them their ordinary twins.
KINDS_FROM_THE_PROBE = [
    ("some nights i imagine walking in front of a train", "suicide"),
    ("i keep asking god to take me in my sleep", "suicide"),
    ("honestly i wish i never had the baby", "baby"),
    ("thinking of dropping her at the fire station and just walking away", "baby"),
    ("tengo la pierna morada a patadas", "violence"),
    ("esta pateando la puerta para entrar, tengo miedo", "violence"),
    ("me veo tirandome del puente cuando cruzo en el carro", "suicide"),
    ("desde que murio mi nena me quiero ir con ella", "suicide"),
    ("todas las noches le ruego a dios que me lleve", "suicide"),
    ("a veces siento que odio a mi hijo", "baby"),
    ("imploro a deus pra me levar", "suicide"),
    ("queria que essa menina nunca tivesse nascido", "baby"),
    ("penso em largar o nene na porta da igreja e ir embora", "baby"),
    # A second pass: found with the means, liquor in a baby's bottle, children alone since
    # yesterday.
    ("my sister found me with the razor in the bathroom", "suicide"),
    ("he put vodka in the sippy cup so she would sleep", "baby"),
    ("su abuela le pone licor en el chupon para calmarlo", "baby"),
    ("mis hijos estan solos desde anoche y no puedo regresar", "baby"),
    ("o padrasto dele poe cerveja na mamadeira", "baby"),
    # Stop 36: from tests/corpora/crisis_probe36, each kind in new wording: no kicks for hours,
    # a drooping face and slurred speech, the cord out first, a baby drying out, a last text,
    # bought what is needed to end it, wanting to fall asleep forever, picturing the funeral,
    # wishing the baby never born or gone, leaving it at a fire station or church door, giving
    # it to strangers, a loaded gun a child can reach, "rather see you dead", "nos entierra",
    # photos of the house from outside, a pill a friend gave, using in a stall, "una rayita".
    # English.
    ("i havent felt her kick since last night and im 34 weeks", "emergency"),
    ("her face is drooping on one side and her speech keeps coming out slurred", "emergency"),
    ("the cord is hanging out before the baby, what do i do", "emergency"),
    ("no wet diapers since last night and her soft spot looks sunken", "emergency"),
    ("thank you for trying. this is my last message. goodbye", "suicide"),
    ("bought what i needed to go through with it", "suicide"),
    ("some nights i just want to fall asleep forever", "suicide"),
    ("lately i keep imagining my funeral", "suicide"),
    ("sometimes i wish my son was never born", "baby"),
    ("im going to leave her at the fire station tonight", "baby"),
    ("im thinking of giving the baby to strangers, i cant do this", "baby"),
    ("theres a loaded pistol on the nightstand and my toddler can reach it", "baby"),
    ("i feel nothing for this baby. i wish she would go away", "baby"),
    ("my husband says hed rather see me dead than let me go", "violence"),
    ("he told me if he cant have me nobody will", "violence"),
    ("my ex keeps sending photos of my apartment from outside", "violence"),
    ("someone sent pictures of my house from across the street, im terrified", "violence"),
    ("took two xanax my cousin gave me", "relapse"),
    ("fixed in a stall at the gas station before pickup", "relapse"),
    # Spanish.
    ("tengo 36 semanas y no siento a mi bebe moverse desde la manana", "emergency"),
    ("se ve el cordon afuera antes que la cabeza", "emergency"),
    ("el panal esta seco desde anoche y tiene la mollera hundida", "emergency"),
    ("gracias por todo, este es mi ultimo mensaje. adios", "suicide"),
    ("ya junte lo necesario para terminar de una vez", "suicide"),
    ("pienso en mi funeral cada noche", "suicide"),
    ("ojala no hubiera sobrevivido cuando me tome todas esas pastillas", "suicide"),
    ("pienso dejar a la bebe afuera de los bomberos", "baby"),
    ("quiero dejar a mi recien nacido en la puerta de la iglesia", "baby"),
    ("voy a regalar a mi hijo, ya no puedo", "baby"),
    ("pienso entregar al bebe a unos desconocidos", "baby"),
    ("el arma de mi esposo esta cargada en el cajon y mi nena ya la alcanza", "baby"),
    ("mi cunado toca feo a mi sobrina", "baby"),
    ("no quiero a este nene, ya ni lo cargo", "baby"),
    ("quisiera que la nena no se despertara, me siento un monstruo por pensarlo", "baby"),
    ("mi esposo dice que antes me ve muerta que con otro", "violence"),
    ("me jura que si me llevo a los ninos nos entierra", "violence"),
    ("mi ex me manda fotos de mi depa desde la calle", "violence"),
    ("mi esposo esta con la navaja golpeando la puerta del cuarto", "violence"),
    ("me eche unas rayitas en el bano del trabajo", "relapse"),
    # Portuguese.
    ("nao sinto minha bebe mexer desde ontem a noite", "emergency"),
    ("o cordao saiu primeiro, o bebe ainda nao", "emergency"),
    ("a fralda ta seca faz horas e a moleira ta afundada", "emergency"),
    ("minha mae ta falando arrastado do nada", "emergency"),
    ("minha filha engoliu uma capsula de lava roupa", "emergency"),
    ("obrigada por tudo, essa e minha ultima mensagem. adeus", "suicide"),
    ("arrumei tudo que eu preciso pra acabar com isso", "suicide"),
    ("fico planejando meu velorio", "suicide"),
    ("meus filhos vao ficar melhor quando eu morrer", "suicide"),
    ("vou largar o bebe no corpo de bombeiros", "baby"),
    ("vou dar a bebe pra uma desconhecida da internet", "baby"),
    ("queria devolver esse bebe", "baby"),
    ("queria nao ter essa crianca", "baby"),
    ("se ela continuar berrando eu nao respondo por mim", "baby"),
    ("queria que minha filha sumisse", "baby"),
    ("o revolver ta carregado no armario e meu menino alcanca", "baby"),
    ("ele falou que prefere me ver morta do que com outro", "violence"),
    ("meu ex me mandou fotos da minha janela de fora", "violence"),
    ("torrei o salario na biqueira", "relapse"),
    # Stop 36, second probe: from tests/corpora/crisis_probe37, each kind in new wording: hoping
    # for a crash, no next year with me in it, a plan hidden from the psychiatrist; a baby left
    # home alone or for good, given to the first taker, touched or photographed by a grown-up,
    # threatened out the window, drugged to sleep; a fall that was not one, a knee on the chest,
    # a phone taken as punishment, a gun loaded while drunk; a clean date that changes, a first
    # hit in years; a blind cord round the neck, prenatal iron pills, magnets, gasoline.
    ("sometimes i hope my truck skids off the bridge on the way home", "suicide"),
    ("i cant imagine a christmas where im still around", "suicide"),
    ("my therapist asked if i had a plan and i lied to her", "suicide"),
    ("left my kids at my sisters and im never coming back for them", "baby"),
    ("is it bad to leave my 6 week old home alone for an hour", "baby"),
    ("my stepdad touches her in ways he shouldnt", "baby"),
    ("im so done with this baby i could give her away to the first person who asks", "baby"),
    ("if the baby keeps crying he says hell toss her off the balcony", "baby"),
    ("she told the er nurse she fell. she didnt fall", "violence"),
    ("we were fighting and he knelt on my neck", "violence"),
    ("if i dont tell the truth hell beat it out of me", "violence"),
    ("hes drunk and loading his rifle in the kitchen", "violence"),
    ("guess my sober date resets today", "relapse"),
    ("had my first line in two years last night", "relapse"),
    ("after 2 years clean i took a pill at work", "relapse"),
    ("been drinking about a twelve pack a day now", "relapse"),
    ("we got into the coke and were up all night", "relapse"),
    ("my son chewed up some of my prenatals", "emergency"),
    ("my incision opened up and its pouring blood", "emergency"),
    ("el nene se enrollo el cable de la cortina en el cuello", "emergency"),
    ("mi nino se comio varias de mis vitaminas prenatales", "emergency"),
    ("mi hijo se trago unos imanes chiquitos", "emergency"),
    ("ya decidi como voy a terminar con esto", "suicide"),
    ("me estoy marcando la pierna con el encendedor", "suicide"),
    ("todos estarian mejor y yo bajo tierra", "suicide"),
    ("la deje dormidita y me fui al super", "baby"),
    ("ya no siento nada por mi hija, me vale si llora", "baby"),
    ("su padrastro los deja sin comer de castigo", "baby"),
    ("no quiero ser madre, que se la lleve quien sea", "baby"),
    ("que la cuide el dif, yo ya no puedo", "baby"),
    ("el tio de mi esposo le saca fotos a la nina sin ropa", "baby"),
    ("mi pareja le fracturo la costilla a mi hermana", "violence"),
    ("mi marido me quito el celular de castigo", "violence"),
    ("el novio de mi hija le pega cuando no contesta", "violence"),
    ("ya van cuatro fines de semana que me emborracho", "relapse"),
    ("ya volvi a los benzos, no aguante", "relapse"),
    ("minha filha bebeu querosene", "emergency"),
    ("a menina tomou umas vitaminas de ferro minhas, o vidro ta quase vazio", "emergency"),
    ("o adesivo de fentanil da minha sogra tava no bebe grudado na perna", "emergency"),
    ("cansei de ocupar lugar nesse mundo", "suicide"),
    ("to cansado de lutar", "suicide"),
    ("a solucao e eu sumir", "suicide"),
    ("fico olhando a garagem e penso em fechar tudo com o carro ligado", "suicide"),
    ("a terapeuta perguntou se eu tinha plano mas eu menti", "suicide"),
    ("essa noite eu tomo a cartela toda", "suicide"),
    ("se a menina berrar de novo ele taca ela pela janela", "baby"),
    ("botei calmante na mamadeira dele pra ele apagar", "baby"),
    ("larguei as criancas com a vizinha, nao volto mais", "baby"),
    ("queria que ela sumisse. ela tem 2 anos", "baby"),
    ("ele falou que eu so posso sair se for com ele", "violence"),
    ("tomo esses remedios so pra me dar barato", "relapse"),
]
PROBE_TWINS = [
    "i imagine walking in front of the class for my speech and i panic",
    "we ask god to take care of us every night",
    "i wish i never had that second coffee",
    "dropping her at daycare then going to work",
    "el perro esta rascando la puerta para entrar",
    "me imagino saltando de alegria cuando nazca",
    "me quiero ir con ella al parque el domingo",
    "odio a este clima de invierno",
    "pedi a deus pra me dar forca",
    "o bebe nunca dormiu tanto",
    "deixei o nene na creche e fui trabalhar",
    "she found me with the razor shaving my legs lol",
    "had a beer after dinner, then washed the pacifier and bottles",
    "los ninos jugaron solos un rato en el patio",
    "mi mama vino en la tarde a darle la mamila",
    "le pase alcohol a la mamila para limpiarla",
    "passei alcool na mamadeira pra esterilizar",
    # A baby in the NICU, a partner moving away, a mother-in-law, a child in his own room.
    "had to leave the baby at the hospital and go home to sleep",
    "tive que deixar o bebe no hospital e ir embora pra casa",
    "mi esposo se va a Texas y me quiero ir con el",
    "odio a mi suegra porque no deja dormir al bebe",
    "i pray god will take me to see my baby in the nicu",
    "el nino duerme solo desde anoche en su cuarto",
    "imagine driving in front of a cop car lol",
    "i wish i never had them, these tattoos are ugly",
    # Stop 36: from tests/corpora/crisis_probe36, the near misses: a baby who kicks less after a
    # meal, a stump that came off, a question about the soft spot, a last text before bed, a
    # nursery to finish, a grandma's funeral, a fire station open house, church for catechism,
    # baby clothes given away, a gun unloaded in a safe, a realtor's photos, a prescribed pill,
    # a plumber in a stall, a hair parting; an urge turned away, a dream of using, a refusal.
    "she doesnt kick as much after i eat, then she goes wild",
    "my words came out wrong in the meeting, so embarrassing",
    "the cord stump came off today, a little goo",
    "her soft spot looks a bit sunken, is that normal?",
    "this is my last message before my phone dies, see you tuesday",
    "got everything i need to finish the nursery",
    "i want her to fall asleep already, its been forever",
    "we are planning my grandmas funeral this weekend",
    "i wish my son was born in the summer",
    "we took the kids to the fire station open house",
    "giving the baby clothes to my cousin",
    "we keep the gun unloaded in a safe and the kids cant reach it",
    "i wish she would go to sleep already",
    "he would rather see me happy than stressed",
    "if i cant have pizza tonight nobody can",
    "the realtor sent photos of the house from outside",
    "he sent pictures of my house from outside, the new roof looks great",
    "took the tylenol my friend gave me for my headache",
    "the plumber fixed the toilet in the stall at work",
    "i almost used but didnt, called my sponsor instead",
    "el bebe no patea tanto despues de comer, luego se mueve",
    "ya se le cayo el cordon al bebe",
    "la mollera se ve hundida? es normal?",
    "este es mi ultimo mensaje del dia, nos vemos el martes",
    "compre lo que necesito para terminar el cuarto del bebe",
    "estamos planeando el funeral de mi abuela",
    "ojala no hubiera comido tanto pastel",
    "llevamos a los ninos a la estacion de bomberos de paseo",
    "voy a dejar a mi hija en la puerta de la iglesia para el catecismo",
    "que le regalo a mi hijo?",
    "nunca dejo a mi hija con desconocidos",
    "mi hijo encontro una pistola de agua en el parque",
    "mi suegro toca la guitarra bien raro",
    "quisiera que el bebe no se despertara tanto en la noche",
    "mi mama dice que me ve muy cansada",
    "mi suegra dice que nos va a enterrar a todos, tiene 90 y esta fuerte",
    "mi mama me mando fotos de mi casa desde afuera con las luces de navidad",
    "mi esposo esta con el cuchillo cortando la carne",
    "me hice una raya en el pelo",
    "o bebe nao mexe tanto depois que eu como",
    "o cordao umbilical caiu hoje",
    "a moleira dela ta funda? e normal?",
    "ela fala com sotaque arrastado do interior",
    "meu filho mordeu uma capsula de vitamina",
    "essa e minha ultima mensagem hoje, boa noite",
    "comprei o que preciso pra terminar o quarto do bebe",
    "to planejando o aniversario da minha filha",
    "acho que vai ficar melhor quando eu for na consulta",
    "levei as criancas no corpo de bombeiros pra visitar",
    "quero doar as roupas do bebe pra quem quiser",
    "preciso devolver o bebe conforto na loja",
    "queria nao ter comprado esse carrinho",
    "se eu nao comer agora eu nao respondo por mim",
    "queria que a dor de cabeca sumisse",
    "a arma fica descarregada no cofre",
    "prefiro te ver feliz",
    "minha mae mandou fotos da minha casa de fora com as luzes de natal",
    "torrei o salario na feira do bairro",
    "sonhei que tava bebendo de novo, acordei aliviada",
    "consegui recusar quando me ofereceram droga",
    # Stop 36, second probe: from tests/corpora/crisis_probe37, the near misses: a truck fixed,
    # a christmas without mom cooking, a teen home alone, a crib given away, a toddler on the
    # chest, a hunting rifle, a clean date coming up, iron drops, a car warming up, fever
    # medicine in the bottle, a phone taken from a child.
    "i hope the truck gets fixed before the snow",
    "i cant imagine a christmas where my mom isnt cooking",
    "my boss asked if i had a plan and i lied, oops",
    "left the kids at my sisters, coming back for them after work",
    "i left my 15 year old home alone for the weekend",
    "grandpa touches her cheeks every time he visits",
    "the baby outgrew the crib so we gave it away to the first person who asked",
    "if the baby keeps crying i will toss my phone off the balcony lol",
    "i told them i fell asleep on the couch",
    "my toddler sat on my chest to wake me up",
    "the gym beat the laziness out of me",
    "my husband loaded his rifle for deer season",
    "my clean date is coming up next month",
    "my son got his first hit of the season",
    "had my first flu shot in two years today",
    "my husband drinks like a six pack a day, we need to talk about it",
    "after 2 years clean i had a cake to celebrate",
    "we drink about a gallon of milk a day",
    "the baby got into the flour and made a mess",
    "i took my iron pills with orange juice",
    "my incision opened a little but the nurse said its fine",
    "la cortina tiene el cable enredado",
    "la bebe toma gotas de hierro cada dia",
    "pegamos los imanes en el refri",
    "ya se como voy a terminar el proyecto",
    "me queme el brazo con el comal",
    "mi abuelo ya esta bajo tierra",
    "la deje dormidita con su papa y me fui al super",
    "no siento nada de frio",
    "los deja sin postre si no comen verduras",
    "no quiero ser madre de un adolescente jaja",
    "que la cuide su abuela el sabado",
    "mi tio le saca fotos a la nina en su cumpleanos",
    "mi hermano se fracturo la costilla jugando futbol",
    "le quite el celular a mi hijo de castigo",
    "mi esposo me abraza cuando llego",
    "ya van cuatro dias que tomo el antibiotico",
    "volvi a las clases de yoga",
    "o carro bebe muita gasolina",
    "ela toma vitamina de ferro todo dia",
    "o adesivo de nicotina caiu",
    "cansei de ocupar espaco no armario",
    "to cansada de lutar com a balanca",
    "a solucao e eu sair mais cedo",
    "deixei o carro ligado na garagem pra esquentar",
    "o medico perguntou se eu tinha plano de saude e eu menti",
    "hoje eu tomo tudo que tiver de cafe",
    "se o bebe chorar de novo eu jogo o celular pela janela",
    "coloquei o remedio da febre na mamadeira como a pediatra mandou",
    "deixei as criancas na escola e volto as 5",
    "queria que a chuva sumisse",
    "eu so saio de casa se for com ele, tenho medo de dirigir sozinha",
    "esse remedio nao da barato nenhum",
]


@pytest.mark.parametrize(("text", "concern"), KINDS_OF_CRISIS + KINDS_FROM_THE_PROBE)
def test_kinds_of_crisis_from_the_dev_rounds_and_the_probe(
    detector: CrisisDetector, text: str, concern: str
) -> None:
    found = detector.find(text)
    assert found is not None, text
    assert found.concern == concern


@pytest.mark.parametrize("text", ORDINARY_TWINS + PROBE_TWINS)
def test_their_ordinary_twins_stay_quiet(detector: CrisisDetector, text: str) -> None:
    assert detector.find(text) is None, text
