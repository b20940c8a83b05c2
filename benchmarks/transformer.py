"""Workload 5: TransformerEncoderLayer(128, 4, 512, dropout=0, batch_first) on (16,64,128), forward + backward.

loss = out.pow(2).mean(); the step is zero_grad + forward + loss + backward. Our weights are copied into the
PyTorch twin (train mode in both: PyTorch's inference fast path is not used). tinygrad/JAX: not written.
"""

from __future__ import annotations

import numpy as np

from .common import load_into_torch
from .harness import Config, time_case
from .worker import Spec

WORKLOAD = "5 Transformer fwd+bwd"


def make_layer(nnmod):
    return nnmod.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=512, dropout=0.0, batch_first=True)


def fwd_bwd(model, x):
    def step():
        model.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        return loss
    return step


def builders(engines: dict, batch: int = 16, seq: int = 64) -> dict:
    x = np.random.default_rng(0).standard_normal((batch, seq, 128)).astype(np.float32)

    def new_ours():
        import autograd
        import nn

        autograd.manual_seed(0)
        return make_layer(nn)

    def ours():
        import autograd

        return fwd_bwd(new_ours(), autograd.tensor(x))

    out = {"ours": ours}
    if "torch" in engines:
        def torch_():
            torch = engines["torch"]
            model = make_layer(torch.nn)
            load_into_torch(torch, new_ours(), model)
            return fwd_bwd(model, torch.from_numpy(x))
        out["torch"] = torch_
    return out


def run(cfg: Config) -> list[dict]:
    batch, seq = (4, 16) if cfg.quick else (16, 64)
    return time_case(cfg, WORKLOAD, f"d=128 h=4 ff=512 ({batch},{seq},128)", Spec(builders, (batch, seq)),
                     targets={"torch": (1.3, "<= 1.3 x torch")})
