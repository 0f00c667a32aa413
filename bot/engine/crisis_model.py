"""A learned second opinion on crisis texts: small neural nets over character and word pieces.

The rules in crisis.py read what their phrase lists and word classes foresee; wording nobody
wrote down slips by. This model reads every text as overlapping pieces: character n-grams
(2 to 5 letters) of the folded text (lower case, accents off, apostrophes and punctuation
dropped, a run of one letter squeezed to one: "kiiill" -> "kil"), its words and word pairs, and
the few words after a negation marked as negated (since stop 33; the file lists the negations;
crisis_pieces.py cuts them).
Since stop 34 it is three small nets whose probabilities are averaged: in each, the pieces'
rows are summed (scaled by 1/sqrt(pieces)) into 32 hidden units, through a ReLU, into the six
classes (ordinary and the five concerns) and a softmax. Until stop 33 it was one linear layer
(multinomial logistic regression), which had stopped gaining from more texts. One model reads
all three languages (parents mix them, and Spanish and Portuguese share most of their pieces):
its weights come from `locales/crisis_model.json`, trained by `bench/train_crisis_model.py` on
every language's labelled texts and many ordinary ones, with a threshold per language. Each
piece's units are stored in four bits, so the file stays small. After loading, `score` is
pure: a dict lookup per piece, one integer sum, a few dozen multiplications; no I/O. The weights'
packing and the nets' arithmetic live in crisis_layer.py.

`score(text)` gives the most probable concern and the probability that the text shows any
concern (1 - P(ordinary)); `find(text)` gives that concern when the probability reaches the
threshold chosen at training for the parent's language (where the model alone alarms on at most
1 % of the dev rounds' ordinary texts, rounds 4-7; never on the blind rounds 8 onwards).
`overrules(reading)` says whether the model read the text and gives it less than the file's
`veto_below` (0.02): a crisis the word rules found there is then not acted on (their false
alarms are mostly exact phrases in ordinary texts: "my neighbor od'd last month, hes ok now").
`renames(reading, rules)` gives the other crisis the model names where the rules found one, when
it gives that crisis at least the file's `rename_above` (0.7) on its own (stop 35): the rules
answer the first concern their phrases meet; the model weighs the whole text ("he hit the baby"
is about the baby more than the violence). An emergency the rules found is never renamed: its
reply is the most urgent (call 911 now), and none is renamed to a relapse.

Since stop 38 a fine-tuned multilingual encoder (crisis_encoder.py, `locales/crisis_encoder.npz`)
reads beside the nets where they see some concern (at least its gate): the reading is then the
blend of the two (its weight in the file), and the thresholds are the blend's, chosen as the
nets' are (bench/crisis_encoder/build.py). Without that file the nets read alone. Since stop 42
the file may hold an agreed veto (crisis_encoder.AgreedVeto, `doubts`): a suicide, violence or
relapse the rules found is not acted on where both readers are all but sure the text shows none
(the blend cannot veto: it exists only at the gate and above, far over `veto_below`). Since stop
45 it may hold an encoder doubt (crisis_encoder.EncoderDoubt): a relapse the blend names where
the rules found none is not acted on where the encoder alone is all but sure of nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple, cast

from bot.engine.crisis_encoder import ENCODER_FILE, AgreedVeto, CrisisEncoder, load_encoder
from bot.engine.crisis_layer import (
    CLASSES,
    FIELD,
    LEVELS,
    OFFSET,
    HiddenLayer,
    layer_from_data,
    pack,
    unpack,
)
from bot.engine.crisis_lexicon import CONCERNS, Concern
from bot.engine.crisis_pieces import MAX_CHARS, features, fold, long_enough, negated
from bot.engine.short_texts import remembered
from bot.errors import ConfigError

__all__ = [
    "CLASSES",
    "FIELD",
    "LEVELS",
    "MODEL_FILE",
    "OFFSET",
    "READ_UP_TO",
    "CrisisModel",
    "HiddenLayer",
    "Reading",
    "features",
    "fold",
    "layer_from_data",
    "load_model",
    "load_models",
    "long_enough",
    "models_from_data",
    "negated",
    "pack",
    "second_opinion",
    "unpack",
    "with_encoder",
]

MODEL_FILE = "crisis_model.json"


class Reading(NamedTuple):
    """What the model read in a text: its most probable concern (None when nothing in it is
    known, or it is one word), the probability of some concern (1 - P(ordinary)) and that of
    the concern named alone."""

    concern: Concern | None
    probability: float
    share: float


UNREAD = Reading(None, 0.0, 0.0)
# Characters of a text the conversation reads for a crisis (machine.py).
READ_UP_TO = 500
# The texts whose readings are kept: all the conversation reads, so a reading made ahead of the
# step (`asks_encoder`, off the event loop) is the one the step finds.
_REMEMBER_UP_TO = READ_UP_TO
_REMEMBER_MAX = 20_000


@dataclass(frozen=True, slots=True)
class CrisisModel:
    """The shared weights and one language's thresholds; `score` and `find` are pure."""

    language: str
    threshold: float  # this language's: the trainer's target_false_alarms on the dev rounds
    threshold_loose: float  # the same at <= 2 %, for a caller that weighs recall higher
    layer: HiddenLayer
    # A crisis the rules find stands unless the model scores the text below this (0: never).
    veto_below: float = 0.0
    # A crisis the rules find (not an emergency) is named as the model's other crisis when the
    # model gives that crisis at least this probability on its own (0: never).
    rename_above: float = 0.0
    # Words that negate (folded, every language's) and how many words after one are read as
    # negated ("~word" pieces); a file without them reads no negation scope.
    negations: frozenset[str] = frozenset()
    negation_window: int = 0
    # The fine-tuned encoder read beside the nets (None: the nets alone); with it, the
    # thresholds above are the blend's.
    encoder: CrisisEncoder | None = None
    # Scores of short texts already read, shared by the models that share the weights: the
    # flood guard (Engine.is_crisis) and the conversation read the same text, and short texts
    # repeat. A cache of a pure function: the answers are the same.
    scores: dict[str, Reading] = field(default_factory=dict, compare=False, repr=False)

    @property
    def weights(self) -> Mapping[str, int]:
        """The piece table every language's model shares."""
        return self.layer.weights

    def score(self, text: str) -> tuple[Concern | None, float]:
        """The most probable concern (None when nothing in the text is known, or it is one
        word) and the probability that the text shows some concern."""
        reading = self.read(text)
        return reading.concern, reading.probability

    def read(self, text: str) -> Reading:
        """The text's reading (`score` and the probability of its concern alone)."""
        return remembered(self.scores, text, self._read, _REMEMBER_UP_TO, _REMEMBER_MAX)

    def asks_encoder(self, text: str, rules: Concern | None = None) -> bool:
        """Whether reading the text where the word rules found `rules` (second_opinion) would
        ask the encoder (~17 ms of one core): there is one, its reading is not remembered, and
        the nets see some concern at least its gate, or the rules' finding is one the agreed
        veto may overrule and the nets' reading is under its `nets_below` (`doubts`), or the
        nets would overrule the rules' crisis and the encoder must agree (`vetoes`). A caller
        on an event loop then reads the text in a worker thread first. Otherwise the nets'
        reading is the reading, and it is remembered here: `read` only looks it up."""
        encoder = self.encoder
        veto = self._agreed_veto(rules, text)
        # The nets' own veto of a crisis asks the encoder's agreement (`vetoes`).
        agreeing = (
            self._file_veto is not None
            and rules not in (None, "relapse")
            and len(text) <= MAX_CHARS
        )
        if encoder is None or encoder.knows(text):
            return False
        if text in self.scores and veto is None and not agreeing:
            return False
        p = self._nets(text)
        some = None if p is None else 1.0 - p[0]
        if some is not None and (
            some >= encoder.settings.gate
            or (veto is not None and some < veto.nets_below)
            or (agreeing and some < self.veto_below)
        ):
            return True
        remembered(
            self.scores, text, lambda _: self._blend(text, p), _REMEMBER_UP_TO, _REMEMBER_MAX
        )
        return False

    def vetoes(self, text: str, reading: Reading, rules: Concern) -> bool:
        """Whether the crisis the rules found in `text` (read: `reading`) is not acted on: the
        model all but sure it shows none (`overrules`) and, where the encoder file holds an
        agreed veto, the encoder under its `encoder_below` too; or both readers under the
        agreed veto's levels (`doubts`). Never a text longer than the readers read
        (MAX_CHARS): the rules' words may lie past it."""
        if len(text) > MAX_CHARS:
            return False
        if self.overrules(reading) and self._encoder_agrees(text):
            return True
        return self.doubts(text, rules)

    def _encoder_agrees(self, text: str) -> bool:
        """The encoder sees no concern either, where the file holds an agreed veto (stop 42:
        the nets alone had overruled "desde el almuerzo mi bebe no patea" and "voy a dejar al
        bebe en la estacion de bomberos", which the encoder read as crises at 0.90 and 0.97)."""
        veto = self._file_veto
        return veto is None or self._encoder_under(text, veto)

    def _encoder_under(self, text: str, veto: AgreedVeto) -> bool:
        encoder = self.encoder
        return encoder is not None and 1.0 - encoder.probabilities(text)[0] < veto.encoder_below

    def doubts(self, text: str, rules: Concern) -> bool:
        """Whether both readers are all but sure the text shows no concern where the rules
        found `rules`, one the encoder file's agreed veto may overrule: the nets' P(some
        concern) under its `nets_below` and the encoder's under its `encoder_below`. Never
        for a text longer than the readers read (MAX_CHARS): the rules' words may lie past it."""
        veto = self._agreed_veto(rules, text)
        if veto is None:
            return False
        some = self.nets_some(text)
        return some is not None and some < veto.nets_below and self._encoder_under(text, veto)

    def encoder_doubts(self, text: str, concern: Concern) -> bool:
        """Whether the encoder alone all but rules out the `concern` the blend found in `text`
        (the file's crisis_encoder.EncoderDoubt): under that concern's level of P(some)."""
        encoder = self.encoder
        doubt = None if encoder is None else encoder.settings.encoder_doubt
        level = None if doubt is None else doubt.levels.get(concern)
        if encoder is None or level is None:
            return False
        return 1.0 - encoder.probabilities(text)[0] < level

    def nets_some(self, text: str) -> float | None:
        """The nets' own P(some concern), or None where they do not read the text."""
        p = self._nets(text)
        return None if p is None else 1.0 - p[0]

    @property
    def _file_veto(self) -> AgreedVeto | None:
        return None if self.encoder is None else self.encoder.settings.agreed_veto

    def _agreed_veto(self, rules: Concern | None, text: str) -> AgreedVeto | None:
        """The file's agreed veto where it may overrule `rules` in this text."""
        veto = self._file_veto
        if veto is None or rules not in veto.concerns or len(text) > MAX_CHARS:
            return None
        return veto

    def _read(self, text: str) -> Reading:
        return self._blend(text, self._nets(text))

    def _nets(self, text: str) -> list[float] | None:
        """The nets' P(class), or None when the text is too short or no piece is known."""
        folded = fold(text)
        if not long_enough(folded):
            return None
        return self.layer.probabilities(features(folded, self.negations, self.negation_window))

    def _blend(self, text: str, p: list[float] | None) -> Reading:
        """The reading from the nets' P(class): blended with the encoder's at the gate."""
        if p is None:
            return UNREAD
        encoder = self.encoder
        if encoder is not None and 1.0 - p[0] >= encoder.settings.gate:
            w = encoder.settings.weight
            q = encoder.probabilities(text)
            p = [(1.0 - w) * a + w * b for a, b in zip(p, q, strict=True)]
        best = max(range(1, len(p)), key=p.__getitem__)
        return Reading(CONCERNS[best - 1], 1.0 - p[0], p[best])

    def overrules(self, reading: Reading) -> bool:
        """Whether the model, having read the text (`read`: two words or more, some piece
        known), is all but sure it shows no concern: what the rules found there is not acted
        on."""
        return reading.concern is not None and reading.probability < self.veto_below

    def renames(self, reading: Reading, rules: Concern) -> Concern | None:
        """The other crisis the model names (`read`) where the rules found `rules`: its most
        probable concern, when that is another crisis (not a relapse) with at least
        `rename_above` of the probability on its own, and the rules' concern is not an
        emergency (the most urgent reply stays). None: the rules' concern stands."""
        if not self.rename_above or rules in ("emergency", "relapse"):
            return None
        if reading.concern in (None, rules, "relapse") or reading.share < self.rename_above:
            return None
        return reading.concern

    def find(self, text: str, threshold: float | None = None) -> Concern | None:
        """The concern, when the model is at least `threshold` (the file's, unless given)
        sure the text shows one."""
        concern, probability = self.score(text)
        return (
            concern if probability >= (self.threshold if threshold is None else threshold) else None
        )


