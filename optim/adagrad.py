"""``Adagrad``: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import _kernels
from .optimizer import Optimizer, _check, _scalar, _to_tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``torch.optim.Adagrad``. Rule: s += g²; θ -= lr/(1 + (t-1)·lr_decay) · g / (sqrt(s) + eps)."""

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(lr_decay >= 0.0, f"Invalid lr_decay value: {lr_decay}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(initial_accumulator_value >= 0.0,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch creates the state eagerly
            for p in group["params"]:
                self.state[p].update({k: _to_tensor(v) for k, v in self._init_state(p.numpy(), group).items()})

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": _scalar(0.0), "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] += 1
        step = float(state["step"])
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state_sum = state["sum"]
        if _kernels.fits(param, grad, state_sum):  # fused Numba kernel, bit-identical to the lines below
            _kernels.adagrad(param, grad, state_sum, clr, group["eps"], group["weight_decay"], group["maximize"])
            return
        state_sum += g * g
        std = np.sqrt(state_sum)
        std += group["eps"]
        upd = -clr * g
        upd /= std
        param += upd
