"""What a whole plan costs a parent who answers sensibly: SMS segments and web-chat texts.

Replays the whole-plan transcripts (tests/transcripts/shipped/{full_plan,es_full_plan,
pt_BR_full_plan}.yaml: onboarding and all eight parts, each read-back confirmed and each part
shared) through the shipped engine, as the app runs it (the example care team, the sample
local-help directory). Over SMS every bot text is billed by its segments (GSM-7 or UCS-2,
bot/engine/segments.py), as sent by default (accents kept) and with SMS_PLAIN_LETTERS (GSM-7
spelling, SMS only); the web chat counts bot texts (bubbles).
Budgets (issue 15): <= 120 segments in English, <= 160 in Spanish and Portuguese, <= 90 bot
texts in the web chat. --texts prints every text with its cost.
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
from bot.engine.segments import encoding, plain_letters, segment_count  # noqa: E402
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
    texts: int  # the bot's texts (web-chat bubbles, SMS messages)
    segments: int
    plain: int  # segments with SMS_PLAIN_LETTERS
    ucs2: int  # texts sent as UCS-2
    long: int  # texts of more than one segment


def replay(engine: Engine, name: str, show: bool = False) -> Cost:
    transcript = yaml.safe_load((ROOT / "tests/transcripts/shipped" / name).read_text("utf-8"))
    session = Session(locale=transcript.get("locale", "en"))
    now = datetime.fromisoformat(str(transcript.get("start", "2026-11-23T15:00:00+00:00")))
    cost = Cost(0, 0, 0, 0, 0, 0)
    for turn in transcript["turns"]:
        now += timedelta(minutes=1)
        outcome = engine.step(session, str(turn["send"]), now)
        session = outcome.session
        cost.replies += 1
        if show:
            print(f">> {turn['send']}")
        for text in outcome.replies:
            segments = segment_count(text)
            cost.texts += 1
            cost.segments += segments
            cost.plain += segment_count(plain_letters(text))
            cost.ucs2 += encoding(text) == "UCS-2"
            cost.long += segments > 1
            if show:
                print(f"   [{segments} {encoding(text)}] {text!r}")
    return cost


def main() -> None:
    engine = build_engine(
        locales=tuple(shipped_locales()), resource_finder=sample_finder(), team=example_team()
    )
    show = "--texts" in sys.argv
    print("| language | parent texts | bot texts | UCS-2 texts | texts > 1 segment "
          "| SMS segments | plain letters | budget | web-chat bot texts | budget |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---|")
    met = True
    for lang, name in PLANS.items():
        cost = replay(engine, name, show)
        sms_ok = cost.segments <= SMS_BUDGET[lang]
        web_ok = cost.texts <= WEB_BUDGET
        met = met and sms_ok and web_ok
        print(
            f"| {lang} | {cost.replies} | {cost.texts} | {cost.ucs2} | {cost.long} "
            f"| {cost.segments} | {cost.plain} "
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
