"""Loss functions (``F.mse_loss``, ``F.cross_entropy``, ...), with PyTorch's arguments and exact semantics.

Every loss takes ``reduction='mean'|'sum'|'none'`` (``kl_div`` also ``'batchmean'``); no legacy
``size_average``/``reduce``. Most are compositions of differentiable ops; cross-entropy, NLL, BCE and CTC are
fused ops (``autograd/ops/loss.py``) for stability and speed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

import autograd
from autograd.ops import loss as _ops
from autograd.ops.elementwise import abs as _abs
from autograd.ops.elementwise import clamp, exp, log, minimum, relu, sqrt, where
from autograd.tensor import Tensor

from .activation import logsigmoid
from .distance import pairwise_distance

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "ctc_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# ---- helpers ----
def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else autograd.from_numpy(np.asarray(x))


def _check_reduction(reduction: str, allowed: tuple = _REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction (expected one of {', '.join(allowed)})")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_size(input: Tensor, target: Tensor, stacklevel: int = 3) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=stacklevel,
        )


def _weighted(loss: Tensor, weight, input: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    """The optional elementwise ``weight`` of mse/l1/huber (same size as the input)."""
    if weight is None:
        return _reduce(loss, reduction)
    weight = _t(weight)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"Weights and input must have the same size (weight {tuple(weight.shape)}, input {tuple(input.shape)})"
        )
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)) = -log sigmoid(-x): finite for any x, d/dx = sigmoid(x)."""
    return -logsigmoid(-x)


def _class_weight(weight, ncls: int, dtype, fn: str) -> np.ndarray | None:
    if weight is None:
        return None
    w = np.asarray(weight.numpy() if isinstance(weight, Tensor) else weight)
    if w.shape != (ncls,):
        raise RuntimeError(
            f"{fn}: weight tensor should be defined either for all {ncls} classes or no classes but got weight "
            f"tensor of shape: {list(w.shape)}"
        )
    return w.astype(dtype, copy=False)


def _shape_error(input: Tensor, target: Tensor, message: str) -> None:
    """Raise PyTorch's batch-size message when the batch dims differ, else ``message``."""
    if input.ndim >= 2 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target.shape[0]})."
        )
    raise ValueError(message)


def _check_index_dtype(target: Tensor, fn: str) -> None:
    """Class-index targets are int64 or uint8, as in PyTorch (which refuses int32 and the other integer types)."""
    if target.dtype in (np.int64, np.uint8):
        return
    if target.dtype.kind == "f":
        raise RuntimeError(
            f"{fn}: expected target dtype to be int64 (Long) or uint8 (Byte) class indices, but got {target.dtype}; "
            f"convert class indices with target.long(), or pass class probabilities of the input's shape "
            f"(cross_entropy only)"
        )
    raise RuntimeError(
        f"{fn}: expected target dtype to be int64 (Long) or uint8 (Byte) class indices, but got {target.dtype} "
        f"(PyTorch refuses it too); convert with target.long()"
    )


def _check_class_targets(input: Tensor, target: Tensor, ignore_index: int, fn: str) -> None:
    """Shapes (N, C, d1, ...) / (N, d1, ...), or (C,) / (); every target in [0, C) or ignore_index."""
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have at least 1 dimension (C,) or (N, C, ...), got a 0-d tensor")
    _check_index_dtype(target, fn)
    cdim = 0 if input.ndim == 1 else 1
    ncls = input.shape[cdim]
    expected = input.shape[:cdim] + input.shape[cdim + 1:]
    if tuple(target.shape) != tuple(expected):
        _shape_error(input, target, f"{fn}: expected target size {list(expected)} for input of size "
                     f"{list(input.shape)}, got {list(target.shape)}")
    t = target.numpy()
    bad = (t != ignore_index) & ((t < 0) | (t >= ncls))
    if bad.any():
        raise IndexError(
            f"{fn}: Target {int(t[bad].flat[0])} is out of bounds: the input has {ncls} classes (valid targets "
            f"are 0..{ncls - 1}, or ignore_index={ignore_index})"
        )


