"""Step 1 (project venv): the training pairs and every measured set, to var/crisis_encoder/.

Writes texts.pkl: {"train": {locale: [(text, label)]}, "sets": {name: {locale: [(text,
label)]}}}. The training pairs are the learned model's and the sets it does not read yet
(tests/crisis_model_inputs.encoder_training_examples: the leak guard keeps them away from the
blind rounds); the sets are the rounds (4-7 dev, 8 onwards
blind: scored as totals, never printed), the probes and the plan answers.
Run: .venv/bin/python -m bench.crisis_encoder.dump
"""

from __future__ import annotations

import pickle

from bench.crisis_encoder.paths import LOCALES, OUT
from tests.crisis_corpus import (
    BLIND_ROUND_DIRS,
    PROBE_DIRS,
    load_corpus,
    plan_answers_read_alone,
    understanding_replies,
)
from tests.crisis_model_inputs import encoder_training_examples


def main() -> None:
    directories = {d.name: d for d in BLIND_ROUND_DIRS}
    directories |= {d.name: d for d in PROBE_DIRS}
    sets: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for name, directory in directories.items():
        sets[name] = {
            locale: [(e.text, e.label) for e in load_corpus(locale, directory)]
            for locale in LOCALES
            if (directory / f"{locale}.yaml").is_file()
        }
    sets["plan_all"] = {
        locale: [(e.text, e.label) for e in understanding_replies(locale)] for locale in LOCALES
    }
    sets["plan_alone"] = {
        locale: [(e.text, e.label) for e in plan_answers_read_alone(locale)] for locale in LOCALES
    }
    train = {locale: encoder_training_examples(locale) for locale in LOCALES}
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "texts.pkl").open("wb") as handle:
        pickle.dump({"train": train, "sets": sets}, handle)
    print({locale: len(pairs) for locale, pairs in train.items()}, "training pairs")


if __name__ == "__main__":
    main()
