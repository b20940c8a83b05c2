"""Variable-length sequences, as ``torch.nn.utils.rnn``: ``pad_sequence`` / ``unpad_sequence`` and the packed
form (``PackedSequence``, ``pack_padded_sequence``, ``pad_packed_sequence``, ``pack_sequence``,
``unpack_sequence``) with PyTorch's layout: ``data`` holds, time step by time step, the entries of the
sequences still running at that step (longest first), ``batch_sizes[t]`` how many there are.

Every conversion is one differentiable gather (an index into the flattened input), so gradients flow through
packing and padding.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

import numpy as np

import autograd
from autograd.tensor import Tensor

__all__ = [
    "PackedSequence", "pad_sequence", "unpad_sequence", "pack_padded_sequence", "pad_packed_sequence",
    "pack_sequence", "unpack_sequence",
]


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Packed variable-length batch: ``data`` (sum of lengths, *), ``batch_sizes`` (int64, one per time step),
    and the permutation that sorted the batch by decreasing length (None when it already was)."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _invert(perm: Tensor) -> Tensor:
    p = perm.numpy()
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return autograd.from_numpy(inv)


def _lengths(lengths) -> np.ndarray:
    arr = lengths.numpy() if isinstance(lengths, Tensor) else np.asarray(lengths)
    arr = arr.astype(np.int64).reshape(-1)
    if arr.size and arr.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    return arr


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into (max L, B, *) (or (B, max L, *) with ``batch_first``), padding
    with ``padding_value`` on the ``padding_side``."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    seqs = [s if isinstance(s, Tensor) else autograd.tensor(s) for s in sequences]
    trailing = seqs[0].shape[1:]
    for s in seqs:
        if s.shape[1:] != trailing:
            raise RuntimeError(
                f"pad_sequence: all sequences must have the same trailing shape {tuple(trailing)}, got {tuple(s.shape)}"
            )
    max_len = max(s.shape[0] for s in seqs)
    rows = []
    for s in seqs:
        missing = max_len - s.shape[0]
        if missing:
            fill = autograd.full((missing,) + tuple(trailing), padding_value, dtype=s.dtype)
            s = autograd.cat([s, fill] if padding_side == "right" else [fill, s])
        rows.append(s)
    out = autograd.stack(rows, 0)  # (B, T, *)
    return out if batch_first else out.transpose(0, 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """The inverse of ``pad_sequence``: a list of the B sequences, each cut to its length."""
    lens = _lengths(lengths)
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, : int(n)] for i, n in enumerate(lens)]


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences of the given ``lengths``."""
    lens = _lengths(lengths)
    x = input if not batch_first else input.transpose(0, 1)  # (T, B, *)
    T, B = x.shape[0], x.shape[1]
    if lens.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.size} "
                           f"(batch_size={B})")
    if lens.max() > T:
        raise RuntimeError(f"pack_padded_sequence: a length of {lens.max()} exceeds the {T} time steps of the input")
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability."
            )
        order = None
        sorted_lens = lens
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_lens = lens[order]
    batch_sizes = (sorted_lens[None, :] > np.arange(sorted_lens[0])[:, None]).sum(1)
    cols = np.arange(B) if order is None else order
    index = np.concatenate([t * B + cols[:bs] for t, bs in enumerate(batch_sizes)])
    data = x.reshape((T * B,) + tuple(x.shape[2:]))[autograd.from_numpy(index)]
    sorted_indices = None if order is None else autograd.from_numpy(order.astype(np.int64))
    return PackedSequence(data, autograd.from_numpy(batch_sizes.astype(np.int64)), sorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: (padded batch, lengths as int64), in the original batch order."""
    data, batch_sizes = sequence.data, sequence.batch_sizes.numpy().astype(np.int64)
    B = int(batch_sizes[0]) if batch_sizes.size else 0
    T = batch_sizes.size
    if total_length is not None:
        if total_length < T:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {T}"
            )
        T = total_length
    n = data.shape[0]
    index = np.full((T, B), n, dtype=np.int64)  # n: the padding row appended below
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)])
    for t, bs in enumerate(batch_sizes):
        index[t, :bs] = np.arange(offsets[t], offsets[t] + bs)
    lengths = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(1)  # per sorted batch entry
    pad_row = autograd.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    rows = autograd.cat([data, pad_row])[autograd.from_numpy(index.reshape(-1))]
    padded = rows.reshape((T, B) + tuple(data.shape[1:]))
    if sequence.unsorted_indices is not None:
        unsort = sequence.unsorted_indices
        padded = padded.index_select(1, unsort)
        lengths = lengths[unsort.numpy()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, autograd.from_numpy(lengths.astype(np.int64))


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors of shapes (L_i, *)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Undo ``pack_sequence``: the list of sequences."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
