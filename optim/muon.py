"""``Muon``: momentum SGD for 2-D parameters whose update is orthogonalised by a Newton-Schulz iteration."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _check, _lerp_

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def zeropower_via_newtonschulz(grad: np.ndarray, ns_coefficients: tuple[float, float, float], ns_steps: int,
                               eps: float) -> np.ndarray:
    """The quintic Newton-Schulz iteration X <- aX + (bA + cA²)X, A = XXᵀ, from X = G/max(|G|_F, eps).

    PyTorch runs it in bfloat16; numpy has no bfloat16, so it runs here in the gradient's own dtype (more
    accurate; the only place where Muon's trajectory differs from PyTorch's, by bfloat16 rounding).
    """
    _check(ns_steps < 100, "Number of steps must be less than 100 for computational efficiency")
    _check(grad.ndim == 2, f"Input tensor gradient must be a 2D matrix, got shape {grad.shape}")
    _check(len(ns_coefficients) == 3, "Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = grad.T if grad.shape[0] > grad.shape[1] else grad
    x = x / max(float(np.linalg.norm(x)), eps)
    for _ in range(ns_steps):
        gram = x @ x.T
        gram_update = b * gram + c * (gram @ gram)
        x = a * x + gram_update @ x
    return x.T if grad.shape[0] > grad.shape[1] else x


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple) -> float:
    A, B = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, A / B))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(A, B))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """``torch.optim.Muon``. Rule: b = lerp(b, g, 1-μ); u = lerp(g, b, μ) if nesterov else b;
    O = NewtonSchulz(u); θ *= 1 - lr·wd; θ -= lr·ratio·O with ratio = sqrt(max(1, rows/cols)) ('original'),
    0.2·sqrt(max(rows, cols)) ('match_rms_adamw')."""

    def __init__(self, params: Iterable, lr: float = 1e-3, weight_decay: float = 0.1, momentum: float = 0.95,
                 nesterov: bool = True, ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
                 eps: float = EPS, ns_steps: int = DEFAULT_NS_STEPS, adjust_lr_fn: str | None = None) -> None:
        _check(lr >= 0.0, f"Learning rate should be >= 0 but is: {lr}")
        _check(momentum >= 0.0, f"momentum should be >= 0 but is: {momentum}")
        _check(weight_decay >= 0.0, f"weight decay should be >= 0 but is: {weight_decay}")
        _check(adjust_lr_fn in (None, "original", "match_rms_adamw"),
               f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                _check(p.ndim == 2, f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                    f"{tuple(p.shape)}")

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"momentum_buffer": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        _check(grad.ndim == 2, f"Param gradient must be a 2D matrix, got shape {grad.shape}")
        lr, momentum = group["lr"], group["momentum"]
        buf = state["momentum_buffer"]
        _lerp_(buf, grad, 1 - momentum)
        if group["nesterov"]:
            update = np.array(grad, copy=True)
            _lerp_(update, buf, momentum)
        else:
            update = buf
        update = zeropower_via_newtonschulz(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
        adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], param.shape)
        param *= 1 - lr * group["weight_decay"]
        param -= adjusted_lr * update
