"""Activation functions (``F.relu``, ``F.gelu``, ``F.softmax``, ...), spelled and defined as in
``torch.nn.functional``.

Most are compositions of autograd ops. Four get a dedicated op, for exactness or stability at |x| = 1000:
``softplus`` (no overflow, PyTorch's ``threshold``), the ELU family (``elu``/``selu``/``celu``: ``expm1`` of the
non-positive part only, so no inf*0 in backward), exact ``gelu`` (needs ``erf``) and ``erf`` itself.
``inplace=True`` writes the result into the input through autograd's in-place machinery (version counter,
graph rebase), as PyTorch does.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import autograd
from autograd import _inplace
from autograd.function import Op
from autograd.grad_mode import _mode
from autograd.kernels import activation as K
from autograd.tensor import Tensor, _make

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "elu", "elu_", "selu", "celu", "gelu",
    "silu", "mish", "sigmoid", "tanh", "softmax", "softmin", "log_softmax", "softplus", "softsign", "hardtanh",
    "hardtanh_", "hardsigmoid", "hardswish", "threshold", "threshold_", "logsigmoid", "glu", "tanhshrink",
    "softshrink", "hardshrink", "erf", "celu_", "selu_", "rrelu_",
    "gumbel_softmax",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _as_float(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind == "f" else x.astype(autograd.get_default_dtype())


def _maybe_inplace(fn, x: Tensor, inplace: bool, *args) -> Tensor:
    """``fn(x, *args)``, written into ``x`` when ``inplace``."""
    if inplace:
        return _inplace.apply(x, fn, *args)
    return fn(x, *args)


# ---- dedicated ops ----
erf = autograd.erf  # the error function, elementwise (one op, in autograd/ops/misc.py)


class Gelu(Op):
    """gelu(x) = x Phi(x); d/dx = Phi(x) + x phi(x)"""

    @staticmethod
    def forward(ctx, x):
        x = _as_float(x)
        ctx.save_for_backward(x)
        return K.gelu(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not _mode.enabled:
            return _make(K.gelu_backward(g._data, x._data))
        cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2.0))))
        pdf = autograd.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return g * (cdf + x * pdf)


class Softplus(Op):
    """softplus(x) = log(1 + exp(beta x)) / beta (x where beta x > threshold); d/dx = sigmoid(beta x) (or 1)"""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        x = _as_float(x)
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        return K.softplus(x, beta, threshold)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        return autograd.where(bx > ctx.threshold, g, g * autograd.sigmoid(bx)), None, None


class Elu(Op):
    """elu(x) = scale x (x > 0), scale alpha (exp(input_scale x) - 1) (x <= 0);
    d/dx = scale (x > 0), scale alpha input_scale exp(input_scale x) (x <= 0)"""

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        x = _as_float(x)
        ctx.save_for_backward(x)
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        neg = alpha * np.expm1(np.minimum(x, 0) * input_scale)
        return (scale * np.where(x > 0, x, neg)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a, s, i = ctx.alpha, ctx.scale, ctx.input_scale
        if not _mode.enabled:
            xd = x._data
            d = np.where(xd > 0, s, (s * a * i) * np.exp(np.minimum(xd, 0) * i)).astype(xd.dtype, copy=False)
            return _make(g._data * d), None, None, None
        neg = (s * a * i) * autograd.exp(autograd.clamp(x, max=0) * i)
        return g * autograd.where(x > 0, s, neg), None, None, None


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
def _elu(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    return Elu.apply(x, alpha, scale, input_scale)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > 0, else alpha (exp(x) - 1)"""
    return _maybe_inplace(_elu, input, inplace, alpha, 1.0, 1.0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return elu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha) with the self-normalising constants"""
    return _maybe_inplace(_elu, input, inplace, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > 0, else alpha (exp(x / alpha) - 1)"""
    if alpha == 0:
        raise ValueError("ZeroDivisionError in celu: alpha cannot be 0")
    return _maybe_inplace(_elu, input, inplace, alpha, 1.0, 1.0 / alpha)


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
        return Gelu.apply(input)
    if approximate == "tanh":
        return _gelu_tanh(input)
    raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")


class Silu(Op):
    """silu(x) = x sigmoid(x); d/dx = s (1 + x (1 - s)), s = sigmoid(x): the product rule's x * s(1 - s) term
    overflows to inf * 0 for large |x| with a large upstream gradient, this form does not (PyTorch's)"""

    @staticmethod
    def forward(ctx, x):
        x = _as_float(x)
        ctx.save_for_backward(x)
        return x * autograd.sigmoid(_make(x)).numpy()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = autograd.sigmoid(x)
        return g * (s * (1 + x * (1 - s)))


def _silu(x: Tensor) -> Tensor:
    return Silu.apply(x)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * sigmoid(x) (also called swish)"""
    return _maybe_inplace(_silu, input, inplace)


def _mish(x: Tensor) -> Tensor:
    return x * autograd.tanh(softplus(x))


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * tanh(softplus(x))"""
    return _maybe_inplace(_mish, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + exp(beta x)) / beta, reverting to x where beta x > threshold"""
    return Softplus.apply(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """log(sigmoid(x)) = -softplus(-x), stable for any x"""
    return -Softplus.apply(-input, 1.0, math.inf)


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
    y_soft = autograd.softmax((logits + _make(gumbels)) / tau, dim)
    if not hard:
        return y_soft
    axis = dim % logits.ndim
    index = np.expand_dims(y_soft._data.argmax(axis), axis)
    y_hard = np.zeros(logits.shape, dtype=y_soft.dtype)
    np.put_along_axis(y_hard, index, 1.0, axis=axis)
    return _make(y_hard) - y_soft.detach() + y_soft
