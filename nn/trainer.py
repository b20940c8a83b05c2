"""``Trainer``: the PyTorch-style training loop, composed only of public pieces.

    trainer = nn.Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), 1e-3),
                         metrics={"accuracy": nn.metrics.accuracy})
    history = trainer.fit(train_loader, epochs=20, val_loader=val_loader)
    history.plot("curves.png")

Each epoch: ``model.train()``; for each batch ``zero_grad -> forward -> loss -> backward -> (clip) -> step``;
then ``model.eval()`` and, under ``no_grad``, the same loss and metrics on ``val_loader``. The scheduler
steps once per epoch (``scheduler_interval="batch"`` for OneCycleLR/CyclicLR); ``ReduceLROnPlateau`` is fed
the monitored validation quantity (``val_loss`` by default). A hand-written loop remains first-class:
nothing here is needed to train a model.
"""

from __future__ import annotations

import sys

import numpy as np

from autograd.grad_mode import no_grad
from autograd.tensor import Tensor

from .callbacks import Callback
from .utils import clip_grad_norm_, clip_grad_value_

__all__ = ["Trainer", "History"]


class History:
    """Per-epoch logs: ``history["val_loss"]`` is a list with one number per epoch."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []

    def append(self, epoch: int, logs: dict) -> None:
        self.epochs.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def keys(self):
        return self.history.keys()

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        """``History(3 epochs; loss 0.69 -> 0.31; val_loss 0.71 -> 0.33 (best 0.32 at epoch 2); lr 0.01)``,
        epochs counted from 1 as on the console."""
        n = len(self.epochs)
        if n == 0:
            return "History(no epochs)"
        parts = [f"{n} epoch{'s' if n != 1 else ''}"]
        for key, values in self.history.items():
            if key == "lr" and len(set(values)) == 1:
                parts.append(f"lr {values[0]:.4g}")
                continue
            text = f"{key} {values[0]:.4g}" + (f" -> {values[-1]:.4g}" if n > 1 else "")
            if key.startswith("val_") and n > 1:
                best = int(np.nanargmax(values) if _higher_is_better(key) else np.nanargmin(values)) \
                    if not np.isnan(values).all() else 0
                text += f" (best {values[best]:.4g} at epoch {self.epochs[best] + 1})"
            parts.append(text)
        return "History(" + "; ".join(parts) + ")"

    def plot(self, path: str | None = None, keys=None):
        """Draw each quantity (training and validation on one panel) with matplotlib; save a PNG at ``path``."""
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        names = [k for k in (keys or self.history) if not k.startswith("val_") and k != "lr"]
        names += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in names and k[4:] not in
                  self.history]
        fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
        for ax, name in zip(axes[0], names):
            for key, style in ((name, "-"), ("val_" + name, "--")):
                if key in self.history:  # epochs counted from 1, as the console prints them
                    ax.plot([e + 1 for e in self.epochs], self.history[key], style, marker="o", markersize=3,
                            label=key)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig


def _higher_is_better(key: str) -> bool:
    return any(k in key for k in ("acc", "f1", "auc", "precision", "recall", "r2"))


def _interactive() -> bool:
    """True on a terminal or in a Jupyter kernel: where a progress bar redraws in place. In a log file, CI or
    ``nohup`` output every redraw would be a new line of text."""
    try:
        if sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _split_batch(batch):
    """(inputs..., target) from a batch; a lone tensor is an input with no target."""
    if isinstance(batch, Tensor):
        return (batch,), None
    if isinstance(batch, dict):
        raise TypeError("Trainer expects batches of (inputs..., target); wrap dict batches in a collate_fn")
    *inputs, target = batch
    return tuple(inputs), target


class Trainer:
    """Fit a model with any loss, optimizer, scheduler, gradient clipping and metrics.

    ``metrics`` maps a name to ``fn(y_true, y_pred)`` (e.g. ``nn.metrics.accuracy``), evaluated on the
    epoch's concatenated targets and outputs. ``progress=True`` prints one line per epoch, plus a tqdm bar
    over the batches on a terminal or in Jupyter (never when output goes to a file or a pipe);
    ``progress=False`` prints nothing.
    """

    def __init__(self, model, loss_fn, optimizer, scheduler=None, metrics: dict | None = None,
                 clip_grad_norm: float | None = None, clip_grad_value: float | None = None,
                 callbacks=(), progress: bool = True, scheduler_interval: str = "epoch",
                 scheduler_monitor: str = "val_loss") -> None:
        if scheduler_interval not in ("epoch", "batch"):
            raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be nn.callbacks.Callback instances, got {type(cb).__name__}")
        self.model, self.loss_fn, self.optimizer, self.scheduler = model, loss_fn, optimizer, scheduler
        self.metrics = dict(metrics or {})
        self.clip_grad_norm, self.clip_grad_value = clip_grad_norm, clip_grad_value
        self.callbacks = list(callbacks)
        self.progress = progress
        self.scheduler_interval, self.scheduler_monitor = scheduler_interval, scheduler_monitor
        self.stop_training = False
        self.history = History()

    # ---- one pass over a loader ----
    def _run_epoch(self, loader, train: bool, desc: str = "") -> dict:
        total, count, targets, outputs = 0.0, 0, [], []
        bar = self._bar(loader, desc) if train else None
        iterator = bar if bar is not None else loader
        for i, batch in enumerate(iterator):
            inputs, target = _split_batch(batch)
            if train:
                self.optimizer.zero_grad()
                out = self.model(*inputs)
                loss = self.loss_fn(out, target)
                loss.backward()
                if self.clip_grad_norm is not None:
                    clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
                if self.clip_grad_value is not None:
                    clip_grad_value_(self.model.parameters(), self.clip_grad_value)
                self.optimizer.step()
                if self.scheduler is not None and self.scheduler_interval == "batch":
                    self.scheduler.step()
            else:
                with no_grad():
                    out = self.model(*inputs)
                    loss = self.loss_fn(out, target)
            n = len(target) if target is not None else len(inputs[0])
            total += float(loss.item()) * n
            count += n
            if self.metrics:
                targets.append(target.numpy() if isinstance(target, Tensor) else np.asarray(target))
                outputs.append(out.detach().numpy())
            if bar is not None:
                bar.set_postfix(loss=f"{total / count:.4f}")
            for cb in self.callbacks if train else ():
                cb.on_batch_end(self, i, {"loss": float(loss.item())})
        if count == 0:
            raise ValueError("the data loader yielded no batches (drop_last=True with a batch larger than the data?)")
        logs = {"loss": total / count}
        if self.metrics:
            y_true, y_pred = np.concatenate(targets), np.concatenate(outputs)
            for name, fn in self.metrics.items():
                logs[name] = float(fn(y_true, y_pred))
        return logs

    def _bar(self, loader, desc: str):
        if not self.progress or not _interactive():
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        return tqdm(loader, desc=desc, leave=False, dynamic_ncols=True)

    # ---- public ----
    def fit(self, train_loader, epochs: int = 1, val_loader=None) -> History:
        """Train for ``epochs`` epochs (fewer if a callback stops it); returns the ``History``."""
        self.stop_training = False
        for cb in self.callbacks:
            cb.on_train_begin(self)
        start = len(self.history.epochs)
        for epoch in range(start, start + epochs):
            for cb in self.callbacks:
                cb.on_epoch_begin(self, epoch)
            self.model.train()
            logs = self._run_epoch(train_loader, True, desc=f"epoch {epoch + 1}/{start + epochs}")
            if val_loader is not None:
                logs.update({"val_" + k: v for k, v in self.evaluate(val_loader).items()})
            logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
            self._step_scheduler(logs)
            self.history.append(epoch, logs)
            if self.progress:
                print(f"epoch {epoch + 1}: " + " ".join(f"{k}={v:.4g}" for k, v in logs.items()), flush=True)
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch, logs)
            if self.stop_training:
                break
        for cb in self.callbacks:
            cb.on_train_end(self)
        return self.history

    def _step_scheduler(self, logs: dict) -> None:
        if self.scheduler is None or self.scheduler_interval != "epoch":
            return
        if type(self.scheduler).__name__ == "ReduceLROnPlateau":
            key = self.scheduler_monitor if self.scheduler_monitor in logs else "loss"
            self.scheduler.step(logs[key])
        else:
            self.scheduler.step()

    def evaluate(self, loader) -> dict:
        """Loss and metrics over ``loader`` in eval mode, without recording a graph."""
        was_training = self.model.training
        self.model.eval()
        try:
            return self._run_epoch(loader, False)
        finally:
            self.model.train(was_training)

    def predict(self, data) -> Tensor:
        """The model's outputs for a Tensor, or for every batch of a loader (concatenated), in eval mode."""
        from autograd import cat

        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                if isinstance(data, Tensor):
                    return self.model(data)
                outs = []
                for batch in data:
                    inputs = (batch,) if isinstance(batch, Tensor) else _split_batch(batch)[0]
                    outs.append(self.model(*inputs))
                return cat(outs)
        finally:
            self.model.train(was_training)
