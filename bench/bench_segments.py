"""What a whole plan costs a parent who answers sensibly: SMS segments and web-chat texts.

Replays the whole-plan transcripts (tests/transcripts/shipped/{full_plan,es_full_plan,
pt_BR_full_plan}.yaml: onboarding and all eight parts, each read-back confirmed and each part
shared) through the shipped engine, as the app runs it (the example care team, the sample
local-help directory). Over SMS every bot text goes as the phone gets it
(bot/engine/segments.sms_texts: GSM-7 spelling by default, SMS_PLAIN_LETTERS, and a text
over two segments split between lines, then sentences) and is billed by its segments; the
"accents kept" column is SMS_PLAIN_LETTERS=false. The web chat counts bot texts (bubbles).
Budgets (issue 15): <= 120 segments in English, <= 160 in Spanish and Portuguese, <= 90 bot
texts in the web chat; no SMS text over 2 segments. --texts prints every text with its cost.
Run: .venv/bin/python bench/bench_segments.py [--texts]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.machine import Engine  # noqa: E402
from bot.engine.segments import SMS_MAX_SEGMENTS, encoding, segment_count, sms_texts  # noqa: E402
from bot.engine.session import Session  # noqa: E402
from bot.flows import build_engine  # noqa: E402
from bot.i18n_catalogs import shipped_locales  # noqa: E402
from tests.conftest import example_team, sample_finder  # noqa: E402

PLANS = {
    "en": "full_plan.yaml",
    "es": "es_full_plan.yaml",
    "pt_BR": "pt_BR_full_plan.yaml",
}
SMS_BUDGET = {"en": 120, "es": 160, "pt_BR": 160}
WEB_BUDGET = 90


@dataclass
class Cost:
    replies: int  # the parent's texts
    texts: int  # the bot's texts (web-chat bubbles)
    sms: int  # SMS texts the phone gets (as sent by default)
    segments: int  # their segments (default: GSM-7 spelling)
    accents: int  # segments with SMS_PLAIN_LETTERS=false (accents kept, UCS-2)
    ucs2: int  # SMS texts sent as UCS-2 by default
    long: int  # SMS texts of more than one segment
    over: int  # SMS texts over two segments (must be none)


def replay(engine: Engine, name: str, show: bool = False) -> Cost:
    transcript = yaml.safe_load((ROOT / "tests/transcripts/shipped" / name).read_text("utf-8"))
    session = Session(locale=transcript.get("locale", "en"))
    now = datetime.fromisoformat(str(transcript.get("start", "2026-11-23T15:00:00+00:00")))
    cost = Cost(0, 0, 0, 0, 0, 0, 0, 0)
    for turn in transcript["turns"]:
        now += timedelta(minutes=1)
        outcome = engine.step(session, str(turn["send"]), now)
        session = outcome.session
        cost.replies += 1
        if show:
            print(f">> {turn['send']}")
        for text in outcome.replies:
            cost.texts += 1
            cost.accents += sum(segment_count(t) for t in sms_texts(text, plain=False))
            for sms in sms_texts(text, plain=True):
                segments = segment_count(sms)
                cost.sms += 1
                cost.segments += segments
                cost.ucs2 += encoding(sms) == "UCS-2"
                cost.long += segments > 1
                cost.over += segments > SMS_MAX_SEGMENTS
                if show:
                    print(f"   [{segments} {encoding(sms)}] {sms!r}")
    return cost


def main() -> None:
    engine = build_engine(
        locales=tuple(shipped_locales()), resource_finder=sample_finder(), team=example_team()
    )
    show = "--texts" in sys.argv
    print("| language | parent texts | SMS texts | UCS-2 | > 1 segment | > 2 segments "
          "| SMS segments | accents kept | budget | web-chat bot texts | budget |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
    met = True
    for lang, name in PLANS.items():
        cost = replay(engine, name, show)
        sms_ok = cost.segments <= SMS_BUDGET[lang] and cost.over == 0
        web_ok = cost.texts <= WEB_BUDGET
        met = met and sms_ok and web_ok
        print(
            f"| {lang} | {cost.replies} | {cost.sms} | {cost.ucs2} | {cost.long} | {cost.over} "
            f"| {cost.segments} | {cost.accents} "
            f"| <= {SMS_BUDGET[lang]} {'ok' if sms_ok else 'OVER'} "
            f"| {cost.texts} | <= {WEB_BUDGET} {'ok' if web_ok else 'OVER'} |"
        )
    print(
        "all budgets met (SMS as sent by default)"
        if met
        else "over budget (SMS as sent by default)"
    )


if __name__ == "__main__":
    main()
