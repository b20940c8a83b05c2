"""``NAdam``: Adam with Nesterov momentum and the momentum-decay schedule of Dozat (2016)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .adam import _check_betas
from .optimizer import Optimizer, _check, _lerp_, _scalar

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """``torch.optim.NAdam``. Rule: μ_t = β1(1 - ½·0.96^(t·ψ)); Π_t = Π_{t-1}·μ_t; m = lerp(m, g, 1-β1);
    v = β2 v + (1-β2)g²; d = sqrt(v/(1-β2^t)) + eps;
    θ -= lr(1-μ_t)/(1-Π_t)·g/d + lr·μ_{t+1}/(1-Π_t μ_{t+1})·m/d. ``mu_product`` is a scalar-dtype state
    (float32 by default, as in PyTorch, which the trajectory depends on)."""

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        _check_betas(lr, betas, eps, weight_decay)
        _check(momentum_decay >= 0.0, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": _scalar(0.0), "mu_product": _scalar(1.0), "exp_avg": np.zeros_like(param),
                "exp_avg_sq": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), wd, psi = group["lr"], group["betas"], group["weight_decay"], group["momentum_decay"]
        g = -grad if group["maximize"] else grad
        state["step"] += 1
        step = float(state["step"])
        bias_correction2 = 1 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = state["mu_product"]
        mu_product *= mu_product.dtype.type(mu)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        mu_prod = float(mu_product)
        mu_product_next = mu_prod * mu_next
        c_grad = -lr * (1.0 - mu) / (1.0 - mu_prod)
        c_avg = (-lr * mu_next) / (1.0 - mu_product_next)
        if _kernels.fits(param, grad, exp_avg, exp_avg_sq):  # fused Numba kernel, bit-identical to the lines below
            _kernels.nadam(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, group["eps"], wd, bias_correction2,
                           c_grad, c_avg, group["maximize"], group["decoupled_weight_decay"])
            return
        if wd != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * wd
            else:
                g = g + wd * param
        _lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += ((1 - beta2) * g) * g
        denom = np.sqrt(exp_avg_sq / bias_correction2)
        denom += group["eps"]
        param += (c_grad * g) / denom
        param += (c_avg * exp_avg) / denom
