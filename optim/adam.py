"""``Adam`` (with ``amsgrad``, ``maximize`` and optionally decoupled weight decay) and its rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .optimizer import Optimizer, _check, _lerp_, _scalar

__all__ = ["Adam"]


def _check_betas(lr: float, betas, eps: float, weight_decay: float) -> None:
    _check(lr >= 0.0, f"Invalid learning rate: {lr}")
    _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """``torch.optim.Adam``. Rule: m = lerp(m, g, 1-β1); v = β2 v + (1-β2) g²; (amsgrad: v̂ = max(v̂, v));
    θ -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps). Weight decay is added to g (L2), or applied as
    θ *= 1 - lr·wd when ``decoupled_weight_decay`` (that is AdamW)."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        _check_betas(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        st = {"step": _scalar(0.0), "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            st["max_exp_avg_sq"] = np.zeros_like(param)
        return st

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        adam_update(param, grad, state, group["lr"], group["betas"][0], group["betas"][1], group["eps"],
                    group["weight_decay"], group["amsgrad"], group["maximize"], group["decoupled_weight_decay"])


def adam_update(param: np.ndarray, grad: np.ndarray, state: dict[str, Any], lr: float, beta1: float, beta2: float,
                eps: float, weight_decay: float, amsgrad: bool, maximize: bool, decoupled: bool) -> None:
    """One Adam/AdamW step on one parameter array, in place (PyTorch's order of operations).

    C-contiguous float32/float64 arrays go through the fused Numba kernel ``optim._kernels.adam`` (one pass, no
    temporaries, bit-identical to the numpy rule below, which handles every other layout).
    """
    state["step"] += 1
    step = float(state["step"])
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    mx = state.get("max_exp_avg_sq") if amsgrad else None
    if _kernels.fits(param, grad, exp_avg, exp_avg_sq, *([mx] if amsgrad else [])):
        _kernels.adam(param, grad, exp_avg, exp_avg_sq, mx, step, lr, beta1, beta2, eps, weight_decay, amsgrad,
                      maximize, decoupled)
        return
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    _lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += ((1 - beta2) * g) * g
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5
    if amsgrad:
        np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
        denom = np.sqrt(state["max_exp_avg_sq"])
    else:
        denom = np.sqrt(exp_avg_sq)
    denom /= bias_correction2_sqrt
    denom += eps
    upd = -step_size * exp_avg
    upd /= denom
    param += upd
