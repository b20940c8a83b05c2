"""Functional forms of the linear-family layers and tensor utilities of ``torch.nn.functional``: ``linear``,
``bilinear``, the dropouts, ``embedding``, ``one_hot``, ``normalize``, ``pad``, ``cosine_similarity``,
``pairwise_distance``.

``linear`` and ``embedding`` are dedicated ops (one node each, numpy/BLAS when no graph of the backward is being
recorded); their backward is written in Tensor ops too, so higher derivatives work.
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd import dtypes
from autograd.function import Op
from autograd.grad_mode import _mode, no_grad
from autograd.random import rng
from autograd.tensor import Tensor, _make

from .activation import _maybe_inplace

__all__ = [
    "linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    "embedding",
    "one_hot", "normalize", "pad", "cosine_similarity", "pairwise_distance", "identity",
]


# ---- linear ----
class Linear(Op):
    """y = x W^T + b; dy/dx = g W, dy/dW = g^T x (over all leading dims), dy/db = sum of g"""

    @staticmethod
    def forward(ctx, x, w, b):
        dt = dtypes.promote(x, w) if b is None else dtypes.promote(x, w, b)
        if dt.kind != "f":
            dt = dtypes.get_default_dtype()
        x = x.astype(dt, copy=False)
        w = w.astype(dt, copy=False)
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        n_in = x.shape[-1]
        # (..., in) as one (rows, in) GEMM: numpy's matmul runs a 3-D operand as one smaller GEMM per batch entry
        out = (x.reshape(-1, n_in) @ w.T).reshape(x.shape[:-1] + (w.shape[0],)) if x.ndim > 2 else x @ w.T
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        n_out = g.shape[-1]
        if not _mode.enabled:
            gd = g._data
            g2 = gd.reshape(-1, n_out)
            gx = gw = None
            if need_x or need_w:  # (only what needs a gradient was saved)
                n_in = (w if need_x else x).shape[-1]
                gx = _make((g2 @ w._data).reshape(gd.shape[:-1] + (n_in,))) if need_x else None
                gw = _make(g2.T @ x._data.reshape(-1, n_in)) if need_w else None
            gb = _make(g2.sum(0)) if need_b else None
            return gx, gw, gb
        g2 = g.reshape(-1, n_out)
        gx = g.matmul(w) if need_x else None
        gw = g2.t().matmul(x.reshape(-1, x.shape[-1])) if need_w else None
        gb = g2.sum(0) if need_b else None
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """x W^T + b for ``weight`` of shape (out_features, in_features) and any number of leading dims of x."""
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got shape {tuple(weight.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = int(np.prod(input.shape[:-1])) if input.ndim else 1
        cols = input.shape[-1] if input.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and {weight.shape[1]}x{weight.shape[0]}): "
            f"input of shape {tuple(input.shape)}, weight of shape {tuple(weight.shape)}"
        )
    if input.dtype != weight.dtype:
        # PyTorch refuses mixed dtypes here as `float32 @ float64` does; casting silently would hide the mistake
        layer = f", or the layer with .to(autograd.{input.dtype})" if input.dtype.kind == "f" else ""
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {input.dtype} (input) and {weight.dtype} (weight); "
            f"convert the input with .to(autograd.{weight.dtype}){layer}"
        )
    if bias is not None and bias.shape not in ((weight.shape[0],), ()):
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match weight {tuple(weight.shape)}")
    return Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k for ``weight`` A of shape (out, in1, in2)."""
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} do not match weight "
            f"{tuple(weight.shape)} (expected last dims {in1} and {in2} and equal leading dims)"
        )
    t = input1.matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2))
    t = t.reshape(*input1.shape[:-1], out_f, in2)
    y = (t * input2.unsqueeze(-2)).sum(-1)
    return y if bias is None else y + bias


def identity(input: Tensor) -> Tensor:  # noqa: A002
    return input


# ---- dropout ----
def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _mul_mask(x: Tensor, mask: Tensor) -> Tensor:
    return x * mask


def _dropout_mask(shape: tuple, p: float, dtype) -> Tensor:
    if p == 1.0:
        return _make(np.zeros(shape, dtype))
    keep = rng().random(shape) >= p
    return _make((keep / (1.0 - p)).astype(dtype))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) when ``training``; identity else."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    mask = _dropout_mask(input.shape, p, input.dtype if input.dtype.kind == "f" else dtypes.get_default_dtype())
    return _maybe_inplace(_mul_mask, input, inplace, mask)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, spatial: int, name: str) -> Tensor:
    _check_p(p)
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received a {input.ndim}D input "
            f"of shape {tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    lead = input.ndim - spatial
    shape = tuple(input.shape[:lead]) + (1,) * spatial
    return _maybe_inplace(_mul_mask, input, inplace, _dropout_mask(shape, p, input.dtype))


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of an (N, C, L) or (C, L) input."""
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input."""
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


