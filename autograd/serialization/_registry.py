"""The Tensor subclass that loading builds for parameters. The engine does not import ``nn``: ``nn`` registers
its ``Parameter`` class here when it is imported (``register_parameter_type``). Before that, a saved parameter
loads as a plain Tensor that requires grad, which ``Module.load_state_dict`` takes all the same."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _make

_parameter_type: list[type] = []


def register_parameter_type(cls: type) -> type:
    """Make loading build ``cls(tensor, requires_grad=...)`` for saved parameters; returns ``cls``."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"register_parameter_type: expected a Tensor subclass, got {cls!r}")
    _parameter_type[:] = [cls]
    return cls


def tensor_kind(t: Tensor) -> str:
    """``"parameter"`` for a registered parameter (or a class named Parameter), else ``"tensor"``."""
    if any(isinstance(t, c) for c in _parameter_type) or type(t).__name__ == "Parameter":
        return "parameter"
    return "tensor"


def make_tensor(arr: np.ndarray, kind: str, requires_grad: bool) -> Tensor:
    """A Tensor (or a registered parameter when ``kind == "parameter"``) wrapping ``arr`` without a copy."""
    if kind == "parameter" and _parameter_type:
        return _parameter_type[0](_make(arr), requires_grad=requires_grad)
    out = _make(arr)
    if requires_grad:
        out.requires_grad_(True)
    return out
