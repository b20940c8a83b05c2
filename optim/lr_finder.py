"""Learning-rate range test (Smith 2017; the "learning rate finder" of the seed notes and fastai).

Train for ``num_iter`` steps while the learning rate grows exponentially (or linearly) from ``start_lr`` to
``end_lr``, record the (smoothed) loss at every step, stop early once the loss diverges, and restore the model
and optimizer afterwards. A good learning rate lies where the loss falls fastest, somewhat below the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import Tensor

from .optimizer import Optimizer, _copy_value

__all__ = ["lr_range_test", "LRFinder"]


def _lr_at(i: int, num_iter: int, start_lr: float, end_lr: float, step_mode: str) -> float:
    r = i / max(1, num_iter - 1)
    if step_mode == "exp":
        return start_lr * (end_lr / start_lr) ** r
    return start_lr + r * (end_lr - start_lr)


def lr_range_test(optimizer: Optimizer, train_step: Callable[[], Any], start_lr: float = 1e-7, end_lr: float = 10.0,
                  num_iter: int = 100, step_mode: str = "exp", smooth_f: float = 0.05,
                  diverge_th: float = 5.0) -> dict[str, list[float]]:
    """Sweep the learning rate of every param group of ``optimizer`` from ``start_lr`` to ``end_lr``.

    ``train_step()`` runs one training step (forward, backward, ``optimizer.step()``) and returns its loss.
    Returns ``{'lr': [...], 'loss': [...]}`` (loss smoothed by an EMA with weight ``smooth_f``); stops when the
    smoothed loss exceeds ``diverge_th`` times the best one. Does not restore anything (see ``LRFinder``).
    """
    if step_mode not in ("exp", "linear"):
        raise ValueError(f"step_mode must be 'exp' or 'linear', got {step_mode!r}")
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}")
    if num_iter < 2:
        raise ValueError(f"num_iter must be at least 2, got {num_iter}")
    if not 0 <= smooth_f < 1:
        raise ValueError(f"smooth_f must be in [0, 1), got {smooth_f}")
    history: dict[str, list[float]] = {"lr": [], "loss": []}
    best = math.inf
    for i in range(num_iter):
        lr = _lr_at(i, num_iter, start_lr, end_lr, step_mode)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = float(train_step())
        if history["loss"] and smooth_f > 0:
            loss = smooth_f * loss + (1 - smooth_f) * history["loss"][-1]
        history["lr"].append(lr)
        history["loss"].append(loss)
        best = min(best, loss)
        if not math.isfinite(loss) or loss > diverge_th * best:
            break
    return history


class LRFinder:
    """Range test on a model: ``LRFinder(model, optimizer, criterion).range_test(loader, end_lr=1, num_iter=100)``.

    The model's parameters/buffers and the optimizer's state are restored by ``reset()`` (called at the end of
    ``range_test``). ``history`` holds the recorded ``lr`` and ``loss``; ``suggestion()`` returns the learning
    rate at the steepest descent of the loss curve; ``plot()`` draws it with matplotlib (log-scale lr).
    """

    def __init__(self, model, optimizer: Optimizer, criterion: Callable) -> None:
        self.model = model
        self.optimizer = optimizer
        self.criterion = criterion
        self.history: dict[str, list[float]] = {"lr": [], "loss": []}
        self._model_state = {k: np.array(v.numpy() if isinstance(v, Tensor) else v, copy=True)
                             for k, v in model.state_dict().items()}
        self._opt_state = _copy_value(optimizer.state_dict())

    def reset(self) -> None:
        """Put the model and the optimizer back as they were when the finder was created."""
        self.model.load_state_dict(self._model_state)
        self.optimizer.load_state_dict(_copy_value(self._opt_state))

    def range_test(self, train_loader: Iterable, start_lr: float | None = None, end_lr: float = 10.0,
                   num_iter: int = 100, step_mode: str = "exp", smooth_f: float = 0.05,
                   diverge_th: float = 5.0) -> dict[str, list[float]]:
        if start_lr is None:
            start_lr = min(g["lr"] for g in self.optimizer.param_groups)
        batches = _cycle(train_loader)

        def train_step() -> float:
            inputs, targets = next(batches)
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(inputs), targets)
            loss.backward()
            self.optimizer.step()
            return float(loss)

        self.model.train()
        try:
            self.history = lr_range_test(self.optimizer, train_step, start_lr, end_lr, num_iter, step_mode,
                                         smooth_f, diverge_th)
        finally:
            self.reset()
        return self.history

    def suggestion(self, skip_start: int = 10, skip_end: int = 5) -> float:
        """The learning rate where the recorded loss decreases fastest (steepest negative slope vs log lr)."""
        lrs = np.asarray(self.history["lr"])
        losses = np.asarray(self.history["loss"])
        end = len(lrs) - skip_end if skip_end > 0 else len(lrs)
        lrs, losses = lrs[skip_start:end], losses[skip_start:end]
        if len(lrs) < 2:
            raise RuntimeError("not enough recorded points for a suggestion; run a longer range test")
        slope = np.gradient(losses, np.log(lrs))
        return float(lrs[int(np.argmin(slope))])

    def plot(self, ax=None, skip_start: int = 10, skip_end: int = 5, log_lr: bool = True):
        """Plot loss against learning rate; returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        end = len(self.history["lr"]) - skip_end if skip_end > 0 else len(self.history["lr"])
        ax.plot(self.history["lr"][skip_start:end], self.history["loss"][skip_start:end])
        if log_lr:
            ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        return ax


def _cycle(loader: Iterable):
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("the train loader yielded no batches")
