"""Real crises that carry an excuse's marker, in English, Spanish and Portuguese: each must
still alarm. The crisis rules excuse a matched phrase that is long ago and over ("hace 4
anos"), someone else's relapse ("my cousin relapsed"), talk of the topic ("sign of",
"video"), a negation, a doctor who says it is normal, or a relapse turned away ("but i
didnt"). A parent who calls herself "mom", a harm dated years back and still going on ("faz 2
anos que ele me bate": for two years, and still), a use that came anyway after the urge was
turned away, a harm filmed: none of these is an excuse (locales/<lang>/crisis.yaml: present,
now, still_used, reported, averted, ordinary; bot/engine/crisis_frames.py)."""

from __future__ import annotations

import pytest

from bot.engine.crisis import CRISIS_DIR, CrisisDetector, load_detector


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(CRISIS_DIR, ("en", "es", "pt_BR"))


CRISES = [
    # The parent is the mom: her own relapse, not someone else's.
    ("mom here. i used again last night", "relapse"),
    ("this mama relapsed", "relapse"),
    ("this mom relapsed last night and the kids were home", "relapse"),
    ("your mom relapsed yesterday, i am so ashamed", "relapse"),
    ("mami aqui. volvi a consumir anoche", "relapse"),
    ("mae aqui. usei de novo ontem a noite", "relapse"),
    ("mis otras mamás del grupo no saben que recaí", "relapse"),
    ("outras mamães do grupo não sabem que eu recaí", "relapse"),
    # Someone who minds the children is using: not news.
    ("my dad is using again and he has my kids this weekend", "relapse"),
    ("mi papá está usando otra vez y tiene a mis hijos", "relapse"),
    ("meu pai tá usando de novo e tá com meus filhos", "relapse"),
    # A past dated years back that goes on, or comes back now.
    ("he hit me again, 2 years ago he did it too and its happening again", "violence"),
    ("he hit me last night. 2 years ago he did it too", "violence"),
    ("he started hitting me 2 years ago and he still does", "violence"),
    ("when i was 16 i wanted to die and i feel that way again today", "suicide"),
    ("hace 3 meses que me pega", "violence"),
    ("me pegó anoche, hace 2 años también lo hizo", "violence"),
    ("hace 2 años que me pega y anoche otra vez", "violence"),
    ("faz 2 anos que ele me bate", "violence"),
    ("ele me bateu ontem, há 2 anos ele fez isso também", "violence"),
    ("aos 16 eu quis morrer e hoje quero de novo", "suicide"),
    # A doctor said it was fine, and it happens again.
    ("the doctor said the baby is fine but i shook her again today", "baby"),
    ("el pediatra dijo que es normal pero hoy la sacudí otra vez", "baby"),
    ("glad i am still here but i want to die", "suicide"),
    ("que bueno que sigo aquí pero quiero morirme", "suicide"),
    ("ainda bem que to aqui mas quero morrer", "suicide"),
    ("llevo 2 años limpia y hoy consumí", "relapse"),
    ("tenho 2 anos limpa e hoje usei", "relapse"),
    # A negation with words between that is not about the harm.
    ("i didnt use yesterday but i used today", "relapse"),
    ("no one is helping me and i want to die", "suicide"),
    ("no consumí ayer pero hoy sí consumí", "relapse"),
    ("nadie me ayuda y me quiero morir", "suicide"),
    ("não usei ontem mas hoje usei", "relapse"),
    ("ninguém me ajuda e eu quero morrer", "suicide"),
    # Talk of the topic that is not talk: the harm is here, or it was filmed.
    ("conozco la señal de sobredosis y la tiene ahora", "emergency"),
    ("sign of an overdose? hes blue and not breathing", "emergency"),
    ("é verdade que dá pra morrer disso? tomei 30 comprimidos", "emergency"),
    ("he told me about his day then he hit me", "violence"),
    ("he posted a video of him hitting me", "violence"),
    ("he filmed a video while he hit me", "violence"),
    ("ele gravou um vídeo me batendo", "violence"),
    ("ele fez um vídeo enquanto me batia", "violence"),
    # A relapse turned away, then not: used anyway, or "not on purpose".
    ("i almost texted my dealer but i didnt. i used what i had at home", "relapse"),
    ("recaí anoche, no lo hice a propósito", "relapse"),
    ("volví a consumir y no lo hice frente a los niños", "relapse"),
    ("casi le escribo al dealer pero lo borré. igual consumí", "relapse"),
    ("recaí ontem, não fiz por querer", "relapse"),
    ("usei de novo e não fiz nada pra parar", "relapse"),
    ("quase liguei pro traficante mas apaguei o número. usei mesmo assim", "relapse"),
    # A generic question or answer marker is no report: the sender is the one harmed.
    ("how do i talk to him when he chokes me", "violence"),
    ("is it true he will kill me if i leave", "violence"),
    ("i called the hotline number because he hit me", "violence"),
    ("i dont know the difference between being tired and wanting to die anymore", "suicide"),
    ("is it a sign of something that i want to hurt my baby", "baby"),
    ("how do i talk to my husband when he hits me", "violence"),
    ("is it true that he can take the kids if he beats me", "violence"),
    ("i looked up the hotline number after he choked me", "violence"),
    ("mi hijo preguntó por qué su papá me pega", "violence"),
    ("le dije que no a tener relaciones y me pegó", "violence"),
    ("dije que no a sus amigos y me golpeó", "violence"),
    ("es verdad que me va a matar si me voy", "violence"),
    ("contesté que no y me pegó", "violence"),
    ("respondí que no y me golpeó", "violence"),
    ("mi hija preguntó por qué su papá me golpea", "violence"),
    ("le dije que no a su mamá y me pegó anoche", "violence"),
    ("é verdade que ele vai me matar hoje", "violence"),
    ("um relato de como ele me batia todo dia e ainda bate", "violence"),
    ("falei que não e ele me bateu", "violence"),
    ("respondi que não e ele me enforcou", "violence"),
    ("é verdade que ele vai me bater de novo", "violence"),
    ("falei que não queria e ele me bateu", "violence"),
    # Dropped off the bed or the changing table is a fall, not a drop-off at daycare.
    ("i dropped my son off the bed last night", "baby"),
    ("dropped the baby off the changing table", "baby"),
    ("i dropped my daughter off the couch this morning", "baby"),
    # A use told as done is never turned away by a later, unrelated "deleted his number".
    ("i relapsed. i deleted his number after", "relapse"),
    ("i relapsed last night. i deleted his number this morning", "relapse"),
    ("i used again last night. my dealer came by today but i kicked him out", "relapse"),
    ("i got high today. i walked past him tomorrow", "relapse"),
    ("i used last night and then i deleted his number", "relapse"),
    ("i got high yesterday. today i did not", "relapse"),
    ("consumí anoche pero ya lo saqué de la casa", "relapse"),
    ("recaí anoche. ya borré su número", "relapse"),
    ("volví a consumir ayer. hoy no consumí", "relapse"),
    ("recaí el sábado y luego borré su número", "relapse"),
    ("usei crack ontem. hoje não usei", "relapse"),
    ("usei de novo ontem, mandei ele embora", "relapse"),
    ("recaí ontem e depois apaguei o número dele", "relapse"),
    # Someone else's relapse with the parent or the children in it is not news.
    ("my friend relapsed and we got high together", "relapse"),
    ("my sponsor relapsed and we used together last night", "relapse"),
    ("my brother relapsed and hes watching my kids right now", "relapse"),
    ("my sister relapsed and she has my baby tonight", "relapse"),
    ("my best friend relapsed and gave me some pills", "relapse"),
    ("my cousin is using again and she is babysitting my son tonight", "relapse"),
    ("mi hermana recayó y consumimos juntas anoche", "relapse"),
    ("mi amiga recayó y nos drogamos juntas", "relapse"),
    ("mi hermano recayó y está cuidando a mis hijos hoy", "relapse"),
    ("minha amiga recaiu e a gente usou junto ontem", "relapse"),
    ("meu amigo recaiu e usamos juntos ontem", "relapse"),
    ("meu irmão recaiu e tá com meus filhos agora", "relapse"),
]


