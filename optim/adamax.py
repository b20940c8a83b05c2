"""``Adamax``: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .adam import _check_betas
from .optimizer import Optimizer, _lerp_, _scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """``torch.optim.Adamax``. Rule: m = lerp(m, g, 1-β1); u = max(β2·u, |g| + eps); θ -= lr/(1-β1^t)·m/u."""

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, *, maximize: bool = False) -> None:
        _check_betas(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": _scalar(0.0), "exp_avg": np.zeros_like(param), "exp_inf": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        state["step"] += 1
        clr = group["lr"] / (1 - beta1 ** float(state["step"]))
        # fused Numba kernel, bit-identical to the numpy rule below
        if _kernels.fits(param, grad, state["exp_avg"], state["exp_inf"]):
            _kernels.adamax(param, grad, state["exp_avg"], state["exp_inf"], clr, beta1, beta2, group["eps"],
                            group["weight_decay"], group["maximize"])
            return
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        _lerp_(exp_avg, g, 1 - beta1)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(g) + group["eps"], out=exp_inf)
        param += (-clr * exp_avg) / exp_inf
