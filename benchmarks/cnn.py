"""Workload 3: small CNN on (64,1,28,28) float32, CrossEntropy, SGD(0.01, momentum 0.9), one training step.

Conv2d(1,16,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(16,32,3,p=1)-ReLU-MaxPool2d(2)-Flatten-Linear(1568,10); our
weights are copied into the PyTorch twin. tinygrad/JAX: not written for this workload (see the report).
"""

from __future__ import annotations

import numpy as np

from .common import load_into_torch, ours_step
from .harness import Config, time_case
from .worker import Spec

WORKLOAD = "3 CNN step"


def make_cnn(nnmod):
    return nnmod.Sequential(
        nnmod.Conv2d(1, 16, 3, padding=1), nnmod.ReLU(), nnmod.MaxPool2d(2),
        nnmod.Conv2d(16, 32, 3, padding=1), nnmod.ReLU(), nnmod.MaxPool2d(2),
        nnmod.Flatten(), nnmod.Linear(1568, 10),
    )


def builders(engines: dict, batch: int = 64) -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)

    def new_ours():
        import autograd
        import nn

        autograd.manual_seed(0)
        return make_cnn(nn)

    def ours():
        import autograd
        import nn
        import optim

        model = new_ours()
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        return ours_step(model, nn.CrossEntropyLoss(), opt, autograd.tensor(x), autograd.tensor(y))

    out = {"ours": ours}
    if "torch" in engines:
        def torch_():
            torch = engines["torch"]
            model = make_cnn(torch.nn)
            load_into_torch(torch, new_ours(), model)
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            return ours_step(model, torch.nn.CrossEntropyLoss(), opt, torch.from_numpy(x), torch.from_numpy(y))
        out["torch"] = torch_
    return out


def run(cfg: Config) -> list[dict]:
    batch = 16 if cfg.quick else 64
    return time_case(cfg, WORKLOAD, f"({batch},1,28,28), SGD momentum", Spec(builders, (batch,)),
                     targets={"torch": (1.3, "<= 1.3 x torch")})
