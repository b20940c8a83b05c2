"""``NAG``: Nesterov's accelerated gradient, v = μv + g(θ - ημv), θ -= ηv (gradient at the look-ahead point).

Two ways to run it, both exact:

* ``step(closure)``: the closure is evaluated at the look-ahead point θ - ημv (the parameters are moved there,
  ``closure()`` recomputes the loss and gradients, the parameters are moved back), then v and θ are updated by
  the formula above. The parameters hold θ.
* ``step()`` without a closure: the standard reformulation (Sutskever et al. 2013; Bengio et al. 2012). The
  parameters hold the look-ahead point φ = θ - ημv itself, so the gradient the user computed before calling
  ``step()`` *is* g(θ - ημv), and the update becomes v = μv + g, φ -= η(g + μv) (PyTorch's
  ``SGD(nesterov=True)`` with dampening 0). The sequence of v is identical; the parameters are the look-ahead
  points, and θ = φ + ημv is recoverable from ``state[p]['momentum_buffer']``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import enable_grad, from_numpy, no_grad
from autograd.graph import increment_version

from . import _kernels
from .optimizer import Optimizer, _check

__all__ = ["NAG"]


class NAG(Optimizer):
    """Nesterov accelerated gradient; see the module docstring for ``step(closure)`` vs ``step()``."""

    def __init__(self, params: Iterable, lr: float = 1e-2, momentum: float = 0.9, weight_decay: float = 0) -> None:
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"momentum_buffer": np.zeros_like(param)}

    def step(self, closure: Callable[[], Any] | None = None):
        if closure is None:
            with no_grad():
                for group in self.param_groups:
                    self._step_group(group)
            return None
        saved = []
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    st = self.state.get(p)
                    if st:
                        theta = p.numpy()
                        saved.append((p, theta.copy()))
                        theta -= (group["lr"] * group["momentum"]) * st["momentum_buffer"].numpy()
                        increment_version(p)
        with enable_grad():
            loss = closure()
        with no_grad():
            for p, theta in saved:
                p.numpy()[...] = theta
                increment_version(p)
            for group in self.param_groups:
                lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    theta = p.numpy()
                    st = self.state[p]
                    if not st:
                        st["momentum_buffer"] = from_numpy(np.zeros_like(theta))
                    g = grad.numpy()
                    v = st["momentum_buffer"].numpy()
                    if wd != 0:  # decay at the point where the gradient was taken
                        g = g + wd * (theta - (lr * mu) * v)
                    v *= mu
                    v += g
                    theta -= lr * v
                    increment_version(p)
        return loss

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        v = state["momentum_buffer"]
        if _kernels.fits(param, grad, v):  # SGD's fused nesterov kernel: the same arithmetic as the lines below
            _kernels.sgd_momentum(param, grad, v, False, lr, mu, 0.0, wd, True, False)
            return
        g = grad + wd * param if wd != 0 else grad
        v *= mu
        v += g
        param -= lr * (g + mu * v)
