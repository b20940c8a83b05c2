"""``Optimizer``: the base class of every optimizer (``torch.optim.Optimizer``).

It owns what all optimizers share: ``param_groups`` (each a dict of ``params`` plus per-group options filled
from ``defaults``), the per-parameter ``state``, ``zero_grad``, ``add_param_group`` and the
``state_dict``/``load_state_dict`` round trip, in PyTorch's format::

    {'state': {index: {'step': Tensor(0-d), 'exp_avg': Tensor, ...}},
     'param_groups': [{'lr': ..., ..., 'params': [indices]}]}

A subclass states its update rule once, in ``_update(param, grad, state, group)``: plain numpy arrays in, the
parameter and the state arrays updated in place (whole arrays at a time, never per element). ``step`` calls it
for every parameter of every group under ``no_grad`` with the arrays of ``Tensor.numpy()`` (which share memory),
and bumps each parameter's version counter once (``autograd.graph.increment_version``).
State values are stored as Tensors (as in PyTorch, ``step`` is a 0-d float Tensor: float32 unless the default
dtype is float64); ``_update`` sees their arrays.

Every ``step`` (the base one and any a subclass defines, wrapped in ``__init_subclass__``) counts its calls in
``_step_calls``, which is how ``lr_scheduler`` learns that the optimizer stepped.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import Tensor, dtypes, enable_grad, from_numpy, no_grad
from autograd.graph import increment_version

__all__ = ["Optimizer", "required"]


def _counts_calls(step: Callable) -> Callable:
    """``step`` that first adds one to ``self._step_calls`` (before running, as PyTorch sets its flag)."""
    @functools.wraps(step)
    def counted_step(self, *args, **kwargs):
        self._step_calls += 1
        return step(self, *args, **kwargs)

    counted_step._counts_calls = True
    return counted_step


class _RequiredParameter:
    """Singleton marking a default that every param group must specify (``torch.optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _scalar_dtype() -> np.dtype:
    """The dtype of scalar state (``step``, ASGD's ``eta``/``mu``, NAdam's ``mu_product``): PyTorch's rule."""
    return np.dtype(np.float64) if dtypes.get_default_dtype() == np.float64 else np.dtype(np.float32)


def _scalar(value: float) -> np.ndarray:
    return np.array(value, dtype=_scalar_dtype())


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start.lerp_(end, weight)`` in place, with PyTorch's two-sided formula (exact at weight 0 and 1)."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        diff = end - start
        diff *= 1 - weight
        np.subtract(end, diff, out=start)


_MISSING = object()  # "no such state entry" (None is a value a rule may store)


def _to_tensor(value):
    if isinstance(value, np.ndarray):
        return from_numpy(value)
    return value


# state entries that always have their parameter's shape (for rules that create them in step, like SGD's)
_PARAM_SHAPED = frozenset({"momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "exp_inf", "square_avg",
                           "acc_delta", "grad_avg", "sum", "ax", "velocity", "prev", "step_size", "variance"})


def _copy_value(value):
    """Deep copy of a state value: Tensors and arrays copied, containers rebuilt, scalars kept."""
    if isinstance(value, Tensor):
        return from_numpy(np.array(value.numpy(), copy=True))
    if isinstance(value, np.ndarray):
        return from_numpy(np.array(value, copy=True))
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy_value(v) for v in value)
    return value


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs (``model.named_parameters()``: the names
            are kept in the group's ``param_names``), or of dicts (param groups) each with a ``params`` entry
            and optional per-group options overriding ``defaults``.
        defaults: the default options of every group.
    """

    # calls of step() so far, and the step the first/latest scheduler saw (read by lr_scheduler's warnings)
    _step_calls: int = 0
    _step_calls_when_scheduled: int | None = None
    _step_when_scheduled: Callable | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if callable(step) and not getattr(step, "_counts_calls", False):
            cls.step = _counts_calls(step)

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got Tensor"
            )
        if isinstance(params, dict):
            params = [params]
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ---- groups ----
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group (a dict with ``params``); options it leaves out take the optimizer's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a param group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors "
                "in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]  # named_parameters() input, as PyTorch
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            params = [p[1] for p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but parameter {i} of the group is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {i}, shape {tuple(p.shape)})")
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            dup = next(i for i, x in enumerate(ids) if ids.index(x) != i)
            raise ValueError(
                f"optimizer contains a parameter group with duplicate parameters (parameter {dup}, "
                f"shape {tuple(params[dup].shape)}, appears twice)"
            )
        group = dict(param_group)
        group["params"] = params
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        lr = group.get("lr")
        if isinstance(lr, (int, float)) and lr < 0:
            raise ValueError(f"Invalid learning rate: {lr} (must be >= 0)")
        for g in self.param_groups:
            if ("param_names" in g) != ("param_names" in group):
                raise ValueError("all optimizer param groups should be with/without names. cannot add param group "
                                 f"{'with' if 'param_names' in group else 'without'} names to the optimizer")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if not existing.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ---- gradients ----
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g = g.detach()
                        p.grad = g
                    g.numpy().fill(0)
                    increment_version(g)

    # ---- the step ----
    @_counts_calls
    def step(self, closure: Callable[[], Any] | None = None):
        """One optimization step over every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        updated = []
        try:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param = p.numpy()
                state = self.state.get(p)
                if not state:  # (an optimizer without state, like plain SGD, keeps none, as in PyTorch)
                    state = {k: _to_tensor(v) for k, v in self._init_state(param, group).items()}
                held = {k: (v.numpy() if isinstance(v, Tensor) else v) for k, v in state.items()}
                arrays = dict(held)
                self._update(param, grad.numpy(), arrays, group)
                updated.append(p)
                for k, v in arrays.items():  # write back what the rule rebound (Python scalars, new entries)
                    if held.get(k, _MISSING) is not v:
                        state[k] = _to_tensor(v)
                if state:
                    self.state[p] = state
        finally:  # one bump per updated parameter, also when a rule raises part-way through the group
            increment_version(updated)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """The fresh state of one parameter (arrays; wrapped as Tensors in ``self.state``)."""
        return {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        """The update rule: change ``param`` and the state arrays in place."""
        raise NotImplementedError(f"{type(self).__name__} does not define its update rule (_update)")

    # ---- checkpoints ----
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}`` as in PyTorch.

        Like PyTorch, the state values are the optimizer's own Tensors (not copies): deep-copy the dict (or
        save it) to keep a snapshot while training goes on.
        """
        index: dict[int, int] = {}
        packed_groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            packed_groups.append(packed)
        packed_state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``: training then continues exactly as if it had never stopped.

        State values may be Tensors or numpy arrays; they are copied, and floating ones cast to the parameter's
        dtype (except ``step``).
        """
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("an optimizer state dict must have 'state' and 'param_groups' entries")
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups ({len(saved_groups)}) than the "
                f"optimizer ({len(groups)})"
            )
        for i, (g, sg) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                    f"group: group {i} has {len(sg['params'])} parameters saved, {len(g['params'])} here"
                )
        id_map = {}
        for g, sg in zip(groups, saved_groups):
            for old, p in zip(sg["params"], g["params"]):
                id_map[old] = p
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {name: self._cast_state(p, name, val) for name, val in v.items()}
            else:
                state[k] = _copy_value(v)
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            ng = {k: _copy_value(v) for k, v in sg.items() if k != "params"}
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        for gi, (g, sg) in enumerate(zip(new_groups, saved_groups)):
            for old, p in zip(sg["params"], g["params"]):
                if p in state:
                    self._check_state_shapes(p, state[p], g, gi, old)
        self.state = state
        self.param_groups = new_groups

    def _check_state_shapes(self, p: Tensor, st: dict[str, Any], group: dict[str, Any], gi: int, key) -> None:
        """Per-element state must have the shape the rule would give it: caught here, not as a broadcast error
        deep inside ``step()``."""
        fresh = self._init_state(p.numpy(), group)
        for name, value in st.items():
            if not isinstance(value, Tensor):
                continue
            ref = fresh.get(name)
            expected = ref.shape if isinstance(ref, np.ndarray) and ref.ndim else (
                p.shape if ref is None and name in _PARAM_SHAPED else None)
            if expected is not None and tuple(value.shape) != tuple(expected):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: state '{name}' of parameter {key!r} (group {gi}) has "
                    f"shape {tuple(value.shape)}, but this optimizer's parameter there has shape {tuple(p.shape)} "
                    f"(expected state shape {tuple(expected)}): the state dict was saved for a different model, or "
                    f"its parameters were passed in a different order"
                )

    @staticmethod
    def _cast_state(p: Tensor, name: str, value):
        value = _copy_value(value)
        if isinstance(value, Tensor) and name != "step" and value.dtype.kind == "f" \
                and p.dtype.kind == "f" and value.dtype != p.dtype:
            value = from_numpy(value.numpy().astype(p.dtype))
        return value

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
