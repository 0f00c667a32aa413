"""The encoder's doubt: the encoder alone all but sure of nothing overrules the blend (stop 45).

Where the word rules find nothing (or only a relapse), the conversation acts on what the blend
of the nets and the encoder names (crisis_model.second_opinion). The blend is a weighted mean,
so nets sure of a concern outweigh an encoder sure of none: on the dev sets about a third of
the model's own false alarms are such texts ("volvi a la escuela!", "to assistindo Breaking Bad
inteira de novo", "me and my bf got into it about money again"), nets at 0.96-1.00, encoder
at 0.00-0.01. Most of them are relapses.

This bench chooses, per concern a doubt may overrule (crisis_encoder.DOUBTABLE: relapse and
violence; never an emergency, a baby's harm nor a suicide: the encoder reads "la bebe esta
temblando toda y tiene los ojitos volteados" and "to de pe na beira do telhado faz uns 10 min"
as nothing; the table shows suicide for comparison), a level of the encoder's P(some concern)
under which the blend's finding is not acted on (crisis_encoder.EncoderDoubt), on the dev sets
only (rounds 4-7, probes 35-38), by veto.py's rule: a level is safe when it removes no crisis
text there (named right or not), nor does the next looser level (the last level is only a
neighbour); of the safe levels, the one removing the most dev false alarms, on a tie the lower.
Then it shows what that doubt does on probe 39 (dev, chose nothing) and the blind rounds 8-12
(totals only: no blind text is printed). --serve writes it into the served file's settings
(build.py does too).
Run: .venv/bin/python -m bench.crisis_encoder.doubt [--serve]
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bench.crisis_encoder.paths import LOCALES
from bench.crisis_encoder.veto import (
    DEV,
    print_grid,
    print_measured,
    rules_over,
    served_encoder,
    write_setting,
)
from bot.engine.crisis import CrisisDetector, load_detector
from bot.engine.crisis_encoder import DOUBTABLE, ENCODER_FILE, VETOABLE, EncoderDoubt
from bot.engine.crisis_lexicon import Concern
from bot.engine.crisis_model import (
    READ_UP_TO,
    CrisisModel,
    load_models,
    second_opinion,
    with_encoder,
)
from bot.i18n import LOCALES_DIR

LEVELS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)


@dataclass(frozen=True, slots=True)
class Found:
    """A concern the blend names, acted on without the doubt, that the doubt could overrule."""

    label: str
    concern: Concern
    encoder: float  # the encoder's P(some concern)


def found_by_the_blend(
    model: CrisisModel, detector: CrisisDetector, directories: Sequence[Path]
) -> list[Found]:
    """The texts whose reading, as the conversation reads them (the rules on the whole text,
    the readers on its first READ_UP_TO characters), is the blend's concern over the rules'."""
    encoder = served_encoder(model)
    rows = []
    for example, rules in rules_over(model, detector, directories):
        key = example.text[:READ_UP_TO]
        got = second_opinion(model, key, rules)
        if rules in (None, "relapse") and got is not None and got in VETOABLE and got != rules:
            some = 1.0 - encoder.probabilities(key)[0]
            rows.append(Found(example.label, got, some))
    return rows


def removed(rows: Sequence[Found], concern: Concern, below: float) -> tuple[int, int]:
    """(false alarms removed, crisis texts changed) by a doubt over `concern` at `below`."""
    gone = [r for r in rows if r.concern == concern and r.encoder < below]
    alarms = sum(r.label == "ordinary" for r in gone)
    return alarms, len(gone) - alarms


def choose(dev: Mapping[str, Sequence[Found]]) -> EncoderDoubt | None:
    """Per concern, the safe level removing the most dev false alarms (module doc)."""
    levels: dict[Concern, float] = {}
    for concern in sorted(DOUBTABLE):

        def crises(i: int, c: Concern = concern) -> int:
            return sum(removed(rows, c, LEVELS[i])[1] for rows in dev.values())

        best: tuple[int, float] | None = None
        for i in range(len(LEVELS) - 1):
            if crises(i) or crises(i + 1):
                continue
            alarms = sum(removed(rows, concern, LEVELS[i])[0] for rows in dev.values())
            if alarms and (best is None or alarms > best[0]):
                best = (alarms, LEVELS[i])
        if best is not None:
            levels[concern] = best[1]
    return EncoderDoubt(levels) if levels else None


def without_doubt(locales_dir: Path) -> dict[str, CrisisModel]:
    models = load_models(locales_dir, LOCALES)
    encoder = models[LOCALES[0]].encoder
    if encoder is None:
        raise SystemExit(f"no encoder file in {locales_dir}")
    bare = replace(encoder, settings=replace(encoder.settings, encoder_doubt=None))
    return with_encoder(models, bare)


def encoder_doubt_on_dev(locales_dir: Path = LOCALES_DIR) -> EncoderDoubt | None:
    """The doubt chosen for the encoder file in `locales_dir` as it reads without one."""
    detector = load_detector(locales_dir, LOCALES)
    models = without_doubt(locales_dir)
    return choose({loc: found_by_the_blend(models[loc], detector, DEV) for loc in LOCALES})


def serve(path: Path, doubt: EncoderDoubt | None) -> None:
    """Write the doubt into the encoder file's settings; its tensors and head stay."""
    write_setting(path, "encoder_doubt", None if doubt is None else dict(doubt.levels))


def main() -> None:
    detector = load_detector(LOCALES_DIR, LOCALES)
    models = without_doubt(LOCALES_DIR)
    dev = {loc: found_by_the_blend(models[loc], detector, DEV) for loc in LOCALES}
    grid: dict[str, list[str]] = {
        concern: [
            " ".join("{}/{}".format(*removed(dev[loc], concern, level)) for loc in LOCALES)
            for level in LEVELS
        ]
        for concern in sorted(VETOABLE)
    }
    print_grid("concern", [f"encoder < {level}" for level in LEVELS], grid)
    doubt = choose(dev)
    print(f"chosen: {doubt}")
    if doubt is not None:
        levels = doubt.levels

        def removed_in(loc: str, directories: Sequence[Path]) -> tuple[int, int]:
            rows = found_by_the_blend(models[loc], detector, directories)
            counts = [removed(rows, concern, level) for concern, level in levels.items()]
            return sum(a for a, _ in counts), sum(c for _, c in counts)

        print_measured(removed_in)
    if "--serve" in sys.argv[1:]:
        serve(LOCALES_DIR / ENCODER_FILE, doubt)
        print(f"wrote the encoder doubt into {LOCALES_DIR / ENCODER_FILE}")


if __name__ == "__main__":
    main()