_SELU_ALPHA_PRIME = 1.7580993408473766  # scale * alpha of SELU


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, mask_shape: tuple) -> Tensor:  # noqa: A002
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = (rng().random(mask_shape) >= p).astype(input.dtype)
    a = 1.0 / np.sqrt((_SELU_ALPHA_PRIME**2 * p + 1) * (1 - p))
    b = (keep - 1) * (_SELU_ALPHA_PRIME * a) + _SELU_ALPHA_PRIME * a * p
    mask, shift = _make((keep * a).astype(input.dtype)), _make(b.astype(input.dtype))
    return _maybe_inplace(lambda x: x * mask + shift, input, inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:  # noqa: A002
    """Dropout for SELU networks: dropped units are set to SELU's negative saturation and an affine correction
    keeps mean and variance (PyTorch's formula)."""
    return _alpha_dropout(input, p, training, inplace, input.shape)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False) -> Tensor:
    """``alpha_dropout`` of whole channels (dim 1) of an (N, C, ...) input."""
    if input.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: expected an input with at least 2 dims (N, C, ...), got shape "
                           f"{tuple(input.shape)}")
    return _alpha_dropout(input, p, training, inplace, tuple(input.shape[:2]) + (1,) * (input.ndim - 2))


# ---- embedding ----
class EmbeddingLookup(Op):
    """out = W[idx]; dW = sum of g over the positions of each index (0 for ``padding_idx``)"""

    @staticmethod
    def forward(ctx, w, idx, padding_idx, scale_grad_by_freq):
        ctx.idx, ctx.num, ctx.padding_idx, ctx.scale = idx, w.shape[0], padding_idx, scale_grad_by_freq
        return w[idx]

    @staticmethod
    def backward(ctx, g):
        return EmbeddingBackward.apply(g, ctx.idx, ctx.num, ctx.padding_idx, ctx.scale), None, None, None


class EmbeddingBackward(Op):
    """gW[i] = sum of g[p] over positions p with idx[p] == i; its derivative w.r.t. g is the lookup again"""

    @staticmethod
    def forward(ctx, g, idx, num, padding_idx, scale):
        ctx.idx, ctx.padding_idx, ctx.weights = idx, padding_idx, None
        d = g.shape[-1]
        flat_idx = idx.reshape(-1)
        g2 = g.reshape(-1, d)
        if scale:
            counts = np.bincount(flat_idx, minlength=num)
            ctx.weights = (1.0 / counts[flat_idx]).astype(g.dtype)
            g2 = g2 * ctx.weights[:, None]
        out = np.zeros((num, d), dtype=g.dtype)
        np.add.at(out, flat_idx, g2)
        if padding_idx is not None:
            out[padding_idx] = 0
        return out

    @staticmethod
    def backward(ctx, gg):
        mask = None
        if ctx.padding_idx is not None:
            mask = _make((ctx.idx != ctx.padding_idx).astype(gg.dtype)[..., None])
        out = EmbeddingLookup.apply(gg, ctx.idx, None, False)
        if ctx.weights is not None:
            out = out * _make(ctx.weights.reshape(ctx.idx.shape)[..., None])
        if mask is not None:
            out = out * mask
        return out, None, None, None, None


def _renorm_rows(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's ``embedding_renorm_``: rows referenced by ``idx`` whose norm exceeds ``max_norm`` are scaled
    (in place, without autograd) to norm ``max_norm``."""
    with no_grad():
        w = weight._data
        rows = np.unique(idx)
        norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
        big = norms > max_norm
        if big.any():
            scale = max_norm / (norms[big] + 1e-7)
            w[rows[big]] = (w[rows[big]] * scale[:, None]).astype(w.dtype)
            weight._version[0] += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,  # noqa: A002
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input`` (shape ``input.shape + (embedding_dim,)``).

    ``padding_idx``'s row gets no gradient; ``max_norm`` renormalises the looked-up rows in place first;
    ``sparse=True`` is accepted but the gradient is dense.
    """
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have an integer dtype (Long or Int); but got {idx.dtype} "
            "instead (while checking arguments for embedding)"
        )
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx.max() if idx.max() >= num else idx.min()
        raise IndexError(f"embedding: index {bad} is out of range for a table of {num} rows")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"Padding_idx must be within num_embeddings (got {padding_idx} for {num} rows)")
        padding_idx %= num
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return EmbeddingLookup.apply(weight, idx, padding_idx, scale_grad_by_freq)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each class index."""
    idx = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor of integer dtype, got {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError(f"Class values must be smaller than num_classes (got {int(idx.max())} >= {num_classes}).")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.int64), 1, axis=-1)
    return _make(out)


# ---- norms and distances ----
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:  # noqa: A002
    """x / max(||x||_p, eps) along ``dim``."""
    return input / autograd.clamp(input.norm(p, dim, keepdim=True), min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/max(||x1||, eps) * x2/max(||x2||, eps)) along ``dim`` (inputs broadcast)."""
    n1 = autograd.clamp(x1.norm(2, dim, keepdim=True), min=eps)
    n2 = autograd.clamp(x2.norm(2, dim, keepdim=True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension."""
    diff = x1 - x2 + eps
    if diff.ndim == 0:
        diff = diff.reshape(1)
    return diff.norm(p, -1, keepdim=keepdim)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """Pad the last ``len(pad) // 2`` dims (autograd's ``pad``: constant, reflect, replicate, circular)."""
    return autograd.pad(input, pad, mode=mode, value=value)
