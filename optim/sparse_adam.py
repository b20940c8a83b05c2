"""``SparseAdam``: lazy Adam that updates only the rows a gradient touches (for ``Embedding`` gradients).

There are no sparse tensors here, so the sparse gradient is emulated by a row mask: the rows (index along
dim 0) whose gradient is not all zero are the gradient's indices, and only they are updated, exactly as
PyTorch updates the indices of a coalesced sparse gradient. (A row that was looked up but whose gradient is
exactly zero counts as untouched, the one difference from a true sparse gradient.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .adam import _check_betas
from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """``torch.optim.SparseAdam``. Rule on the touched rows R only: m_R += (1-β1)(g_R - m_R);
    v_R += (1-β2)(g_R² - v_R); θ_R -= lr·sqrt(1-β2^t)/(1-β1^t) · m_R/(sqrt(v_R) + eps). ``step`` is an int."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        _check_betas(lr, betas, eps, 0.0)
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        state["step"] += 1
        step = state["step"]
        g = -grad if group["maximize"] else grad
        if param.ndim == 0:
            raise ValueError("SparseAdam needs parameters with at least one dimension (rows along dim 0)")
        rows = np.flatnonzero(np.any(g.reshape(g.shape[0], -1) != 0, axis=1))
        if rows.size == 0:
            return
        g_rows = g[rows]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        old_m = exp_avg[rows]
        m_upd = (g_rows - old_m) * (1 - beta1)
        exp_avg[rows] = old_m + m_upd
        old_v = exp_avg_sq[rows]
        v_upd = (g_rows**2 - old_v) * (1 - beta2)
        exp_avg_sq[rows] = old_v + v_upd
        numer = m_upd + old_m
        denom = np.sqrt(v_upd + old_v) + group["eps"]
        step_size = group["lr"] * math.sqrt(1 - beta2**step) / (1 - beta1**step)
        param[rows] += -step_size * (numer / denom)