# ---- regression losses ----
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(input - target)^2, optionally weighted (the weighted mean divides by sum(weight))."""
    _check_reduction(reduction)
    _warn_size(input, target)
    d = input - target
    return _weighted(d * d, weight, input, reduction, mean_by_weight=True)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|input - target|, optionally weighted (the weighted mean divides by sum(weight))."""
    _check_reduction(reduction)
    _warn_size(input, target)
    return _weighted(_abs(input - target), weight, input, reduction, mean_by_weight=True)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0 gives the L1 loss)."""
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got beta={beta})")
    _warn_size(input, target)
    d = input - target
    ad = _abs(d)
    if beta == 0:
        return _reduce(ad, reduction)
    return _reduce(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); optionally weighted (plain mean)."""
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got delta={delta})")
    _warn_size(input, target)
    d = input - target
    ad = _abs(d)
    loss = where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _weighted(loss, weight, input, reduction, mean_by_weight=False)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) if full); the clamp
    passes the gradient through unchanged, as in PyTorch."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError(f"var has negative entry/entries (var={var})")
        var = autograd.from_numpy(np.full(input.shape, var, dtype=input.dtype))
    elif (var.numpy() < 0).any():
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1:
            pass
        else:
            raise ValueError(
                f"var is of incorrect size: got {tuple(var.shape)} for input of size {tuple(input.shape)}"
            )
    _check_reduction(reduction)
    # clamp for stability, but let the gradient through as if unclamped (PyTorch clamps in place under no_grad)
    v = var.numpy()
    var = var + autograd.from_numpy(np.asarray(np.maximum(v, eps) - v))
    d = input - target
    loss = (log(var) + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, eps: float = 1e-8,
                     reduction: str = "mean") -> Tensor:
    """exp(input) - target input (log_input) or input - target log(input + eps); ``full`` adds the Stirling term
    target log target - target + 0.5 log(2 pi target) where target > 1."""
    _check_reduction(reduction)
    target = _t(target)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        big = target > 1
        t_safe = where(big, target, 1.0)
        stirling = t_safe * log(t_safe) - t_safe + log(t_safe * (2 * math.pi)) * 0.5
        loss = loss + where(big, stirling, 0.0)
    return _reduce(loss, reduction)


