"""``RMSprop``: divide by a running RMS of gradients (optionally centered), with optional momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .optimizer import Optimizer, _check, _lerp_, _scalar

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``. Rule: v = αv + (1-α)g²; centered: ḡ = lerp(ḡ, g, 1-α), a = sqrt(v - ḡ²) else
    a = sqrt(v); a += eps; momentum: b = μb + g/a, θ -= lr·b; otherwise θ -= lr·g/a."""

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, maximize: bool = False) -> None:
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        st = {"step": _scalar(0.0), "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            st["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            st["grad_avg"] = np.zeros_like(param)
        return st

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        alpha, lr = group["alpha"], group["lr"]
        state["step"] += 1
        arrays = [param, grad, state["square_avg"]] + [state[k] for k in ("grad_avg", "momentum_buffer") if k in state]
        if _kernels.fits(*arrays):  # fused Numba kernel, bit-identical to the lines below
            _kernels.rmsprop(param, grad, state["square_avg"], state.get("grad_avg"), state.get("momentum_buffer"),
                             lr, alpha, group["eps"], group["weight_decay"], group["momentum"], group["centered"],
                             group["maximize"])
            return
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += ((1 - alpha) * g) * g
        if group["centered"]:
            grad_avg = state["grad_avg"]
            _lerp_(grad_avg, g, 1 - alpha)
            avg = np.sqrt(square_avg + (-1 * grad_avg) * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            param -= lr * buf
        else:
            param += (-lr * g) / avg
