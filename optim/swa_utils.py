"""``optim.swa_utils``: stochastic weight averaging (``torch.optim.swa_utils``).

``AveragedModel`` keeps a running average (SWA: equal weights; EMA: exponential) of a model's parameters,
``SWALR`` anneals each group's learning rate to a constant SWA value, and ``update_bn`` recomputes BatchNorm
running statistics for the averaged weights with one pass over the data.
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Literal

import numpy as np

import autograd
from autograd import Tensor, from_numpy, no_grad
from autograd.graph import increment_version
from nn.module import Module
from nn.parameter import Parameter

from .lr_scheduler import LRScheduler, _format_param
from .optimizer import Optimizer, _lerp_

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """In-place EMA over lists of tensors: p_ema = lerp(p_ema, p, 1 - decay)."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param_list, current_param_list, _) -> None:
        for p_ema, p_model in zip(ema_param_list, current_param_list):
            ema, cur = p_ema.numpy(), p_model.numpy()
            if ema.dtype.kind == "f":
                _lerp_(ema, cur, 1 - decay)
            else:
                ema[...] = ema * decay + cur * (1 - decay)
            increment_version(p_ema)

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """In-place SWA over lists of tensors: p_avg = lerp(p_avg, p, 1/(n + 1))."""

    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        n = float(num_averaged)
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            avg, cur = p_avg.numpy(), p_model.numpy()
            if avg.dtype.kind == "f":
                _lerp_(avg, cur, 1 / (n + 1))
            else:
                avg[...] = avg + (cur - avg) * (1.0 / (n + 1))
            increment_version(p_avg)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """EMA of one tensor: decay * ema + (1 - decay) * current."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable:
    """Equal-weight running mean of one tensor: avg + (current - avg) / (n + 1)."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _deepcopy_module(model: Module) -> Module:
    """``copy.deepcopy(model)`` with every parameter and buffer cloned (Tensors are not deep-copyable here)."""
    memo: dict[int, Any] = {}
    for p in itertools.chain(model.parameters(), model.buffers()):
        if id(p) in memo:
            continue
        data = np.array(p.numpy(), copy=True)
        if isinstance(p, Parameter):
            memo[id(p)] = Parameter(data, requires_grad=p.requires_grad)
        else:
            memo[id(p)] = from_numpy(data)
    return copy.deepcopy(model, memo)


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are the running average of ``model``'s, updated by
    ``update_parameters(model)``: equal-weight SWA by default, or EMA with ``multi_avg_fn=get_ema_multi_avg_fn(d)``
    / ``avg_fn=get_ema_avg_fn(d)``. ``use_buffers=True`` averages the buffers too; otherwise they are copied.
    ``n_averaged`` (an int64 buffer) counts the models averaged so far."""

    def __init__(self, model: Module, device=None, avg_fn: Callable | None = None, multi_avg_fn: Callable | None = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = _deepcopy_module(model)
        self.register_buffer("n_averaged", autograd.tensor(0, dtype=autograd.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        if self.use_buffers:
            self_param = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            model_param = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            self_param = list(self.parameters())
            model_param = list(model.parameters())
        n = int(self.n_averaged)
        with no_grad():
            if n == 0:
                for p_avg, p_model in zip(self_param, model_param):
                    p_avg.numpy()[...] = p_model.numpy()
                    increment_version(p_avg)
            else:
                if self.avg_fn is None:
                    multi = self.multi_avg_fn or get_swa_multi_avg_fn()
                    multi([p.detach() for p in self_param], [p.detach() for p in model_param], self.n_averaged)
                else:
                    for p_avg, p_model in zip(self_param, model_param):
                        new = self.avg_fn(p_avg.detach(), p_model.detach(), self.n_averaged)
                        p_avg.numpy()[...] = new.numpy() if isinstance(new, Tensor) else new
                        increment_version(p_avg)
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.numpy()[...] = b_model.numpy()
                    increment_version(b_swa)
        self.n_averaged.numpy()[...] += 1
        increment_version(self.n_averaged)


def _is_batchnorm(module: Module) -> bool:
    return hasattr(module, "running_mean") and hasattr(module, "reset_running_stats") and hasattr(module, "momentum")


def update_bn(loader: Iterable[Any], model: Module, device=None) -> None:
    """Recompute every BatchNorm's running statistics with one pass over ``loader`` (cumulative averages:
    ``momentum=None`` during the pass), the model in train mode; restores momenta and the train/eval mode."""
    momenta = {}
    for module in model.modules():
        if _is_batchnorm(module):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for input in loader:  # noqa: A001
            if isinstance(input, (list, tuple)):
                input = input[0]  # noqa: A001
            model(input)
    for bn_module in momenta:
        bn_module.momentum = momenta[bn_module]
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its current value to ``swa_lr`` over ``anneal_epochs`` steps (cos or linear),
    then hold it (``torch.optim.swa_utils.SWALR``)."""

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float], anneal_epochs: int = 10,
                 anneal_strategy: Literal["cos", "linear"] = "cos", last_epoch: int = -1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
