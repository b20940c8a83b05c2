"""Index encodings of ``torch.nn.functional``: ``embedding`` (rows of a table, one op in
``autograd.ops.embedding``) and ``one_hot``."""

from __future__ import annotations

import numpy as np

import autograd
from autograd import Tensor
from autograd.ops import embedding as ops

__all__ = ["embedding", "one_hot"]


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,  # noqa: A002
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input`` (shape ``input.shape + (embedding_dim,)``).

    ``padding_idx``'s row gets no gradient; ``max_norm`` renormalises the looked-up rows in place first;
    ``sparse=True`` is accepted but the gradient is dense.
    """
    idx = input.numpy() if isinstance(input, Tensor) else np.asarray(input)
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
        ops.embedding_renorm_(weight, idx, max_norm, norm_type)
    return ops.embedding(weight, idx, padding_idx, scale_grad_by_freq)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each class index."""
    idx = tensor.numpy() if isinstance(tensor, Tensor) else np.asarray(tensor)
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
    return autograd.from_numpy(out)
