"""Elementwise kernels for activations and their backward passes (numpy reference implementations)."""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g * y * (1 - y)"""
    return g * y * (1 - y)


def tanh_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g * (1 - y^2)"""
    return g * (1 - y * y)


def relu_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g where y > 0, else 0"""
    return np.where(y > 0, g, 0).astype(g.dtype, copy=False)
