"""``ASGD``: averaged stochastic gradient descent (Polyak-Ruppert averaging, Bottou's step-size schedule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .optimizer import Optimizer, _check, _scalar

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """``torch.optim.ASGD``. Rule: θ *= 1 - λη; θ -= η g; ā += μ(θ - ā) (ā = θ while μ = 1);
    η = lr/(1 + λ·lr·t)^α; μ = 1/max(1, t - t0). ``eta`` and ``mu`` are scalar-dtype state as in PyTorch."""

    def __init__(self, params: Iterable, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, maximize: bool = False) -> None:
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": _scalar(0.0), "eta": _scalar(group["lr"]), "mu": _scalar(1.0), "ax": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lambd, lr = group["lambd"], group["lr"]
        state["step"] += 1
        eta, mu, ax = float(state["eta"]), float(state["mu"]), state["ax"]
        if _kernels.fits(param, grad, ax):  # fused Numba kernel, bit-identical to the numpy rule below
            _kernels.asgd(param, grad, ax, eta, lambd, mu, group["weight_decay"], group["maximize"])
        else:
            g = -grad if group["maximize"] else grad
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * param
            param *= 1 - lambd * eta
            param -= eta * g
            if mu != 1:
                ax += (param - ax) * mu
            else:
                ax[...] = param
        step = float(state["step"])
        state["eta"][...] = _scalar(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        state["mu"][...] = _scalar(1 / max(1, step - group["t0"]))
