"""Callbacks for ``nn.Trainer``: ``EarlyStopping``, ``ModelCheckpoint``, and the base ``Callback``.

A callback sees the trainer at the start and end of training and of each epoch; ``logs`` is the epoch's
dict of numbers (``loss``, ``val_loss``, ``accuracy``, ``val_accuracy``, ``lr``, ...).
"""

from __future__ import annotations

import copy
import math
import os

import numpy as np

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint"]


class Callback:
    def on_train_begin(self, trainer) -> None: ...
    def on_epoch_begin(self, trainer, epoch: int) -> None: ...
    def on_batch_end(self, trainer, batch: int, logs: dict) -> None: ...
    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None: ...
    def on_train_end(self, trainer) -> None: ...


class _Monitor:
    """Tracks the best value of one logged quantity: 'min' for losses/errors, 'max' for scores."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if any(k in monitor for k in ("acc", "f1", "auc", "precision", "recall", "r2")) else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs: dict) -> float:
        if self.monitor not in logs:
            raise KeyError(f"monitored quantity {self.monitor!r} is not logged; available: {sorted(logs)}")
        return float(logs[self.monitor])

    def improved(self, current: float) -> bool:
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights=True`` the model's state is set back to the best epoch's at the end of
    training (whether it stopped early or ran all its epochs). When the trainer prints (``progress=True``), it
    says at which epoch it stopped and which epoch's weights it restored (epochs counted from 1, as the
    console counts them; ``stopped_epoch`` and ``best_epoch`` are the trainer's 0-based indices).
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = False) -> None:
        self._m = _Monitor(monitor, mode, min_delta)
        self.monitor, self.patience, self.restore_best_weights = monitor, patience, restore_best_weights
        self.wait = 0
        self.best_epoch: int | None = None
        self.best_state: dict | None = None
        self.stopped_epoch: int | None = None

    @property
    def best(self) -> float:
        return self._m.best

    def on_train_begin(self, trainer) -> None:
        self._m.best = math.inf if self._m.mode == "min" else -math.inf
        self.wait, self.best_epoch, self.best_state, self.stopped_epoch = 0, None, None, None

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        current = self._m.value(logs)
        if self._m.improved(current):
            self._m.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_state = {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True
            best = "none yet" if self.best_epoch is None else f"best {self.best:.4g} at epoch {self.best_epoch + 1}"
            _say(trainer, f"EarlyStopping: stopped after epoch {epoch + 1}: {self.monitor} did not improve for "
                          f"{self.wait} epoch{'s' if self.wait != 1 else ''} ({best})")

    def on_train_end(self, trainer) -> None:
        if self.restore_best_weights and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)
            _say(trainer, f"EarlyStopping: restored the weights of epoch {self.best_epoch + 1} "
                          f"({self.monitor}={self.best:.4g})")


def _say(trainer, line: str) -> None:
    """One line on the console when the trainer prints its progress."""
    if getattr(trainer, "progress", False):
        print(line, flush=True)


class ModelCheckpoint(Callback):
    """Save the model's state dict (atomically, with ``autograd.save``) after each epoch, or only when
    ``monitor`` improves (``save_best_only``). ``path`` may use the epoch and logged values:
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``."""

    def __init__(self, path: str, monitor: str = "val_loss", save_best_only: bool = False, mode: str = "auto",
                 min_delta: float = 0.0) -> None:
        self.path, self.save_best_only = str(path), save_best_only
        self._m = _Monitor(monitor, mode, min_delta)
        self.saved: list[str] = []

    def on_train_begin(self, trainer) -> None:
        self._m.best = math.inf if self._m.mode == "min" else -math.inf

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        from autograd import save

        if self.save_best_only:
            current = self._m.value(logs)
            if not self._m.improved(current):
                return
            self._m.best = current
        path = self.path.format(epoch=epoch, **{k: v for k, v in logs.items() if np.isscalar(v)})
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        save(copy.copy(trainer.model.state_dict()), path)
        self.saved.append(path)
