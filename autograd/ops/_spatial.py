"""Helpers shared by the spatial ops (conv, pool): a 1-D op runs as the 2-D one with H = 1."""

from __future__ import annotations

import numpy as np


def to_2d(a: np.ndarray, nd: int) -> np.ndarray:
    """(N, C, L) -> (N, C, 1, L) view when ``nd`` is 1; a 2-D array as is."""
    return a if nd == 2 else a[:, :, None, :]


def from_2d(a: np.ndarray, nd: int) -> np.ndarray:
    """(N, C, 1, L) -> (N, C, L) view when ``nd`` is 1; a 2-D array as is."""
    return a if nd == 2 else a[:, :, 0, :]
