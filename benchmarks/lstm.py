"""Workload 4: LSTM(32->128, batch_first) on (32,35,32), Linear(128,10) on the last step, CrossEntropy, backward.

The step is zero_grad + forward + loss + backward (no optimizer step). Our weights are copied into the
PyTorch twin. tinygrad/JAX: not written for this workload.
"""

from __future__ import annotations

import numpy as np

from .common import load_into_torch
from .harness import Config, time_case
from .worker import Spec

WORKLOAD = "4 LSTM fwd+bwd"


def make_net(nnmod):
    class Net(nnmod.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nnmod.LSTM(32, 128, batch_first=True)
            self.fc = nnmod.Linear(128, 10)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.fc(out[:, -1])

    return Net()


def fwd_bwd(model, loss_fn, x, y):
    def step():
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss
    return step


def builders(engines: dict, batch: int = 32, seq: int = 35) -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, seq, 32)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)

    def new_ours():
        import autograd
        import nn

        autograd.manual_seed(0)
        return make_net(nn)

    def ours():
        import autograd
        import nn

        return fwd_bwd(new_ours(), nn.CrossEntropyLoss(), autograd.tensor(x), autograd.tensor(y))

    out = {"ours": ours}
    if "torch" in engines:
        def torch_():
            torch = engines["torch"]
            model = make_net(torch.nn)
            load_into_torch(torch, new_ours(), model)
            return fwd_bwd(model, torch.nn.CrossEntropyLoss(), torch.from_numpy(x), torch.from_numpy(y))
        out["torch"] = torch_
    return out


def run(cfg: Config) -> list[dict]:
    batch, seq = (8, 10) if cfg.quick else (32, 35)
    return time_case(cfg, WORKLOAD, f"LSTM(32->128) ({batch},{seq},32) + Linear", Spec(builders, (batch, seq)),
                     targets={"torch": (1.3, "<= 1.3 x torch")})
