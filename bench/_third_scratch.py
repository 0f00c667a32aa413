import re
from collections import Counter
from pathlib import Path
from bench.crisis_encoder.paths import LOCALES
from bot.engine.crisis import load_detector
from bot.engine.crisis_lexicon import BOUNDARY
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import BLIND_ROUND_DIRS, load_corpus
root = Path("tests/corpora")
skip = {d.name for d in BLIND_ROUND_DIRS[4:]}
det = load_detector(LOCALES_DIR, LOCALES)
REL = "mom|mother|mama|dad|father|brother|sister|husband|boyfriend|partner|ex|friend|cousin|aunt|uncle|roommate|neighbor|baby daddy|boyfriends|wife|son|daughter|coworker|sponsor|girl|guy|lady|man|woman|moms|dads|bestie|bff|sis|bro|stepdad|stepmom|grandma|grandpa|fiance|babys dad|babys father|kids dad"
third = re.compile(rf"(?:^| )(?:he|she|they|someone|somebody|(?:my|her|his|our|the|a|their) (?:{REL})|one of the \w+)(?: (?!i |me |we )\w+){{0,3}} $")
loc = "en"
c = Counter(); rows=[]
for d in sorted(root.iterdir()):
    if d.name in skip or d.name == "understanding" or not (d / f"{loc}.yaml").exists(): continue
    for ex in load_corpus(loc, d):
        f = det.find(ex.text)
        if f is None or f.concern != "relapse": continue
        joined = " " + " ".join(det.fold(ex.text)) + " "
        start = joined.find(" " + f.phrase + " ")
        before = joined[:start + 1].split()
        lead = before[len(before) - before[::-1].index(BOUNDARY):] if BOUNDARY in before else before
        hit = bool(third.search(" ".join(lead) + " "))
        c[(ex.label, hit)] += 1
        if hit: rows.append((ex.label, " ".join(lead[-5:]), f.phrase, ex.text[:100]))
print(c)
for r in sorted(rows): print(r)
