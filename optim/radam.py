"""``RAdam``: Adam with the variance rectification term of Liu et al. (2019)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .adam import _check_betas
from .optimizer import Optimizer, _lerp_, _scalar

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """``torch.optim.RAdam``. Rule: m, v as Adam; ρ∞ = 2/(1-β2) - 1, ρ_t = ρ∞ - 2tβ2^t/(1-β2^t);
    if ρ_t > 5: θ -= lr·m̂·r_t·sqrt(1-β2^t)/(sqrt(v)+eps) with r_t = sqrt((ρ_t-4)(ρ_t-2)ρ∞/((ρ∞-4)(ρ∞-2)ρ_t)),
    else θ -= lr·m̂ (m̂ = m/(1-β1^t))."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        _check_betas(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": _scalar(0.0), "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), wd, eps = group["lr"], group["betas"], group["weight_decay"], group["eps"]
        state["step"] += 1
        step = float(state["step"])
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5 \
            if rho_t > 5.0 else 1.0
        if _kernels.fits(param, grad, exp_avg, exp_avg_sq):  # fused Numba kernel, bit-identical to the numpy rule below
            _kernels.radam(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, wd, bias_correction1,
                           bias_correction2, rect, rho_t > 5.0, group["maximize"], group["decoupled_weight_decay"])
            return
        g = -grad if group["maximize"] else grad
        if wd != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * wd
            else:
                g = g + wd * param
        _lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += ((1 - beta2) * g) * g
        bias_corrected_exp_avg = exp_avg / bias_correction1
        if rho_t > 5.0:
            adaptive_lr = (bias_correction2**0.5) / (np.sqrt(exp_avg_sq) + eps)
            param -= bias_corrected_exp_avg * lr * adaptive_lr * rect
        else:
            param -= bias_corrected_exp_avg * lr