def second_opinion(
    model: CrisisModel | None, text: str, rules: Concern | None, threshold: float | None = None
) -> Concern | None:
    """What the conversation acts on, given what the word rules found. A crisis the rules
    found stands, unless the model read the text and is all but sure it shows none (below the
    file's `veto_below`: "my neighbor od'd last month, hes in treatment now"), both readers
    are (`CrisisModel.doubts`: "mi hermana me va a matar cuando sepa que le manche su blusa"),
    or the model is sure it shows another crisis (`CrisisModel.renames`: "he hit the baby" is
    the baby's); a relapse the rules found stands unless both readers doubt it (`doubts`).
    Where they found nothing, or only a relapse, the model may name a crisis it is sure of
    ("the baby fell off the bed because I was high" is about the baby, not only a relapse);
    where they found nothing, a relapse too; either unless the encoder alone all but rules it
    out (`CrisisModel.encoder_doubts`: "volvi a la escuela!")."""
    if model is None:
        return rules
    if rules not in (None, "relapse"):
        reading = model.read(text)  # once: a text past _REMEMBER_UP_TO is not remembered
        if model.vetoes(text, reading, rules):
            return None
        return model.renames(reading, rules) or rules
    found = model.find(text, threshold)
    if found is not None and found != rules and model.encoder_doubts(text, found):
        found = None  # the blend's, which the encoder alone all but rules out (stop 45)
    if rules == "relapse" and found in (None, "relapse") and model.doubts(text, rules):
        return None  # a crisis the model names stands, whatever the veto's levels
    return rules if found is None or (rules == "relapse" and found == "relapse") else found


