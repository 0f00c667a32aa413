"""The learned crisis second opinion: files load, clear crises are found, plan answers are not,
scoring is pure, and the committed weights were trained on today's inputs."""

from __future__ import annotations

import ast
import base64
import importlib.util
import json
import math
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine import crisis_model
from bot.engine.crisis import load_detector
from bot.engine.crisis_model import (
    CLASSES,
    FIELD,
    LEVELS,
    MODEL_FILE,
    OFFSET,
    CrisisModel,
    features,
    fold,
    load_model,
    load_models,
    negated,
    pack,
    second_opinion,
    unpack,
)
from bot.engine.crisis_pieces import MAX_CHARS
from bot.errors import ConfigError
from bot.i18n import LOCALES_DIR
from tests.crisis_corpus import LABELS, load_corpus, plan_answers_read_alone
from tests.crisis_model_inputs import (
    EXTRA_WAVE_33,
    LABELLED_DIRS,
    NEXT_TUNE,
    NOT_YET_TRAINED,
    REFUSALS_NOT_YET_TRAINED,
    own_inputs_digest,
)

LOCALES = ("en", "es", "pt_BR")

CLEAR = {
    "en": {
        "emergency": ["he overdosed and is not breathing", "my boyfriend overdosed please help"],
        "suicide": ["i want to kill myself", "i dont want to be alive anymore"],
        "violence": ["my husband hit me last night", "he said he will kill me"],
        "baby": ["i might hurt my baby", "i shook my baby"],
        "relapse": ["i used again last night", "i relapsed"],
    },
    "es": {
        "emergency": ["tuvo una sobredosis y no respira", "mi novio no respira ayuda"],
        "suicide": ["me quiero matar", "me quiero morir"],
        "violence": ["mi esposo me pego anoche", "me pegó mi marido"],
        "baby": ["quiero lastimar a mi bebe", "sacudi a mi bebe"],
        "relapse": ["recai anoche", "volvi a consumir"],
    },
    "pt_BR": {
        "emergency": ["ele teve overdose e nao respira", "meu namorado nao ta respirando socorro"],
        "suicide": ["quero me matar", "vou me matar"],
        "violence": ["meu marido me bateu ontem", "apanhei do meu companheiro"],
        "baby": ["tenho vontade de machucar meu bebe", "sacudi meu bebe"],
        "relapse": ["recai ontem", "voltei a usar"],
    },
}


@pytest.fixture(scope="module")
def models() -> dict[str, CrisisModel]:
    return load_models(LOCALES_DIR, LOCALES)


def test_every_language_has_a_threshold_in_one_small_model_file(
    models: dict[str, CrisisModel],
) -> None:
    assert sorted(models) == sorted(LOCALES)
    for locale, model in models.items():
        assert model.language == locale
        assert 0.0 < model.threshold < 1.0
        assert all(len(net) == len(CLASSES) for net in model.layer.out)
        assert model.layer is models["en"].layer  # one table, loaded once
    # 13.5 MB since stop 34 (three nets of 32 units, four bits a unit and piece); the linear
    # model's file was held under 6.5 MB since stop 30 (5 MB in stop 29). It loads once per
    # process (bench/README, stop 34: load time and memory beside the linear model's).
    assert (LOCALES_DIR / MODEL_FILE).stat().st_size < 13_500_000


@pytest.mark.parametrize("locale", LOCALES)
def test_clear_crises_are_found_with_their_concern(
    models: dict[str, CrisisModel], locale: str
) -> None:
    """Alone, the model names each clear crisis's concern at least at its loose threshold
    (the chosen one is set by out-of-fold false alarms on hard ordinary texts, so a clear text
    may score just under it); the conversation, rules or model, finds each at the chosen one."""
    model = models[locale]
    wrong = [
        (concern, text, model.score(text))
        for concern, texts in CLEAR[locale].items()
        for text in texts
        if model.find(text, model.threshold_loose) != concern
    ]
    assert not wrong
    detector = load_detector(LOCALES_DIR, LOCALES)
    missed = [
        (concern, text)
        for concern, texts in CLEAR[locale].items()
        for text in texts
        if second_opinion(model, text, (f.concern if (f := detector.find(text)) else None))
        != concern
    ]
    assert not missed


@pytest.mark.parametrize("locale", LOCALES)
def test_plan_answers_do_not_alarm(models: dict[str, CrisisModel], locale: str) -> None:
    """The plan answers the model may read alone (the others: tests/engine/
    test_crisis_second_reader.py, in the conversation)."""
    model = models[locale]
    alarms = [e.text for e in plan_answers_read_alone(locale) if model.find(e.text)]
    assert not alarms


