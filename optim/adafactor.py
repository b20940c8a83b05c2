"""``Adafactor``: Adam-like steps with a factored (row x column) second moment, PyTorch's variant."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _check, _lerp_, _scalar

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """``torch.optim.Adafactor``. Rule: β̂_t = t^β2_decay; ρ = min(lr, 1/sqrt(t));
    α = max(eps2, RMS(θ))·ρ; θ *= 1 - lr·wd; for a matrix (last two dims) r = lerp(r, mean_col(g²), β̂_t),
    c = lerp(c, mean_row(g²), β̂_t), v̂ = r c / mean(r); for a vector v = lerp(v, g², β̂_t), v̂ = v;
    u = g / sqrt(max(v̂, eps1²)); θ -= α/max(1, RMS(u)/d) · u."""

    def __init__(self, params: Iterable, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 maximize: bool = False) -> None:
        _check(lr >= 0.0, f"Learning rate should be >= 0 but is: {lr}")
        _check(beta2_decay <= 0.0, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        _check(eps[0] is None or eps[0] >= 0.0, f"epsilon1 should be >= 0 but is: {eps[0]}")
        _check(eps[1] >= 0.0, f"epsilon2 should be >= 0 but is: {eps[1]}")
        _check(d >= 1.0, f"Clipping threshold d should be >= 1 but is: {d}")
        _check(weight_decay >= 0.0, f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        st: dict[str, Any] = {"step": _scalar(0.0)}
        if param.ndim > 1:
            st["row_var"] = np.zeros(param.shape[:-1] + (1,), dtype=param.dtype)
            st["col_var"] = np.zeros(param.shape[:-2] + (1, param.shape[-1]), dtype=param.dtype)
        else:
            st["variance"] = np.zeros_like(param)
        return st

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, wd = group["lr"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(param.dtype).eps)
        g = -grad if group["maximize"] else grad
        state["step"] += 1
        step = float(state["step"])
        one_minus_beta2_t = step ** group["beta2_decay"]
        rho_t = min(lr, 1 / (step**0.5))
        alpha = max(eps2, float(np.linalg.norm(param.ravel())) / (param.size**0.5)) * rho_t
        if wd != 0:
            param *= 1 - lr * wd
        if g.ndim > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            gg = g * g
            row_mean = np.square(np.sqrt(gg.sum(axis=-1, keepdims=True))) / g.shape[-1]
            _lerp_(row_var, row_mean, one_minus_beta2_t)
            col_mean = np.square(np.sqrt(gg.sum(axis=-2, keepdims=True))) / g.shape[-2]
            _lerp_(col_var, col_mean, one_minus_beta2_t)
            var_estimate = row_var @ col_var
            var_estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"]
            _lerp_(variance, g * g, one_minus_beta2_t)
            var_estimate = variance.copy()
        update = 1.0 / np.sqrt(np.maximum(var_estimate, eps1 * eps1))
        update *= g
        denom = max(1.0, float(np.linalg.norm(update.ravel())) / ((update.size**0.5) * group["d"]))
        param += (-alpha / denom) * update
