"""The learned crisis reader's weights in memory: each piece's row of small integers packed
into one int, and the small nets that turn a text's summed rows into class probabilities.

Split from crisis_model.py (stop 35), which reads texts into pieces and decides what a score
means; this module only holds and multiplies the weights the trainer stored
(bench/train_crisis_model.py `layer_data`). Pure: no I/O.
"""

from __future__ import annotations

import base64
import math
import operator
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from bot.engine.crisis_lexicon import CONCERNS
from bot.errors import ConfigError

__all__ = [
    "CLASSES",
    "FIELD",
    "LEVELS",
    "OFFSET",
    "HiddenLayer",
    "layer_from_data",
    "pack",
    "unpack",
]

# What the nets tell apart. Index 0 is "ordinary"; the concerns follow in CONCERNS order.
CLASSES: tuple[str, ...] = ("ordinary", *CONCERNS)

# A piece's row (one small integer per hidden unit of every net, -7..7: four bits each in the
# file, two to a byte) is held with OFFSET added, each unit in its own FIELD bits of one int:
# sum(...) over a text's pieces then adds every unit's value in one C loop, exactly and without
# carries (15 * pieces < 2**FIELD: a text of MAX_CHARS has fewer than 2,500 pieces), and
# `unpack` reads the total's fields back as one array.
FIELD = 16
OFFSET = 8
LEVELS = 7  # a unit's stored values: -LEVELS..LEVELS
_BYTES = FIELD // 8
_LOW = bytes(b & 0x0F for b in range(256))
_HIGH = bytes(b >> 4 for b in range(256))


def pack(row: Sequence[int]) -> int:
    """One row of integers (-LEVELS..LEVELS) as one int, `OFFSET` added to each."""
    return int.from_bytes(array("H", [v + OFFSET for v in row]).tobytes(), "little")


def unpack(total: int, pieces: int, size: int) -> list[int]:
    """The sum of `pieces` packed rows of `size` units, as those units' sums."""
    fields = array("H")
    fields.frombytes(total.to_bytes(_BYTES * size, "little"))
    offset = OFFSET * pieces
    return [v - offset for v in fields]


def _rows(blob: bytes, size: int) -> list[int]:
    """Every row of a stored table as packed ints. The file holds value + OFFSET in four bits,
    a row's units in order, the even unit in a byte's low half: each half is cut out (a
    translate table) and widened to its FIELD (slice assignment), both in C."""
    wide = bytearray(2 * _BYTES * len(blob))
    wide[:: 2 * _BYTES] = blob.translate(_LOW)
    wide[_BYTES :: 2 * _BYTES] = blob.translate(_HIGH)
    step = _BYTES * size
    return [int.from_bytes(wide[i : i + step], "little") for i in range(0, len(wide), step)]


def _softmax(z: Sequence[float]) -> list[float]:
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return [v / total for v in e]


@dataclass(frozen=True, slots=True)
class HiddenLayer:
    """The weights every language shares: `nets` small networks, each a text's pieces summed
    (scaled by 1/sqrt(pieces)) into `width` hidden units, through a ReLU, into the six
    classes; their probabilities are averaged (stop 34)."""

    weights: Mapping[str, int]  # piece -> its row (nets * width units), packed
    steps: tuple[float, ...]  # per unit: what one integer step of its stored value is worth
    bias: tuple[float, ...]  # per unit
    out: tuple[tuple[tuple[float, ...], ...], ...]  # per net, per class: a weight per unit
    out_bias: tuple[tuple[float, ...], ...]  # per net, per class

    @property
    def width(self) -> int:
        return len(self.out[0][0])

    def probabilities(self, grams: Sequence[str]) -> list[float] | None:
        """P(class) averaged over the nets, or None when no piece is known."""
        found = list(filter(None, map(self.weights.get, grams)))
        if not found:
            return None
        factor = 1.0 / math.sqrt(len(grams))
        sums = unpack(sum(found), len(found), len(self.steps))
        units = [
            max(s * step * factor + b, 0.0)
            for s, step, b in zip(sums, self.steps, self.bias, strict=True)
        ]
        width, averaged = self.width, [0.0] * len(CLASSES)
        for n, (rows, biases) in enumerate(zip(self.out, self.out_bias, strict=True)):
            mine = units[n * width : (n + 1) * width]
            z = [b + sum(map(operator.mul, mine, row)) for row, b in zip(rows, biases, strict=True)]
            averaged = [a + p for a, p in zip(averaged, _softmax(z), strict=True)]
        return [a / len(self.out) for a in averaged]


def layer_from_data(data: Mapping[str, object]) -> HiddenLayer:
    """The shared weights from the parsed JSON: `pieces` (sorted), `rows` (base64 of four bits
    per unit and piece, value + OFFSET, a piece's units together, two units to a byte, the
    first in the low half), `steps` and `bias` per unit, and each net's `out` (per class, a
    weight per unit) and `out_bias`."""
    pieces = cast(Sequence[str], data["pieces"])
    steps = tuple(float(v) for v in cast(Sequence[float], data["steps"]))
    bias = tuple(float(v) for v in cast(Sequence[float], data["bias"]))
    out = tuple(
        tuple(tuple(float(v) for v in row) for row in net)
        for net in cast(Sequence[Sequence[Sequence[float]]], data["out"])
    )
    out_bias = tuple(
        tuple(float(v) for v in net) for net in cast(Sequence[Sequence[float]], data["out_bias"])
    )
    blob = base64.b64decode(cast(str, data["rows"]), validate=True)
    size = len(steps)
    if not out or size % 2 or len(bias) != size or 2 * len(blob) != size * len(pieces):
        raise ConfigError("crisis model: rows, steps and bias disagree on the units")
    if any(len(net) != len(CLASSES) or any(len(r) * len(out) != size for r in net) for net in out):
        raise ConfigError("crisis model: every net needs a weight per unit for every class")
    if len(out_bias) != len(out) or any(len(b) != len(CLASSES) for b in out_bias):
        raise ConfigError("crisis model: every net needs a bias per class")
    weights = dict(zip(pieces, _rows(blob, size), strict=True))
    return HiddenLayer(weights, steps, bias, out, out_bias)