def test_score_is_pure_and_repeatable(models: dict[str, CrisisModel]) -> None:
    """Same text, same answer; nothing the model holds changes while it scores."""
    model = models["en"]
    size = len(model.weights)
    first = [model.score(t) for t in ("i want to die", "yes", "", "😀", "x" * 5000)]
    assert first == [model.score(t) for t in ("i want to die", "yes", "", "😀", "x" * 5000)]
    assert len(model.weights) == size
    assert model.score("") == (None, 0.0)
    assert model.score("me") == (None, 0.0)  # one word is the rules' to read


def test_module_does_no_io_after_load() -> None:
    """Only load_model touches a file; score and find call nothing outside the module."""
    tree = ast.parse(Path(crisis_model.__file__).read_text("utf-8"))
    methods = {
        node.name: node
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name == "CrisisModel"
        for node in cls.body
        if isinstance(node, ast.FunctionDef)
    }
    for name in ("score", "find"):
        calls = {
            n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            for n in ast.walk(methods[name])
            if isinstance(n, ast.Call)
        }
        assert not calls & {"open", "read_text", "read_bytes", "loads", "load"}


def test_fold_squeezes_letters_and_drops_accents() -> None:
    assert fold("Me KIEROOO morir!!") == "me kiero morir"
    assert fold("não aguento mais… ") == "nao aguento mais"
    assert fold("I'm sooo done") == "im so done"


def test_words_after_a_negation_are_read_as_negated() -> None:
    no = frozenset({"not", "nao", "no"})
    assert negated(["im", "not", "going", "to", "hurt", "myself", "today"], no, 4) == [
        "~going",
        "~to",
        "~hurt",
        "~myself",
    ]
    # A new negation starts the count again; the negation itself is no negated piece.
    assert negated(["nao", "sei", "nao", "quero", "morrer"], no, 2) == ["~sei", "~quero", "~morrer"]
    assert negated(["i", "want", "to", "die"], no, 4) == []
    assert features("not me", no, 0) == features("not me")  # window 0: no scope pieces
    assert "~me" in features("not me", no, 4)


def test_the_files_negations_reach_the_model() -> None:
    """The negation words and window come from the model file (the trainer writes the ones it
    trained with); a file without them reads no negation scope."""
    data = json.loads((LOCALES_DIR / MODEL_FILE).read_text("utf-8"))
    model = crisis_model.models_from_data(data)["en"]
    assert model.negations == frozenset(data.get("negations", ()))
    assert model.negation_window == data.get("negation_window", 0)
    bare = {k: v for k, v in data.items() if k not in ("negations", "negation_window")}
    assert crisis_model.models_from_data(bare)["en"].negation_window == 0
    if model.negation_window:
        assert {"not", "no", "nunca", "nao", "dont"} <= model.negations


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_weights_were_trained_on_the_models_own_inputs(locale: str) -> None:
    """The file records digests of its training texts and settings. The model's own texts
    (crisis_model_extra, crisis_ordinary) and settings must match: retrain
    (`bench/train_crisis_model.py`) after changing them. The shared labelled set may have
    grown since (bench_crisis_model.py says so); that alone does not fail here."""
    data = json.loads((LOCALES_DIR / MODEL_FILE).read_text("utf-8"))
    assert data["own_inputs_sha256"][locale] == own_inputs_digest(locale, data["settings"])


@pytest.mark.parametrize(
    ("sets", "trained"),
    [
        # Stop 33's, kept out of training until a model gained from them (stop 34).
        (EXTRA_WAVE_33, True),
        # extra88-92, kept for a steadier threshold rule: the committed file was not trained
        # on them.
        (NOT_YET_TRAINED, False),
        # extra93-95: tried in the encoder's fine-tune (stop 41), not adopted.
        (NEXT_TUNE, False),
        # extra96-98: the nets retrained with them (stop 44), not adopted.
        (REFUSALS_NOT_YET_TRAINED, False),
    ],
)
def test_sets_of_one_writer_load_with_every_label_in_or_out_of_training(
    sets: tuple[Path, ...], trained: bool
) -> None:
    """Each set: one writer and one language, every label, no text twice; among the
    trainer's inputs or not, as tests/crisis_model_inputs.py says."""
    assert sets
    assert all((directory in LABELLED_DIRS) == trained for directory in sets)
    for directory in sets:
        files = sorted(directory.glob("*.yaml"))
        assert len(files) == 1, directory  # one writer, one language
        examples = load_corpus(files[0].stem, directory)
        counts = {label: sum(e.label == label for e in examples) for label in LABELS}
        assert min(counts.values()) >= 5, (directory.name, counts)
        assert len({e.text for e in examples}) == len(examples), directory.name