@pytest.mark.parametrize(("text", "concern"), CRISES)
def test_a_crisis_with_an_excuse_marker_still_alarms(
    detector: CrisisDetector, text: str, concern: str
) -> None:
    found = detector.find(text)
    assert found is not None, text
    assert found.concern == concern


@pytest.mark.parametrize(
    "text",
    [
        # The false alarms the excuses fixed stay fixed where the limits touch them.
        "i almost texted my dealer but i deleted his number",
        "my cousin relapsed and im worried about her",
        "my mom relapsed",
        "mi prima recayó",
        "minha mãe recaiu",
        "i saw a post about a mom who hurt her baby and it made me sick",
        "vi num vídeo que um pai bateu no bebê",
        "el formulario preguntó si alguien me pega y es que no",
        "hoy hace 3 años que mi amiga murió de sobredosis, le prendí una velita",
        "hoje faz 3 anos que minha amiga morreu de overdose, acendi uma vela",
        "mi ex me pegaba pero ya hace 3 años que lo dejé",
        "si alguien ronca fuerte despues de usar es señal de sobredosis?",
        "dropped my daughter off at daycare",
        "i dropped the kids off",
        "casi le escribo al dealer pero borré su número",
        "quase liguei pro traficante mas apaguei o número",
        "mi prima recayó y estoy preocupada por ella",
        "minha prima recaiu e eu to preocupada",
        "dropped the kids off and went to work",
    ],
)
def test_the_excused_ordinary_text_stays_quiet(detector: CrisisDetector, text: str) -> None:
    assert detector.find(text) is None