def models_from_data(data: Mapping[str, object]) -> dict[str, CrisisModel]:
    """One model per language from the parsed JSON: one shared layer, each language with its
    own thresholds."""
    classes = tuple(cast(Sequence[str], data["classes"]))
    if classes != CLASSES:
        raise ConfigError(f"crisis model classes {classes!r}, expected {CLASSES!r}")
    layer = layer_from_data(data)
    scores: dict[str, Reading] = {}
    negations = frozenset(cast(Sequence[str], data.get("negations", ())))
    window = int(cast(int, data.get("negation_window", 0)))
    strict = cast(Mapping[str, float], data["thresholds"])
    loose = cast(Mapping[str, float], data.get("thresholds_loose", strict))
    return {
        language: CrisisModel(
            language=language,
            threshold=float(strict[language]),
            threshold_loose=float(loose.get(language, strict[language])),
            layer=layer,
            veto_below=float(cast(float, data.get("veto_below", 0.0))),
            rename_above=float(cast(float, data.get("rename_above", 0.0))),
            negations=negations,
            negation_window=window,
            scores=scores,
        )
        for language in cast(Sequence[str], data["languages"])
    }


def load_model(path: Path) -> dict[str, CrisisModel]:
    """The model file: one model per language it was trained for (all share the weights)."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from error
    if not isinstance(data, dict) or "thresholds" not in data:
        raise ConfigError(f"{path}: not a crisis model file")
    try:
        return models_from_data(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"{path}: {error!r}") from error


def load_models(locales_dir: Path, locales: Iterable[str]) -> dict[str, CrisisModel]:
    """The model of each language asked for, keyed by language (`locales_dir/crisis_model.json`);
    a language the file has no threshold for has none."""
    path = locales_dir / MODEL_FILE
    if not path.is_file():
        return {}
    models = load_model(path)
    chosen = {locale: models[locale] for locale in dict.fromkeys(locales) if locale in models}
    encoder_path = locales_dir / ENCODER_FILE
    return with_encoder(chosen, load_encoder(encoder_path)) if encoder_path.is_file() else chosen


def with_encoder(
    models: Mapping[str, CrisisModel], encoder: CrisisEncoder
) -> dict[str, CrisisModel]:
    """The models reading with the encoder beside them, at the blend's thresholds (and one
    shared cache of readings, as before); a language the encoder has no threshold for reads
    with the nets alone. ConfigError when the encoder's classes are not the nets'."""
    if encoder.settings.classes != CLASSES:
        raise ConfigError(f"crisis encoder classes {encoder.settings.classes!r} != {CLASSES!r}")
    scores: dict[str, Reading] = {}
    strict, loose = encoder.settings.thresholds, encoder.settings.thresholds_loose
    return {
        language: replace(
            model,
            encoder=encoder,
            threshold=strict[language],
            threshold_loose=loose.get(language, strict[language]),
            scores=scores,
        )
        if language in strict
        else model
        for language, model in models.items()
    }
