"""Activation functions (``F.relu``, ``F.gelu``, ``F.softmax``, ...), spelled and defined as in
``torch.nn.functional``.

Most are compositions of autograd ops. Four are dedicated ops in ``autograd.ops.activation``, for exactness or
stability at |x| = 1000: ``softplus`` (no overflow, PyTorch's ``threshold``), the ELU family
(``elu``/``selu``/``celu``), exact ``gelu`` (needs ``erf``) and ``silu``; ``erf`` is ``autograd.erf``.
``inplace=True`` writes the result into the input through ``autograd.utils.inplace.apply_inplace`` (version
counter, graph rebase), as PyTorch does.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import autograd
from autograd import Tensor
from autograd.ops import activation as ops
from autograd.utils.inplace import apply_inplace

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "elu", "elu_", "selu", "celu", "gelu",
    "silu", "mish", "sigmoid", "tanh", "softmax", "softmin", "log_softmax", "softplus", "softsign", "hardtanh",
    "hardtanh_", "hardsigmoid", "hardswish", "threshold", "threshold_", "logsigmoid", "glu", "tanhshrink",
    "softshrink", "hardshrink", "erf", "celu_", "selu_", "rrelu_",
    "gumbel_softmax",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

erf = autograd.erf  # the error function, elementwise


def _maybe_inplace(fn, x: Tensor, inplace: bool, *args) -> Tensor:
    """``fn(x, *args)``, written into ``x`` when ``inplace``."""
    if inplace:
        return apply_inplace(x, fn, *args)
    return fn(x, *args)


# ---- rectifiers ----
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(x, 0)"""
    return input.relu_() if inplace else autograd.relu(input)


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    return input.relu_()


def _leaky(x: Tensor, negative_slope: float) -> Tensor:
    return autograd.where(x > 0, x, x * negative_slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > 0, else negative_slope * x"""
    return _maybe_inplace(_leaky, input, inplace, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    return leaky_relu(input, negative_slope, True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """x where x > 0, else weight * x, ``weight`` having one entry or one per channel (dim 1)."""
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim == 1 else 1)
        if channels != n:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                f"{n} and channel size = {channels}."
            )
        if input.ndim >= 2:
            weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif weight.ndim != 0:
        weight = weight.reshape(())
    return autograd.where(input > 0, input, weight * input)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,  # noqa: A002
          inplace: bool = False) -> Tensor:
    """Leaky ReLU with a slope drawn uniformly from [lower, upper] per element when training,
    (lower + upper) / 2 otherwise."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slope = autograd.rand(input.shape, dtype=input.dtype) * (upper - lower) + lower
    return _maybe_inplace(lambda x: autograd.where(x >= 0, x, x * slope), input, inplace)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:  # noqa: A002
    return rrelu(input, lower, upper, training, True)


def _clamp(x: Tensor, lo: float, hi: float) -> Tensor:
    return autograd.clamp(x, lo, hi)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """clamp(x, min_val, max_val)"""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _maybe_inplace(_clamp, input, inplace, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    return hardtanh(input, min_val, max_val, True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6)"""
    return hardtanh(input, 0.0, 6.0, inplace)


def _threshold(x: Tensor, threshold: float, value: float) -> Tensor:
    return autograd.where(x > threshold, x, value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > threshold, else value"""
    return _maybe_inplace(_threshold, input, inplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    return _maybe_inplace(_threshold, input, True, threshold, value)


# ---- exponential family ----
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > 0, else alpha (exp(x) - 1)"""
    return _maybe_inplace(ops.elu, input, inplace, alpha, 1.0, 1.0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return elu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha) with the self-normalising constants"""
    return _maybe_inplace(ops.elu, input, inplace, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > 0, else alpha (exp(x / alpha) - 1)"""
    if alpha == 0:
        raise ValueError("ZeroDivisionError in celu: alpha cannot be 0")
    return _maybe_inplace(ops.elu, input, inplace, alpha, 1.0, 1.0 / alpha)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    return selu(input, True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return celu(input, alpha, True)


def _gelu_tanh(x: Tensor) -> Tensor:
    inner = (x + 0.044715 * x * x * x) * math.sqrt(2.0 / math.pi)
    return 0.5 * x * (1 + autograd.tanh(inner))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """x Phi(x) (exact, via erf) or its tanh approximation (``approximate='tanh'``)"""
    if approximate == "none":
        return ops.gelu(input)
    if approximate == "tanh":
        return _gelu_tanh(input)
    raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * sigmoid(x) (also called swish)"""
    return _maybe_inplace(ops.silu, input, inplace)


def _mish(x: Tensor) -> Tensor:
    return x * autograd.tanh(softplus(x))


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * tanh(softplus(x))"""
    return _maybe_inplace(_mish, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + exp(beta x)) / beta, reverting to x where beta x > threshold"""
    return ops.softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """log(sigmoid(x)) = -softplus(-x), stable for any x"""
    return -ops.softplus(-input, 1.0, math.inf)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return autograd.sigmoid(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return autograd.tanh(input)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """x / (1 + |x|)"""
    return input / (1 + autograd.abs(input))


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """x - tanh(x)"""
    return input - autograd.tanh(input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0"""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return autograd.where(input > lambd, input - lambd, autograd.where(input < -lambd, input + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd, else 0"""
    return autograd.where((input > lambd) | (input < -lambd), input, 0.0)


def _hardsigmoid(x: Tensor) -> Tensor:
    return autograd.clamp(x + 3, 0, 6) / 6


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """relu6(x + 3) / 6"""
    return _maybe_inplace(_hardsigmoid, input, inplace)


def _hardswish(x: Tensor) -> Tensor:
    return x * autograd.clamp(x + 3, 0, 6) / 6


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * relu6(x + 3) / 6"""
    return _maybe_inplace(_hardswish, input, inplace)


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """a * sigmoid(b), where a, b are the two halves of ``input`` along ``dim``"""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} is size {n}")
    a, b = input.chunk(2, dim)
    return a * autograd.sigmoid(b)


# ---- softmax family ----
def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim`` (stable)"""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return autograd.softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    """softmax(-x)"""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    return autograd.softmax(-input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    """x - logsumexp(x) along ``dim`` (stable)"""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return autograd.log_softmax(input, dim, dtype=dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) i.i.d. (drawn from the default generator); with
    ``hard=True`` the one-hot of its argmax in the forward pass and the soft sample's gradient (straight-through)."""
    from autograd.random import rng

    gumbels = -np.log(rng().exponential(1.0, logits.shape)).astype(logits.dtype)
    y_soft = autograd.softmax((logits + autograd.from_numpy(gumbels)) / tau, dim)
    if not hard:
        return y_soft
    axis = dim % logits.ndim
    index = np.expand_dims(y_soft.numpy().argmax(axis), axis)
    y_hard = np.zeros(logits.shape, dtype=y_soft.dtype)
    np.put_along_axis(y_hard, index, 1.0, axis=axis)
    return autograd.from_numpy(y_hard) - y_soft.detach() + y_soft
