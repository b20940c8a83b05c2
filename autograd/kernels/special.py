"""Special functions numpy lacks: the error function, elementwise through Numba's ``math.erf``."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _erf_flat(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.size):
        out[i] = math.erf(x[i])


def erf(x: np.ndarray) -> np.ndarray:
    """erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise, in x's (floating) dtype."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    if flat.size:
        _erf_flat(flat, out)
    return out.reshape(x.shape)