@cache
def _trainer() -> ModuleType:
    """bench/train_crisis_model.py as a module (bench/ is not a package), loaded once."""
    path = Path(__file__).resolve().parents[2] / "bench" / "train_crisis_model.py"
    spec = importlib.util.spec_from_file_location("train_crisis_model", path)
    assert spec is not None
    assert spec.loader is not None
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    return trainer


@pytest.fixture
def small_trainer(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The trainer set for a handful of texts: every piece kept, many passes over them."""
    trainer = _trainer()
    monkeypatch.setitem(trainer.SETTINGS, "min_count", 1)
    monkeypatch.setitem(trainer.SETTINGS, "epochs", 150)
    return trainer


def test_training_is_deterministic(small_trainer: ModuleType) -> None:
    """Two trainings on the same texts give the same weights, bit for bit, and the same file
    fields."""
    pairs = [
        ("i want to die", "suicide"),
        ("he hit me", "violence"),
        ("i used again", "relapse"),
        ("yes", "ordinary"),
        ("i want to sleep", "ordinary"),
        ("he hit the jackpot", "ordinary"),
    ]
    first, second = small_trainer.train(pairs), small_trainer.train(pairs)
    assert first[0] == second[0]
    assert len(first[1]) == small_trainer.SETTINGS["nets"]
    for one, other in zip(first[1], second[1], strict=True):
        assert all(a.tobytes() == b.tobytes() for a, b in zip(one, other, strict=True))
    assert small_trainer.layer_data(first) == small_trainer.layer_data(second)
    # Nets start from their own seeds.
    assert first[1][0][0].tobytes() != first[1][1][0].tobytes()


def test_the_served_model_reads_what_was_trained(small_trainer: ModuleType) -> None:
    """The file's four-bit weights and the reader's integer sums give what the trained floats
    give, within what rounding moves; the texts it was taught are read as taught."""
    pairs = [
        ("my boyfriend hits me every night", "violence"),
        ("i want to die tonight", "suicide"),
        ("i want to sleep tonight", "ordinary"),
        ("my boyfriend cooks every night", "ordinary"),
    ] * 2
    model = small_trainer.train(pairs)
    reader = small_trainer.served(model)
    for text, label in pairs:
        concern, probability = reader.score(text)
        if label == "ordinary":
            assert probability < 0.2, text
        else:
            assert (concern, probability > 0.8) == (label, True), text
        assert abs(probability - _float_score(small_trainer, model, text)) < 0.05, text


def _float_score(trainer: ModuleType, model: tuple[list[str], list[tuple]], text: str) -> float:
    """P(some concern) from the trained floats, the nets averaged (no quantizing, no packing)."""
    vocab, nets = model
    index = {g: i for i, g in enumerate(vocab)}
    pieces = trainer._pieces(text)
    ids = [index[g] for g in pieces if g in index]
    ordinary = 0.0
    for embed, bias, out, out_bias in nets:
        units = [
            max(sum(embed[i][u] for i in ids) / len(pieces) ** 0.5 + bias[u], 0.0)
            for u in range(len(bias))
        ]
        z = [
            out_bias[c] + sum(units[u] * out[u][c] for u in range(len(units)))
            for c in range(len(CLASSES))
        ]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        ordinary += e[0] / sum(e)
    return 1.0 - ordinary / len(nets)


def test_threshold_floor_keeps_every_plan_answer_quiet(small_trainer: ModuleType) -> None:
    """The trainer never chooses a threshold at which a plan answer the model may read alone
    alarms: the floor is on the 0.01 grid, above every such answer's score by at least the
    margin."""
    trainer = small_trainer
    # A model that has learnt "boyfriend" and "sister" as crisis words scores plan answers high.
    pairs = [
        ("my boyfriend hits me", "violence"),
        ("my boyfriend and my sister hurt me", "violence"),
        ("yes", "ordinary"),
    ]
    model = trainer.train(pairs)
    margin = float(trainer.SETTINGS["plan_answer_margin"])
    texts = trainer.plan_answers_the_model_reads("en")
    assert "my boyfriend and my sister" in texts
    assert "i have a plan" not in texts  # a whole answer to the birth control question
    reader = trainer.served(model)
    top = max(reader.score(t)[1] for t in texts)
    floor = trainer.plan_answer_floor(reader, "en")
    assert top > 0.5  # the case the floor is for
    assert floor == min(round(floor, 2), 0.99)
    assert floor >= min(top + margin, 0.99)


def test_choose_threshold_is_the_lowest_with_few_enough_alarms() -> None:
    """Of 100 ordinary texts, 1 % may alarm at the chosen threshold and 2 % at the loose one."""
    trainer = _trainer()
    scores = [0.99, 0.95, 0.5] + [0.1] * 97
    assert trainer.SETTINGS["target_false_alarms"] == 0.01
    assert trainer.choose_threshold(scores, "target_false_alarms") == 0.96
    assert trainer.choose_threshold(scores, "loose_false_alarms") == 0.51


def test_committed_thresholds_keep_the_dev_rounds_false_alarms_at_the_target() -> None:
    """The nets alone (crisis_model.json, without the encoder), at each language's committed
    threshold, alarm on at most 1 % of the dev rounds' ordinary texts (real-style messages,
    never trained on), and are not held above the lowest such threshold but by a plan answer's
    floor. The served blend's thresholds are chosen on more dev texts (build.py; held in
    tests/engine/test_crisis_encoder.py)."""
    models = load_model(LOCALES_DIR / MODEL_FILE)
    trainer = _trainer()
    target = float(trainer.SETTINGS["target_false_alarms"])
    for locale, model in models.items():
        texts = trainer.dev_ordinary(locale)
        assert len(texts) > 500
        alarms = sum(1 for text in texts if model.find(text))
        assert alarms <= target * len(texts), (locale, alarms, len(texts))
        lower = round(model.threshold - 0.01, 2)
        more = sum(1 for text in texts if model.find(text, lower))
        margin = float(trainer.SETTINGS["plan_answer_margin"])
        top_plan = max(model.score(e.text)[1] for e in plan_answers_read_alone(locale))
        floor_allows = top_plan + margin <= lower
        assert more > target * len(texts) or not floor_allows, (locale, model.threshold)


_ROWS = st.lists(st.lists(st.integers(-LEVELS, LEVELS), min_size=4, max_size=4), min_size=1)


@given(_ROWS)
def test_packed_rows_add_up_to_each_units_sum(rows: list[list[int]]) -> None:
    """One int add per piece sums every unit at once: the fields never carry into each other."""
    total = sum(pack(row) for row in rows)
    assert unpack(total, len(rows), 4) == [sum(unit) for unit in zip(*rows, strict=True)]


@given(_ROWS)
def test_the_files_four_bit_rows_load_as_packed_rows(rows: list[list[int]]) -> None:
    """Two units to a byte, the first in the low half, value + OFFSET (as the trainer writes)."""
    pairs = [pair for row in rows for pair in zip(row[::2], row[1::2], strict=True)]
    blob = bytes((a + OFFSET) | ((b + OFFSET) << 4) for a, b in pairs)
    pieces = [f"p{n:04d}" for n in range(len(rows))]
    data = {
        "pieces": pieces,
        "rows": base64.b64encode(blob).decode("ascii"),
        "steps": [1.0] * 4,
        "bias": [0.0] * 4,
        "out": [[[0.0] * 4] * len(CLASSES)],
        "out_bias": [[0.0] * len(CLASSES)],
    }
    layer = crisis_model.layer_from_data(data)
    assert [layer.weights[p] for p in pieces] == [pack(row) for row in rows]


def test_the_longest_text_cannot_overflow_a_units_field() -> None:
    """A text is read up to MAX_CHARS; even if every one of its pieces were known and held the
    largest stored value, no unit's sum would reach the next field."""
    longest = features(fold("ab " * MAX_CHARS), frozenset({"ab"}), 4)
    assert len(longest) * (LEVELS + OFFSET) < 2**FIELD
    # A character that unfolds to five ("㎯" -> "mm2") cannot make a text longer.
    for text in ("㎯" * MAX_CHARS, "ﬃ x " * MAX_CHARS, "⑽" * MAX_CHARS):
        assert len(fold(text)) <= MAX_CHARS
        assert len(features(fold(text), frozenset({"x"}), 4)) * (LEVELS + OFFSET) < 2**FIELD


def test_a_file_whose_rows_and_units_disagree_is_refused() -> None:
    data = json.loads((LOCALES_DIR / MODEL_FILE).read_text("utf-8"))
    broken = {**data, "pieces": data["pieces"][:-1]}
    with pytest.raises(ConfigError):
        crisis_model.models_from_data(broken)
