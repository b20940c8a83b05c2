"""The table of ops: every differentiable op of the contract is a row here, and the rows drive the generic
tests in ``tests/test_op_specs.py``: forward vs PyTorch, float64 gradcheck and gradgradcheck, first and second
derivatives vs PyTorch in float32 and float64, for every listed shape case. A row's ``big`` cases are sizes
above a kernel's threshold (the Numba fast path); they run the PyTorch comparisons only, since finite
differences over thousands of inputs would take minutes.

A row's ``fn(lib, *xs)`` is written once for both libraries: ``lib`` is ``autograd`` or ``torch`` and ``xs``
their tensors, so a row states the op exactly as a user would write it in each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class OpSpec:
    name: str
    fn: Callable  # fn(lib, *tensors) -> tensor or tuple of tensors
    cases: list  # each case: a tuple of input shapes
    low: float = -2.0  # inputs drawn uniformly from [low, high]
    high: float = 2.0
    make: Callable | None = None  # make(rng, shapes, dtype) -> list of numpy inputs, overrides low/high
    grad_inputs: tuple | None = None  # indices of inputs to differentiate (default: every float input)
    atol: float = 1e-5
    rtol: float = 1e-4
    gradcheck: bool = True  # False only for rows whose inputs are far outside finite differences' reach
    marks: list = field(default_factory=list)
    big: list = field(default_factory=list)  # cases above a kernel's size threshold: PyTorch comparisons only
    no_gradgrad: str = ""  # why the row has no second-order check; empty: gradgradcheck runs on every case
    no_torch_gradgrad: str = ""  # why PyTorch's double backward is no oracle for this row (missing, nan, other math)
    gradgrad_bug: str = ""  # a known wrong second derivative (an open bug): both second-order tests xfail strictly

    def inputs(self, case, dtype, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        if self.make is not None:
            return [np.asarray(x) for x in self.make(rng, case, dtype)]
        return [rng.uniform(self.low, self.high, size=s).astype(dtype) for s in case]


def positive(rng, shapes, dtype):
    return [rng.uniform(0.2, 2.0, size=s).astype(dtype) for s in shapes]


def away_from_zero(rng, shapes, dtype):
    """Magnitudes in [0.3, 2] with random signs: for ops with a kink or pole at 0."""
    return [(rng.uniform(0.3, 2.0, size=s) * rng.choice([-1, 1], size=s)).astype(dtype) for s in shapes]


def distinct(rng, shapes, dtype):
    """Values with no ties (for max/min/sort), spaced so finite differences do not reorder them."""
    out = []
    for s in shapes:
        n = int(np.prod(s)) if s else 1
        out.append((rng.permutation(n).reshape(s) * 0.1 - n * 0.05).astype(dtype))
    return out


def all_specs() -> list[OpSpec]:
    """Every family module of this package (found on disk, so a new file needs no registration here); an import
    error fails loudly rather than dropping a family's rows."""
    import importlib
    import pkgutil

    specs = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        specs.extend(importlib.import_module(f"{__name__}.{info.name}").SPECS)
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"op_specs: row names must be unique; repeated: {duplicates}")
    return specs
