"""``embedding_bag``: sums, means or maxima of bags of embedding rows, without the (N, D) intermediate per bag.

Bags are the rows of a 2-D ``input``, or the runs of a 1-D ``input`` starting at ``offsets``. Entries equal to
``padding_idx`` are left out (a mean divides by the entries kept); an empty bag gives zeros. Sum and mean are
an ``index_add`` of the looked-up rows, max a maximum over the rows padded to the longest bag, so gradients
reach ``weight`` (and ``per_sample_weights``) as in PyTorch.
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd.tensor import Tensor

from .embedding import embedding

__all__ = ["embedding_bag"]


def _bags(input: Tensor, offsets, include_last_offset: bool) -> tuple[np.ndarray, np.ndarray, int]:  # noqa: A002
    """(flat indices, bag of each index, number of bags)."""
    idx = input.numpy() if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding_bag: expected input of an integer dtype (Long or Int), got {idx.dtype}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets).__name__}")
        b, n = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(b), n), b
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    off = offsets.numpy() if isinstance(offsets, Tensor) else np.asarray(offsets)
    if off.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    off = off.astype(np.int64)
    if off.size and off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {off[0]}")
    if off.size and (np.any(np.diff(off) < 0) or off[-1] > idx.size):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing and at most len(input) = {idx.size}, "
                           f"got {off.tolist()}")
    bounds = off if include_last_offset else np.append(off, idx.size)
    b = bounds.size - 1
    if include_last_offset and b < 0:
        raise RuntimeError("embedding_bag: include_last_offset needs at least one offset")
    bag = np.repeat(np.arange(b), np.diff(bounds))
    return idx[: bag.size], bag, b


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,  # noqa: A002
                  max_norm: float | None = None, norm_type: float = 2, scale_grad_by_freq: bool = False,
                  mode: str = "mean", sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """out[b] = sum / mean / max of weight[i] over the indices i of bag b (times ``per_sample_weights``)."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                  f"on GitHub.")
    flat, bag, b = _bags(input, offsets, include_last_offset)
    num, dim = weight.shape
    if padding_idx is not None:
        padding_idx = padding_idx % num if -num <= padding_idx < num else padding_idx
    keep = flat != padding_idx if padding_idx is not None else np.ones(flat.size, bool)
    rows = embedding(autograd.tensor(flat[keep]), weight, None, max_norm, norm_type, scale_grad_by_freq)
    bag = bag[keep]
    counts = np.bincount(bag, minlength=b)
    if mode == "max":
        if rows.shape[0] == 0:
            return autograd.zeros((b, dim), dtype=weight.dtype)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        width = int(counts.max())
        index = np.full((b, width), rows.shape[0], dtype=np.int64)  # the -inf row below
        pos = np.arange(bag.size) - starts[bag]
        index[bag, pos] = np.arange(bag.size)
        pad = autograd.full((1, dim), -np.inf, dtype=weight.dtype)
        best = autograd.cat([rows, pad])[autograd.tensor(index)].max(1).values
        empty = autograd.tensor((counts == 0)[:, None])
        return autograd.where(empty, autograd.zeros((), dtype=weight.dtype), best)
    if per_sample_weights is not None:
        psw = per_sample_weights.reshape(-1)
        if psw.shape[0] != flat.size:
            raise ValueError(f"embedding_bag: per_sample_weights (shape {list(per_sample_weights.shape)}) must have "
                             f"the same shape as input (shape {list(np.shape(input))})")
        rows = rows * psw[autograd.tensor(np.flatnonzero(keep))].unsqueeze(1)
    out = autograd.zeros((b, dim), dtype=weight.dtype).index_add(0, autograd.tensor(bag), rows)
    if mode == "mean":
        out = out / autograd.tensor(np.maximum(counts, 1).astype(weight.dtype)[:, None])
    return out
