"""Hard ordinary texts the crisis rules once alarmed on, by class, each with its crisis twin
that must still alarm, in English, Spanish and Portuguese: a negation with words between ("no
one is hurting me"), a past dated by an age, a year or a death and over, a doctor who has seen
it and says it is fine, helping someone else, someone else's relapse told as news, a use turned
away, a small child biting, one child pushing another, someone who came through an emergency,
a question for information about an overdose, not wanting to live somewhere, and a "relapse"
into food or a habit. The classes are data per language (locales/<lang>/crisis.yaml:
negation_gap, history, resolved, reported, averted, recovered, unsure, setback, ordinary)."""

from __future__ import annotations

import pytest

from bot.engine.crisis import CRISIS_DIR, CrisisDetector, load_detector


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(CRISIS_DIR, ("en", "es", "pt_BR"))


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        # No one is hurting me: a negation with "one", "plans" or "tá" between.
        ("no one is hurting me, i just need help with rent", "ordinary"),
        ("someone is hurting me", "violence"),
        ("i have no plans to hurt myself", "ordinary"),
        ("i have plans to hurt myself", "suicide"),
        ("nadie me está lastimando, solo necesito pañales", "ordinary"),
        ("mi esposo me está lastimando", "violence"),
        ("ninguém tá me machucando, só preciso de fralda", "ordinary"),
        ("meu marido tá me machucando", "violence"),
        # A past dated by an age, a year or a death, and over.
        ("my brother overdosed in 2012, he is doing great now", "ordinary"),
        ("my brother overdosed and he wont wake up", "emergency"),
        ("i tried to kill myself when i was 17, i'm glad i'm still here", "ordinary"),
        ("i tried to kill myself last night", "suicide"),
        ("mi tío murió de sobredosis cuando yo era chiquita", "ordinary"),
        ("mi tío tuvo una sobredosis y no respira", "emergency"),
        ("intenté matarme a los 17, qué bueno que sigo aquí", "ordinary"),
        ("intenté matarme anoche", "suicide"),
        ("meu tio morreu de overdose em 2011", "ordinary"),
        ("meu tio teve overdose e não respira", "emergency"),
        ("tentei me matar aos 17, ainda bem que tô aqui", "ordinary"),
        ("tentei me matar ontem", "suicide"),
        # "hace 3 meses" is a past; "desde hace" (for, and still) is now.
        ("recaí hace 3 meses, ya llevo 10 semanas limpia", "ordinary"),
        ("volví a tomar hace 5 meses y desde hace 2 meses no paro", "relapse"),
        # Use before the pregnancy was known is a past too.
        ("i smoked meth before i knew i was pregnant", "ordinary"),
        ("i smoked meth last night", "relapse"),
        ("consumí cristal antes de saber que estaba embarazada", "ordinary"),
        ("consumí cristal anoche", "relapse"),
        ("usei cocaína antes de saber da gravidez", "ordinary"),
        ("usei cocaína ontem", "relapse"),
        # ... but months pregnant are no age, a near death is no past, and no one but a doctor
        # makes it fine.
        ("he pushed me down the stairs when i was 7 months", "violence"),
        ("me empujó por las escaleras cuando tenía 7 meses", "violence"),
        ("ele me empurrou da escada quando eu tinha 7 meses", "violence"),
        ("he almost died of an overdose last night", "emergency"),
        ("he choked me and said its ok", "violence"),
        ("ele me bateu e disse que está tudo bem", "violence"),
        ("what do i say to my husband when he hits me", "violence"),
        # A doctor has seen it and says it is fine.
        (
            "she stopped breathing for a few seconds asleep but the doctor said its normal",
            "ordinary",
        ),
        ("she stopped breathing in her sleep", "emergency"),
        (
            "la bebé dejó de respirar unos segundos dormida, la doctora dijo que es normal",
            "ordinary",
        ),
        ("la bebé dejó de respirar", "emergency"),
        (
            "a neném parou de respirar uns segundos dormindo, a pediatra disse que é normal",
            "ordinary",
        ),
        ("a neném parou de respirar", "emergency"),
        # Lips purple from the cold.
        ("los niños tienen los labios morados de frío", "ordinary"),
        ("tiene los labios morados", "emergency"),
        ("as crianças ficaram com a boca roxa de frio", "ordinary"),
        ("a boca dele tá roxa", "emergency"),
        # Helping someone else, asked about the topic.
        ("how do i help someone who is suicidal", "ordinary"),
        ("i am suicidal", "suicide"),
        ("¿cómo ayudo a alguien que quiere suicidarse?", "ordinary"),
        ("quiero suicidarme", "suicide"),
        ("como ajudo alguém que quer se matar?", "ordinary"),
        ("quero me matar", "suicide"),
        # Someone else's relapse told as news; the parent's or a partner's stays a relapse.
        ("my cousin relapsed last week, praying for her", "ordinary"),
        ("i relapsed last week", "relapse"),
        ("my husband relapsed", "relapse"),
        ("mi prima recayó la semana pasada", "ordinary"),
        ("recaí la semana pasada", "relapse"),
        ("minha prima recaiu semana passada", "ordinary"),
        ("recaí semana passada", "relapse"),
        # A use turned away (a relapse only).
        ("i almost texted my dealer but i deleted his number", "ordinary"),
        ("i texted my dealer and used", "relapse"),
        # An urge turned away, even one dated today; a use told as done is never excused
        # ("i used last night. i deleted his number": tests/engine/test_crisis_excuse_limits.py).
        ("ngl i thought about using today but i didnt, called my sponsor", "ordinary"),
        ("casi consumi anoche pero llame a mi madrina", "ordinary"),
        ("quase usei ontem mas liguei pra minha madrinha", "ordinary"),
        ("i used last night but i didnt tell anyone", "relapse"),
        # A small child biting or kicking; one child pushing another.
        ("my toddler bit me again, teething is rough", "ordinary"),
        ("my boyfriend bit me", "violence"),
        ("el nene me mordió otra vez", "ordinary"),
        ("mi esposo me mordió", "violence"),
        ("a bebê me mordeu de novo", "ordinary"),
        ("meu marido me mordeu", "violence"),
        ("my toddler pushed the baby over, i put him in timeout", "ordinary"),
        ("my boyfriend pushed the baby", "baby"),
        ("el niño de al lado empujó a mi hija en el parque", "ordinary"),
        ("mi esposo empujó a mi hija", "baby"),
        ("o menino do lado empurrou minha filha no parquinho", "ordinary"),
        ("meu marido empurrou minha filha", "baby"),
        # The child must be the one who does it, and play must be play.
        ("my boyfriend grabbed my toddler and hit the baby", "baby"),
        ("mi esposo agarró al niño y empujó a mi hija", "baby"),
        ("he tossed the baby up in the air and she giggled", "ordinary"),
        ("he threw the baby up in the air and didnt catch her", "baby"),
        # Someone came through an emergency (`recovered`, an emergency only); not as a hope,
        # a question or a setback after it.
        ("my uncle overdosed saturday, they narcanned him and hes ok", "ordinary"),
        ("my uncle overdosed, i hope hes ok", "emergency"),
        ("my uncle overdosed and hes not ok", "emergency"),
        ("they narcanned him and he came to but now hes nodding out again", "emergency"),
        ("he hit me but hes ok now", "violence"),
        ("my son swallowed my pills, is he all good", "emergency"),
        ("mi cuñado tuvo una sobredosis el domingo, lo salvaron y ya está bien", "ordinary"),
        ("la niña se tomó las pastillas y está bien dormida", "emergency"),
        ("mi cuñado tuvo una sobredosis, no sé si está bien", "emergency"),
        ("meu cunhado teve overdose domingo, foi socorrido e já tá bem", "ordinary"),
        ("meu cunhado teve overdose, não sei se tá bem", "emergency"),
        # A question for information about an overdose, asked of anyone.
        ("can kids overdose on gummy vitamins", "ordinary"),
        ("my kid ate the whole bottle of gummy vitamins and wont wake up", "emergency"),
        ("¿cómo se ve una sobredosis? para estar lista", "ordinary"),
        ("mi hermano tiene una sobredosis", "emergency"),
        ("como é uma overdose? quero saber reconhecer", "ordinary"),
        ("meu irmão tá tendo uma overdose", "emergency"),
        # Not wanting to live or be somewhere: a place, not a life.
        ("i dont want to live in this trailer anymore, the roof leaks", "ordinary"),
        ("i dont want to live anymore", "suicide"),
        ("i dont want to live in this world anymore", "suicide"),
        ("ya no quiero vivir en esta colonia, hay mucho ruido", "ordinary"),
        ("ya no quiero vivir", "suicide"),
        ("ya no quiero vivir en este mundo", "suicide"),
        ("não quero mais morar nesse bairro, muito barulho", "ordinary"),
        ("não quero mais viver minha vida assim", "suicide"),
        ("quero sumir do zap uns dias", "ordinary"),
        ("quero sumir pra sempre", "suicide"),
        # A "relapse" into food or a habit, "drunk" on no sleep: no use.
        ("fell off the wagon with my walks again, restarting monday", "ordinary"),
        ("fell off the wagon last night", "relapse"),
        ("im drunk on no sleep, sorry for the typos", "ordinary"),
        ("im drunk and the kids are asleep", "relapse"),
        ("me puse hasta atrás de pozole en la posada", "ordinary"),
        ("me puse hasta atrás anoche", "relapse"),
        ("recaí no brigadeiro de novo kkk", "ordinary"),
        ("recaí ontem", "relapse"),
    ],
)
def test_ordinary_class_and_its_crisis_twin(
    detector: CrisisDetector, text: str, concern: str
) -> None:
    found = detector.find(text)
    assert (found.concern if found else "ordinary") == concern
