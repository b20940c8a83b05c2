"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .optimizer import Optimizer, _check

__all__ = ["SGD"]


class SGD(Optimizer):
    """``torch.optim.SGD``. Rule (PyTorch's): g = ±grad + wd*θ; b = μb + (1-τ)g (b = g on the first step);
    g = g + μb if nesterov else b; θ -= lr*g."""

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False) -> None:
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(not nesterov or (momentum > 0 and dampening == 0),
               "Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if momentum != 0 and _kernels.fits(param, grad):  # the fused kernel: one pass, bit-identical
            buf = state.get("momentum_buffer")
            first = buf is None
            if first:
                buf = state["momentum_buffer"] = np.empty_like(param)
            if _kernels.fits(param, buf):
                _kernels.sgd_momentum(param, grad, buf, first, lr, momentum, group["dampening"], wd,
                                      group["nesterov"], group["maximize"])
                return
        g = -grad if group["maximize"] else grad
        if wd != 0:
            g = g + wd * param
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        param -= lr * g
