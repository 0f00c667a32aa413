"""Real crisis texts a safety review found the crisis rules missing, and their natural
variants, in English, Spanish and Portuguese: each must alarm with its concern. A baby shaken
again ("la volví a sacudir", "eu sacudi ela"), a threat by several ("me van a matar", "vão me
matar"), someone showing the signs of an overdose (not a question about the signs), a use
that came anyway ("consumí igual", "usei mesmo assim"), a parent calling herself "esta mamá"
/ "essa mãe" who relapsed, a harm going on for months ("desde hace 3 meses me pega": no baby
of 3 months), locked in by someone ("me encierra"), a "no" before a negative state ("no hes
not breathing"); a negated urge ("no tengo ganas de", stop 33) and a cut in the kitchen stay
quiet. The ordinary texts beside them stay quiet (locales/<lang>/crisis.yaml)."""

from __future__ import annotations

import pytest

from bot.engine.crisis import CRISIS_DIR, CrisisDetector, load_detector


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(CRISIS_DIR, ("en", "es", "pt_BR"))


CRISES = [
    # An urge, then the use: "and i did" says it was used.
    ("i wanted to use today and i did", "relapse"),
    ("tenía ganas de consumir y lo hice", "relapse"),
    ("tava com vontade de usar e usei", "relapse"),
    ("i was going to use last night and i did, i deleted his number after", "relapse"),
    # A harm for more than some months: "más de 3 meses" is no baby of 3 months.
    ("hace más de 3 meses me pega", "violence"),
    ("desde hace más de 2 meses me pega", "violence"),
    # "Why don't I just kill myself": a wish, not a negation of one.
    ("me pregunto por que no me mato de una vez", "suicide"),
    ("pq no me mato ya", "suicide"),
    ("me pergunto por que não me mato logo", "suicide"),
    ("pq nao me mato logo", "suicide"),
    # A baby shaken again, also after a doctor said all is well.
    ("el doctor dijo que está bien pero hoy la volví a sacudir", "baby"),
    ("la volví a sacudir", "baby"),
    ("lo volví a sacudir", "baby"),
    ("o médico disse que é normal mas hoje eu sacudi ela de novo", "baby"),
    ("a pediatra já viu mas hoje eu sacudi ela de novo", "baby"),
    ("eu sacudi ela", "baby"),
    ("eu sacudi ele de novo", "baby"),
    ("sacudi o bebê", "baby"),
    ("i shook her again", "baby"),
    # A threat by several.
    ("me van a matar", "violence"),
    ("me dijeron que me van a matar", "violence"),
    ("dicen que me van a matar", "violence"),
    ("vão me matar", "violence"),
    ("me disseram que vão me matar", "violence"),
    ("they are going to kill me", "violence"),
    # Signs of an overdose shown now, not asked about.
    ("se las señales de sobredosis y él las tiene ahorita", "emergency"),
    ("él tiene señales de sobredosis ahorita", "emergency"),
    ("eu sei os sinais de overdose e ele tá tendo agora", "emergency"),
    ("ele tá com sinais de overdose", "emergency"),
    ("i know the signs of an overdose and hes showing them right now", "emergency"),
    ("he is showing signs of an overdose", "emergency"),
    # A use that came anyway, also after the urge was turned away.
    ("i deleted his number but i used anyway", "relapse"),
    ("i used anyway", "relapse"),
    ("i drank anyway", "relapse"),
    ("consumí igual", "relapse"),
    ("usei mesmo assim", "relapse"),
    ("bebi mesmo assim", "relapse"),
    # The parent calls herself "this mom".
    ("esta mamá recayó anoche", "relapse"),
    ("esta mamá volvió a consumir", "relapse"),
    ("essa mãe recaiu ontem", "relapse"),
    ("essa mãe usou de novo", "relapse"),
    # A harm going on for months or years.
    ("desde hace 3 meses me pega", "violence"),
    ("desde hace meses me pega", "violence"),
    ("há 2 anos me bate", "violence"),
    ("há 3 meses ele me bate", "violence"),
    # Locked in by someone ("me encierra": he locks me in), in any tense; the wording was
    # missed until the violence reader named the forms.
    ("mi pareja me encierra en la casa cuando se va", "violence"),
    ("sus hermanos me encierran en el cuarto", "violence"),
    # "No" as an answer, then a negative state: not a negation of the state ("is he
    # breathing?" "no he is not breathing").
    ("no hes not breathing", "emergency"),
    ("nope she wont wake up", "emergency"),
    ("no no respira", "emergency"),
    ("não ele não acorda", "emergency"),
    # An urge ("vontade", "ganas") that is not negated, and a cut that is no kitchen accident.
    ("tenho vontade de me matar", "suicide"),
    ("nao aguento mais, tenho vontade de me matar", "suicide"),
    ("tengo ganas de matarme", "suicide"),
    ("i cut myself again cutting my arms", "suicide"),
    ("me cortei de novo cortando os bracos", "suicide"),
    ("me corte otra vez los brazos", "suicide"),
    # Asked, then told as happening: the emergency stands.
    ("is it true hes overdosing? hes not breathing", "emergency"),
]

ORDINARY = [
    # A negation before a harm that is no negative state still negates it; Portuguese "no" in
    # a phrase is "in the".
    "no he is not going to hurt me, he is a good dad",
    "nunca bati no meu filho e nem vou bater",
    # An urge that did not become a use.
    "i wanted to use today and i didnt",
    "tenia ganas de consumir y no lo hice",
    "tava com vontade de usar e não usei",
    "mi bebe de 8 meses me pega en la cara jaja",
    "mi hija de 3 meses me pega cuando le doy pecho",
    "el bebe me pega con la mano",
    "mi mamá me va a matar si llego tarde",
    "cuales son las señales de sobredosis",
    "quais sao os sinais de overdose",
    "what are the signs of an overdose",
    # A negated urge ("no tengo ganas de", "não tenho vontade de"), and "it's not that I want
    # to die" (stop 33: the rules alarmed on each).
    "não tenho vontade de me matar, só de chorar um pouco",
    "no tengo ganas de lastimar a mi hija, solo me frustro cuando llora mucho",
    "nao é que eu queira morrer, eu so queria um dia de folga",
    "its not that i want to die, i just want a day off",
    # A cut in the kitchen.
    "me cortei cortando cebola, nada demais",
    "me cortei descascando batata, ja coloquei band-aid",
    "me corte con el cuchillo cocinando, nada grave",
    "i cut myself cutting onions, no big deal",
    # A question for information ("is it true", "es cierto que", "é verdade que").
    "is it true narcan doesnt work on xylazine?",
    "es cierto que el narcan no hace nada si la persona no uso opioides?",
    "é verdade que a abstinência de álcool pode dar convulsão?",
]


@pytest.mark.parametrize(("text", "concern"), CRISES)
def test_review_miss_alarms(detector: CrisisDetector, text: str, concern: str) -> None:
    found = detector.find(text)
    assert found is not None, text
    assert found.concern == concern, (text, found)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_beside_them_stays_quiet(detector: CrisisDetector, text: str) -> None:
    assert detector.find(text) is None, text