# ---- probabilistic classification ----
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)), each log clamped at -100 as in PyTorch."""
    _check_reduction(reduction)
    target = _t(target)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    x = input.numpy()
    if x.size and not (np.all(x >= 0) and np.all(x <= 1)):
        raise RuntimeError(
            f"all elements of input should be between 0 and 1 (binary_cross_entropy got values in "
            f"[{np.nanmin(x):g}, {np.nanmax(x):g}])"
        )
    loss = _ops.BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """(1 - y) x + (1 + (pos_weight - 1) y) softplus(-x), times weight: log-sum-exp form, finite for any x
    (one fused op)."""
    _check_reduction(reduction)
    target = _t(target)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({tuple(target.shape)}) must be the same as input size ({tuple(input.shape)})"
        )
    loss = _ops.BinaryCrossEntropyWithLogits.apply(input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """-sum_c q_c log_softmax(input)_c over the class dim (dim 1, or 0 for an unbatched (C,) input), q the
    one-hot (class-index target) or given (class-probability target) distribution, smoothed to
    (1 - label_smoothing) q + label_smoothing / C and weighted by ``weight``; 'mean' divides by the summed
    weights of the non-ignored targets (index targets) or by the number of samples (probability targets)."""
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    target = _t(target)
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have at least 1 dimension (C,) or (N, C, ...), got a 0-d tensor")
    cdim = 0 if input.ndim == 1 else 1
    w = _class_weight(weight, input.shape[cdim], input.dtype, "cross_entropy")
    if target.dtype.kind == "f":
        if tuple(target.shape) != tuple(input.shape):
            expected = input.shape[:cdim] + input.shape[cdim + 1:]
            if tuple(target.shape) == tuple(expected):
                _check_index_dtype(target, "cross_entropy")  # class indices stored as floats
            _shape_error(input, target, f"cross_entropy: class-probability target of size {list(target.shape)} "
                         f"must match the input size {list(input.shape)}")
        if ignore_index >= 0:
            raise ValueError(
                f"cross_entropy: ignore_index is not supported for floating point (probability) targets "
                f"(got ignore_index={ignore_index})"
            )
    else:
        _check_class_targets(input, target, ignore_index, "cross_entropy")
    return _ops.CrossEntropy.apply(input, target, weight=w, ignore_index=ignore_index,
                                   label_smoothing=float(label_smoothing), reduction=reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """-w[t] input[t] over the class dim; 'mean' divides by the summed weights of the non-ignored targets."""
    _check_reduction(reduction)
    target = _t(target)
    _check_class_targets(input, target, ignore_index, "nll_loss")
    w = _class_weight(weight, input.shape[0 if input.ndim == 1 else 1], input.dtype, "nll_loss")
    return _ops.NllLoss.apply(input, target, weight=w, ignore_index=ignore_index, reduction=reduction)


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target (log target - input), 0 where target == 0 (or exp(target) (target - input) with log_target);
    'batchmean' divides the sum by the batch size input.shape[0]."""
    _check_reduction(reduction, _REDUCTIONS + ("batchmean",))
    target = _t(target)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        pos = target > 0
        t_safe = where(pos, target, 1.0)
        loss = where(pos, target * log(t_safe), 0.0) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim != 0 else total
    return _reduce(loss, reduction)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification: -log of the total probability of all alignments of each target
    to ``log_probs`` (T, N, C) (or (T, C) unbatched); ``targets`` padded (N, S) or concatenated
    (sum(target_lengths),). 'mean' divides each loss by its target length, then averages over the batch."""
    _check_reduction(reduction)
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"ctc_loss: log_probs must be (T, N, C) or (T, C), got shape {tuple(log_probs.shape)}")
    batched = log_probs.ndim == 3
    T, C = log_probs.shape[0], log_probs.shape[-1]
    N = log_probs.shape[1] if batched else 1
    tg = np.asarray(targets.numpy() if isinstance(targets, Tensor) else targets)
    in_len = np.asarray(input_lengths.numpy() if isinstance(input_lengths, Tensor) else input_lengths).reshape(-1)
    tg_len = np.asarray(target_lengths.numpy() if isinstance(target_lengths, Tensor) else target_lengths).reshape(-1)
    in_len, tg_len = in_len.astype(np.int64), tg_len.astype(np.int64)
    if tg.dtype.kind not in "iu" and tg.size:
        raise RuntimeError(f"ctc_loss: targets must be integer class indices, got dtype {tg.dtype}")
    tg = tg.astype(np.int64)
    if in_len.shape != (N,) or tg_len.shape != (N,):
        raise RuntimeError(
            f"ctc_loss: input_lengths (size {in_len.size}) and target_lengths (size {tg_len.size}) must have "
            f"one entry per batch element ({N})"
        )
    if not 0 <= blank < C:
        raise RuntimeError(f"ctc_loss: blank must be in label range [0, {C - 1}], got {blank}")
    if (in_len < 0).any() or (in_len > T).any():
        raise RuntimeError(
            f"ctc_loss: Expected input_lengths to have values in [0, {T}] (T = log_probs.shape[0]), got "
            f"{in_len.tolist()}"
        )
    if (tg_len < 0).any():
        raise RuntimeError(f"ctc_loss: target_lengths must be non-negative, got {tg_len.tolist()}")
    if batched and tg.ndim == 1:  # concatenated
        if tg.size != tg_len.sum():
            raise RuntimeError(
                f"ctc_loss: concatenated targets have {tg.size} labels but target_lengths sum to {tg_len.sum()}"
            )
        offsets = np.concatenate([[0], np.cumsum(tg_len)[:-1]]).astype(np.int64)
        flat = tg
    else:
        padded = tg.reshape(N, -1) if tg.ndim == (2 if batched else 1) else None
        if padded is None:
            raise RuntimeError(
                f"ctc_loss: targets of shape {tuple(tg.shape)} do not fit log_probs of shape "
                f"{tuple(log_probs.shape)}: expected (N, S) or concatenated 1-D targets (or (S,) unbatched)"
            )
        S = padded.shape[1]
        if (tg_len > S).any():
            raise RuntimeError(
                f"ctc_loss: Expected targets to have size at least {tg_len.max()} at dimension "
                f"{1 if batched else 0} (the largest target length), but got size {S}"
            )
        offsets = np.arange(N, dtype=np.int64) * S
        flat = padded.ravel()
    used = np.concatenate([flat[o:o + n] for o, n in zip(offsets, tg_len)]) if N else flat[:0]
    if used.size and ((used < 0).any() or (used >= C).any()):
        bad = int(used[(used < 0) | (used >= C)][0])
        raise RuntimeError(f"ctc_loss: target labels must be in [0, {C - 1}] (C = log_probs.shape[-1]), got {bad}")
    nll = _ops.CtcLoss.apply(log_probs, targets=flat, offsets=offsets, input_lengths=in_len, target_lengths=tg_len,
                             blank=int(blank), zero_infinity=bool(zero_infinity))
    if reduction == "mean":
        denom = np.maximum(tg_len, 1).astype(log_probs.dtype)
        return (nll / autograd.from_numpy(denom if batched else denom.reshape(()))).mean()
    return _reduce(nll, reduction)


# ---- margin and embedding losses ----
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """input where target == 1, max(0, margin - input) where target == -1."""
    _check_reduction(reduction)
    target = _t(target)
    loss = where(target != 1, clamp(margin - input, 0.0, None), 0.0) + where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target input))."""
    _check_reduction(reduction)
    return _reduce(_softplus(-_t(target) * input), reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target (input1 - input2) + margin)."""
    _check_reduction(reduction)
    target = _t(target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: "
            f"{list(input1.shape)}, input2: {list(input2.shape)}, target: {list(target.shape)} "
        )
    return _reduce(clamp(-target * (input1 - input2) + margin, 0.0, None), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1."""
    _check_reduction(reduction)
    target = _t(target)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(
            f"cosine_embedding_loss: expected 1D or 2D inputs of the same size, got input1 {list(input1.shape)} "
            f"and input2 {list(input2.shape)}"
        )
    if target.ndim != input1.ndim - 1 or (target.ndim == 1 and target.shape[0] != input1.shape[0]):
        raise RuntimeError(
            f"cosine_embedding_loss: expected a {input1.ndim - 1}D target with one entry per sample, got target "
            f"{list(target.shape)} for inputs {list(input1.shape)}"
        )
    dim = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / sqrt(mag1 * mag2)
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, clamp(cos - margin, 0.0, None), 0.0)
    return _reduce(loss, reduction)


