"""The agreed veto: both readers all but sure a text shows no concern overrule the rules (stop 42).

Where the word rules find a crisis (not a relapse), it stood unless the nets' reading is under
`veto_below` (crisis_model.CrisisModel.overrules); since this veto, that needs the encoder under
`encoder_below` too (`CrisisModel.vetoes`), and the rows below leave out what the nets overrule.
The blend cannot veto: the encoder is asked only where the nets give some concern at the gate
(0.166) or more, so the blend stays above 0.6 * 0.166. Stop 41 measured a veto by the encoder
alone: it would clear most of English's blind rules' alarms, but on dev it loses plain
emergencies it reads as nothing ("no kicks all day", "el cordon salio antes que el bebe!!!"), so
it is not safe.

This bench chooses an agreed veto (crisis_encoder.AgreedVeto) on the dev sets only (rounds 4-7,
probes 35-38): a suicide, violence or relapse the rules found is overruled where the nets'
P(some concern) is under one level and the encoder's under another. An emergency or a baby's harm is
never overruled this way: both readers read some of them as nothing. A point of the grid is
safe when it removes no crisis text on dev (named right or not), nor does either next looser
point (the last level of each axis is only a neighbour); of the safe points, the one removing
the most dev false alarms is chosen, on a tie the first in (encoder, nets) order. Then it
shows what that veto does on probe 39 (dev, chose nothing) and on the blind rounds 8-12 (totals
only: no blind text is printed). --serve writes the chosen veto into the served file's
settings (build.py does too).
Run: .venv/bin/python -m bench.crisis_encoder.veto [--serve]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

from bench.crisis_encoder.paths import LOCALES
from bot.engine.crisis import CrisisDetector, load_detector
from bot.engine.crisis_encoder import ENCODER_FILE, AgreedVeto, CrisisEncoder
from bot.engine.crisis_lexicon import Concern
from bot.engine.crisis_model import READ_UP_TO, CrisisModel, load_models
from bot.engine.crisis_pieces import MAX_CHARS
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import (
    BLIND_ROUND_DIRS,
    DEV_ROUND_DIRS,
    PROBE39_DIR,
    PROBE_DIRS,
    Example,
    load_corpus,
)

VETOED: frozenset[Concern] = frozenset({"suicide", "violence", "relapse"})
ENCODER_LEVELS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)
NETS_LEVELS = (0.1, 0.2, 0.3, 0.5, 1.0)
DEV: Sequence[Path] = (*DEV_ROUND_DIRS, *PROBE_DIRS)
MEASURED: dict[str, Sequence[Path]] = {
    "probe 39 (dev, chose nothing)": (PROBE39_DIR,),
    "blind rounds 8-12": BLIND_ROUND_DIRS[4:],
}


@dataclass(frozen=True, slots=True)
class Standing:
    """A suicide, violence or relapse the rules found that stands without the agreed veto."""

    text: str
    label: str
    nets: float  # the nets' P(some concern)
    encoder: float  # the encoder's


def served_encoder(model: CrisisModel) -> CrisisEncoder:
    """The model's encoder; a bench that reads it cannot run without the file."""
    if model.encoder is None:
        raise SystemExit(f"no encoder file in {LOCALES_DIR}")
    return model.encoder


def rules_over(
    model: CrisisModel, detector: CrisisDetector, directories: Sequence[Path]
) -> Iterator[tuple[Example, Concern | None]]:
    """Each labelled text of the model's language in `directories`, with what the rules find
    in the whole text (the conversation reads them so: machine.crisis_reading)."""
    for directory in directories:
        for example in load_corpus(model.language, directory):
            found = detector.find(example.text)
            yield example, found.concern if found else None


def standing(
    model: CrisisModel, detector: CrisisDetector, directories: Sequence[Path]
) -> list[Standing]:
    """The texts an agreed veto could overrule, read as the conversation reads them
    (machine.crisis_reading: the rules on the whole text, the readers on its first
    READ_UP_TO characters; `doubts` reads no text longer than MAX_CHARS)."""
    encoder = served_encoder(model)
    rows = []
    for example, rules in rules_over(model, detector, directories):
        if rules not in VETOED:
            continue
        key = example.text[:READ_UP_TO]
        if rules != "relapse" and model.overrules(model.read(key)):
            continue  # a relapse the rules found stands whatever the nets read alone
        nets = model.nets_some(key)
        if nets is None or len(key) > MAX_CHARS:
            continue  # never overruled (`doubts`)
        some = 1.0 - encoder.probabilities(key)[0]
        rows.append(Standing(example.text, example.label, nets, some))
    return rows


