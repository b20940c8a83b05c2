"""``Lion`` (EvoLved Sign Momentum, Chen et al. 2023): sign of an interpolated momentum, decoupled decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .adam import _check_betas
from .optimizer import Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    """Rule: c = β1 m + (1-β1) g; θ *= 1 - lr·wd; θ -= lr·sign(c); m = β2 m + (1-β2) g."""

    def __init__(self, params: Iterable, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        _check_betas(lr, betas, 0.0, weight_decay)
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"exp_avg": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        if _kernels.fits(param, grad, state["exp_avg"]):  # fused Numba kernel, bit-identical to the numpy rule below
            _kernels.lion(param, grad, state["exp_avg"], lr, beta1, beta2, wd, group["maximize"])
            return
        g = -grad if group["maximize"] else grad
        m = state["exp_avg"]
        c = beta1 * m + (1 - beta1) * g
        if wd != 0:
            param *= 1 - lr * wd
        param -= lr * np.sign(c)
        m *= beta2
        m += (1 - beta2) * g