def _check_margin_input(input: Tensor, target: Tensor, fn: str) -> tuple[int, int]:
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"{fn}: expected a non-empty 1D (C,) or 2D (N, C) input, got size {list(input.shape)}")
    n = input.shape[0] if input.ndim == 2 else 1
    return n, input.shape[-1]


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      reduction: str = "mean") -> Tensor:
    """sum_{i != y} w[y] max(0, margin - x[y] + x[i])^p / C per sample."""
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got p={p}")
    target = _t(target)
    n, ncls = _check_margin_input(input, target, "multi_margin_loss")
    t = target.numpy().reshape(-1)
    if t.size != n or (input.ndim == 2 and target.ndim != 1) or (input.ndim == 1 and target.ndim > 1):
        raise RuntimeError(
            f"multi_margin_loss: inconsistent target size: {list(target.shape)} for input of size: "
            f"{list(input.shape)}"
        )
    if ((t < 0) | (t >= ncls)).any():
        bad = int(t[(t < 0) | (t >= ncls)][0])
        raise IndexError(f"multi_margin_loss: target {bad} is out of range for an input with {ncls} classes")
    onehot = np.zeros((n, ncls), dtype=input.dtype)
    onehot[np.arange(n), t] = 1
    onehot = onehot.reshape(input.shape)
    x_y = (input * autograd.from_numpy(onehot)).sum(-1, keepdim=True)
    z = relu(margin - x_y + input)
    if p == 2:
        z = z * z
    scale = 1 - onehot
    if weight is not None:
        w = _class_weight(weight, ncls, input.dtype, "multi_margin_loss")
        scale = scale * w[t].reshape(input.shape[:-1] + (1,))
    loss = (z * autograd.from_numpy(scale.astype(input.dtype))).sum(-1) / ncls
    return _reduce(loss, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """sum over target classes j (the indices before the first -1) and non-target classes i of
    max(0, 1 - (x[j] - x[i])) / C per sample."""
    _check_reduction(reduction)
    target = _t(target)
    n, ncls = _check_margin_input(input, target, "multilabel_margin_loss")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"multilabel_margin_loss: inconsistent target size: {list(target.shape)} for input of size: "
            f"{list(input.shape)}"
        )
    t = target.numpy().reshape(n, ncls)
    if ((t < -1) | (t >= ncls)).any():
        bad = int(t[(t < -1) | (t >= ncls)][0])
        raise IndexError(f"multilabel_margin_loss: target {bad} is out of range for an input with {ncls} classes")
    listed = np.cumprod(t >= 0, axis=1).astype(bool)  # the entries before the first -1
    count = np.zeros((n, ncls), dtype=input.dtype)  # times each class is listed there
    np.add.at(count, (np.nonzero(listed)[0], t[listed]), 1)
    pairs = count[:, :, None] * (count == 0)[:, None, :]  # (n, j, i): j a target, i not a target
    x = input if input.ndim == 2 else input.unsqueeze(0)
    hinge = relu(1 - x.unsqueeze(2) + x.unsqueeze(1))
    loss = (hinge * autograd.from_numpy(pairs.astype(input.dtype))).sum((1, 2)) / ncls
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                reduction: str = "mean") -> Tensor:
    """-(y log sigmoid(x) + (1 - y) log sigmoid(-x)), weighted, averaged over the classes (last dim)."""
    _check_reduction(reduction)
    target = _t(target)
    loss = target * _softplus(-input) + (1 - target) * _softplus(input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.sum(input.ndim - 1) / input.shape[-1], reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d the p-norm distance (swap: d(a, n) -> min(d(a, n), d(p, n)))."""
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    return _triplet(anchor, positive, negative, lambda a, b: pairwise_distance(a, b, p, eps), margin, swap,
                    reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) for any distance function (default: the Euclidean pairwise distance)."""
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    dist = distance_function if distance_function is not None else pairwise_distance
    return _triplet(anchor, positive, negative, dist, margin, swap, reduction)


def _check_triplet_dims(a: Tensor, p: Tensor, n: Tensor) -> None:
    if not a.ndim == p.ndim == n.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {a.ndim}D, positive {p.ndim}D, and negative {n.ndim}D inputs"
        )


def _triplet(a, pos, neg, dist, margin, swap, reduction) -> Tensor:
    d_pos = dist(a, pos)
    d_neg = dist(a, neg)
    if swap:
        d_neg = minimum(d_neg, dist(pos, neg))
    return _reduce(clamp(margin + d_pos - d_neg, 0.0, None), reduction)