def removed(rows: Sequence[Standing], encoder_below: float, nets_below: float) -> tuple[int, int]:
    """(false alarms removed, crisis texts removed) by a veto at these levels."""
    gone = [r for r in rows if r.encoder < encoder_below and r.nets < nets_below]
    alarms = sum(r.label == "ordinary" for r in gone)
    return alarms, len(gone) - alarms


def choose(dev: Mapping[str, Sequence[Standing]]) -> AgreedVeto | None:
    """The safe point removing the most dev false alarms (module doc), or None."""

    def crises(e: int, n: int) -> int:
        return sum(removed(rows, ENCODER_LEVELS[e], NETS_LEVELS[n])[1] for rows in dev.values())

    best: tuple[int, AgreedVeto] | None = None
    for e, n in product(range(len(ENCODER_LEVELS) - 1), range(len(NETS_LEVELS) - 1)):
        if crises(e, n) or crises(e + 1, n) or crises(e, n + 1):
            continue
        enc, nets = ENCODER_LEVELS[e], NETS_LEVELS[n]
        alarms = sum(removed(rows, enc, nets)[0] for rows in dev.values())
        if alarms and (best is None or alarms > best[0]):
            best = (alarms, AgreedVeto(VETOED, enc, nets))
    return None if best is None else best[1]


def write_setting(path: Path, name: str, value: object | None) -> None:
    """Set (or, with None, drop) one of the encoder file's settings; its tensors and head stay
    as they are."""
    with np.load(path, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    settings = json.loads(str(arrays.pop("settings")))
    settings.pop(name, None)
    if value is not None:
        settings[name] = value
    np.savez_compressed(path, settings=np.array(json.dumps(settings, sort_keys=True)), **arrays)


def serve(path: Path, veto: AgreedVeto | None) -> None:
    """Write the veto into the encoder file's settings."""
    value = None
    if veto is not None:
        value = {
            "concerns": sorted(veto.concerns),
            "encoder_below": veto.encoder_below,
            "nets_below": veto.nets_below,
        }
    write_setting(path, "agreed_veto", value)


def agreed_veto_on_dev(locales_dir: Path = LOCALES_DIR) -> AgreedVeto | None:
    """The veto chosen for the encoder file in `locales_dir` as it reads without one."""
    detector = load_detector(locales_dir, LOCALES)
    models = load_models(locales_dir, LOCALES)
    return choose({loc: standing(models[loc], detector, DEV) for loc in LOCALES})


def print_grid(corner: str, columns: Sequence[str], rows: Mapping[str, Sequence[str]]) -> None:
    """The dev table: per row label, its cells (false alarms / crisis texts removed)."""
    print("dev (rounds 4-7, probes 35-38): false alarms / crisis texts removed, en es pt_BR")
    print(f"| {corner} | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for label, cells in rows.items():
        print(f"| {label} | " + " | ".join(cells) + " |")


def print_measured(removed_in: Callable[[str, Sequence[Path]], tuple[int, int]]) -> None:
    """What the chosen levels remove on probe 39 and the blind rounds (totals only):
    `removed_in(locale, directories)` gives (false alarms, crisis texts)."""
    for name, directories in MEASURED.items():
        cells = ["{}/{}".format(*removed_in(loc, directories)) for loc in LOCALES]
        print(f"{name}: false alarms / crisis texts removed: " + ", ".join(cells))


def main() -> None:
    detector = load_detector(LOCALES_DIR, LOCALES)
    models = load_models(LOCALES_DIR, LOCALES)
    dev = {loc: standing(models[loc], detector, DEV) for loc in LOCALES}
    grid = {
        str(enc): [
            " ".join("{}/{}".format(*removed(dev[loc], enc, nets)) for loc in LOCALES)
            for nets in NETS_LEVELS
        ]
        for enc in ENCODER_LEVELS
    }
    print_grid("encoder below", [f"nets < {n}" for n in NETS_LEVELS], grid)
    veto = choose(dev)
    print(f"chosen: {veto}")
    if veto is not None:
        chosen = veto
        print_measured(
            lambda loc, dirs: removed(
                standing(models[loc], detector, dirs), chosen.encoder_below, chosen.nets_below
            )
        )
    if "--serve" in sys.argv[1:]:
        serve(LOCALES_DIR / ENCODER_FILE, veto)
        print(f"wrote the agreed veto into {LOCALES_DIR / ENCODER_FILE}")


if __name__ == "__main__":
    main()
