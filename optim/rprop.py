"""``Rprop``: resilient backpropagation (sign-based steps with per-coordinate adaptive sizes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .optimizer import Optimizer, _check, _scalar

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """``torch.optim.Rprop``. Rule: s = sign(g·g_prev); Δ *= η+ where s>0, η- where s<0, clamped to
    [Δmin, Δmax]; g = 0 where s<0; θ -= sign(g)·Δ; g_prev = g."""

    def __init__(self, params: Iterable, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, maximize: bool = False) -> None:
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": _scalar(0.0), "prev": np.zeros_like(param), "step_size": np.full_like(param, group["lr"])}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        state["step"] += 1
        prev, step_size = state["prev"], state["step_size"]
        if _kernels.fits(param, grad, prev, step_size):  # fused Numba kernel, bit-identical to the rule below
            _kernels.rprop(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max,
                           group["maximize"])
            return
        g = -grad if group["maximize"] else grad
        sign = np.sign(g * prev)
        factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0)).astype(param.dtype, copy=False)
        step_size *= factor
        np.clip(step_size, step_size_min, step_size_max, out=step_size)
        g = np.where(sign < 0, 0, g).astype(param.dtype, copy=False)
        param -= np.sign(g) * step_size
        prev[...] = g
