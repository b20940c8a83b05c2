"""``Momentum``: heavy-ball momentum in its exponential-moving-average form (not PyTorch's SGD form)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .optimizer import Optimizer, _check

__all__ = ["Momentum"]


class Momentum(Optimizer):
    """Rule: g = grad + wd·θ; v = βv + (1-β)g (v starts at 0); θ -= ηv."""

    def __init__(self, params: Iterable, lr: float = 1e-2, beta: float = 0.9, weight_decay: float = 0) -> None:
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= beta < 1.0, f"Invalid beta value: {beta}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta=beta, weight_decay=weight_decay))

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"velocity": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta, wd = group["beta"], group["weight_decay"]
        if _kernels.fits(param, grad, state["velocity"]):  # fused Numba kernel, bit-identical to the numpy rule below
            _kernels.momentum(param, grad, state["velocity"], group["lr"], beta, wd)
            return
        g = grad + wd * param if wd != 0 else grad
        v = state["velocity"]
        v *= beta
        v += (1 - beta) * g
        param -= group["lr"] * v
