"""Attention, as ``torch.nn.functional``: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Without a mask or dropout, attention is one op (``autograd.ops.attention``: a block of the batch at a time, its
backward an op of its own), and self-attention in ``multi_head_attention_forward`` runs on the packed
in-projection, the heads split and merged as views. Otherwise both are composed from differentiable Tensor ops
(matmul, softmax, dropout, linear). Either way every input, including a float ``attn_mask``, gets its gradient
and higher derivatives. Mask conventions are PyTorch's, which differ between the two: in
``scaled_dot_product_attention`` a bool mask is True where attending is *allowed*; in
``multi_head_attention_forward`` (and ``nn.MultiheadAttention``, the transformer layers) a bool ``attn_mask`` or
``key_padding_mask`` is True where attending is *not* allowed. Float masks are added to the scores in both.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import autograd
from autograd.ops import attention as fused
from autograd.tensor import Tensor

from .activation import softmax
from .dropout import dropout
from .linear import linear
from .padding import pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _bool_to_bias(mask: np.ndarray, dtype, allowed: bool) -> Tensor:
    """A bool mask as an additive bias: 0 where attending is allowed, -inf elsewhere."""
    blocked = ~mask if allowed else mask
    return autograd.from_numpy(np.where(blocked, -np.inf, 0.0).astype(dtype))


def _causal_bias(L: int, S: int, dtype) -> Tensor:
    return autograd.from_numpy(np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf).astype(dtype))


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two dims (..., L, E) x (..., S, E) x (..., S, Ev).

    ``scale`` defaults to 1/sqrt(E). ``attn_mask``: bool (True = may attend) or float (added), broadcastable to
    (..., L, S). ``is_causal``: attend only to positions j <= i (no ``attn_mask`` then). ``dropout_p`` drops
    attention weights (always: pass 0.0 in evaluation). ``enable_gqa``: key/value may have fewer heads (dim -3)
    than query, each shared by a group of query heads.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.dim() < 2:
            raise ValueError(f"scaled_dot_product_attention: {name} must be a Tensor with at least 2 dims, "
                             f"got {getattr(t, 'shape', type(t).__name__)}")
    if query.size(-1) != key.size(-1):
        raise RuntimeError(f"scaled_dot_product_attention: query and key must have the same embedding size, got "
                           f"query {tuple(query.shape)} and key {tuple(key.shape)}")
    if key.size(-2) != value.size(-2):
        raise RuntimeError(f"scaled_dot_product_attention: key and value must have the same sequence length, got "
                           f"key {tuple(key.shape)} and value {tuple(value.shape)}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    L, S = query.size(-2), key.size(-2)
    if enable_gqa and key.dim() >= 3 and query.size(-3) != key.size(-3):
        hq, hk = query.size(-3), key.size(-3)
        if hq % hk:
            raise RuntimeError(f"scaled_dot_product_attention: number of query heads {hq} is not a multiple of "
                               f"the number of key/value heads {hk}")
        key, value = (_repeat_heads(t, hq // hk) for t in (key, value))
    scale_factor = 1.0 / math.sqrt(query.size(-1)) if scale is None else scale
    if attn_mask is None and not is_causal and dropout_p == 0.0 and _fusable(query, key, value):
        return fused.scaled_dot_product_attention(query, key, value, scale_factor)
    scores = (query * scale_factor) @ key.transpose(-2, -1)  # scaling Q (L x E) is cheaper than the scores
    bias = None
    if is_causal:
        bias = _causal_bias(L, S, scores.dtype)
    elif attn_mask is not None:
        bias = _bool_to_bias(attn_mask.numpy(), scores.dtype, allowed=True) if attn_mask.dtype == np.bool_ \
            else attn_mask
    dead = None
    if bias is not None:
        # a query that may attend to nothing gets a zero output (and zero gradients), as in PyTorch, not NaN
        dead = np.all(np.isneginf(bias.numpy()), axis=-1, keepdims=True)
        if dead.any():
            bias = bias.masked_fill(autograd.from_numpy(dead), 0.0)
        else:
            dead = None
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    if dead is not None:
        weights = weights * autograd.from_numpy((~dead).astype(weights.dtype))
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def _fusable(query: Tensor, key: Tensor, value: Tensor) -> bool:
    """Whether the one-op attention applies: one floating dtype and no empty axis (else the composition, with its
    errors and edge cases)."""
    dt = query.dtype
    if dt.kind != "f" or key.dtype != dt or value.dtype != dt or any(0 in t.shape for t in (query, key, value)):
        return False
    try:
        np.broadcast_shapes(*(tuple(t.shape[:-2]) for t in (query, key, value)))
    except ValueError:
        return False
    return True


def _repeat_heads(t: Tensor, n: int) -> Tensor:
    """(..., H, S, E) -> (..., H*n, S, E), each head repeated n times in a row (repeat_interleave on dim -3)."""
    shape = tuple(t.shape)
    expanded = t.unsqueeze(-3).expand(*shape[:-2], n, *shape[-2:])
    return expanded.reshape(*shape[:-3], shape[-3] * n, *shape[-2:])


# ---------------------------------------------------------------- multi-head attention
def _canonical_mask(mask: Tensor | None, mask_name: str, other_type, other_name: str, target_type,
                    check_other: bool = True) -> Tensor | None:
    """A bool mask (True = blocked) becomes a float mask with -inf where blocked; float masks pass unchanged."""
    if mask is None:
        return None
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if mask.dtype == np.bool_:
        return _bool_to_bias(mask.numpy(), target_type, allowed=False)
    return mask


def _none_or_dtype(t: Tensor | None):
    return None if t is None else t.dtype


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's checks of the ranks of the inputs; True when batched (3-D query)."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                         "tensor")


def _pad_last(mask: Tensor) -> Tensor:
    """One more (zero: not blocked) column at the end of a float mask."""
    return pad(mask, (0, 1))


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, q_w, k_w, v_w, separate: bool):
    E = query.size(-1)
    if separate:
        for what, w, n in (("query", q_w, E), ("key", k_w, key.size(-1)), ("value", v_w, value.size(-1))):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {what[0]}_proj_weight is None")
            if tuple(w.shape) != (E, n):
                raise AssertionError(f"expecting {what} weights shape of {(E, n)}, but got {tuple(w.shape)}")
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        return linear(query, q_w, b_q), linear(key, k_w, b_k), linear(value, v_w, b_v)
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    if query is key and key is value:  # self-attention: one matmul for q, k and v
        qkv = linear(query, in_proj_weight, in_proj_bias)
        return qkv.chunk(3, -1)
    w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    if key is value:
        kv = linear(key, in_proj_weight[E:], None if in_proj_bias is None else in_proj_bias[E:])
        k, v = kv.chunk(2, -1)
        return linear(query, w_q, b_q), k, v
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int,
                                 num_heads: int, in_proj_weight: Tensor | None, in_proj_bias: Tensor | None,
                                 bias_k: Tensor | None, bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Tensor | None = None, need_weights: bool = True,
                                 attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
                                 static_v: Tensor | None = None, average_attn_weights: bool = True,
                                 is_causal: bool = False, *,
                                 _batch_first: bool = False) -> tuple[Tensor, Tensor | None]:
    """PyTorch's multi-head attention on sequence-first inputs: query (L, N, E), key (S, N, Ek), value (S, N, Ev)
    (or unbatched (L, E), ...). Returns (attn_output (L, N, E), attn_weights (N, L, S) averaged over heads, or
    (N, num_heads, L, S), or None when ``need_weights`` is False).

    The heads are views (N, num_heads, L, head_dim) of the projections, never copies; ``_batch_first`` (used by
    ``nn.MultiheadAttention``) takes and returns batch-first (N, L, E) tensors without transposing them.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    bf = _batch_first and is_batched
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    if bf:
        bsz, tgt_len, embed_dim = query.shape
        src_len = key.shape[1]
    else:
        tgt_len, bsz, embed_dim = query.shape
        src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the causal structure is applied by scaled_dot_product_attention itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                                 f"{tuple(value.shape[:2])}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")
    if (query is key and key is value and not use_separate_proj_weight and in_proj_weight is not None
            and bias_k is None and bias_v is None and static_k is None and static_v is None and not add_zero_attn
            and attn_mask is None and key_padding_mask is None and not is_causal and not need_weights
            and (dropout_p == 0.0 or not training) and query.dtype.kind == "f" and query.numel() > 0):
        # self-attention without masks: one op on the packed projection, the heads split and merged as views
        qkv = linear(query, in_proj_weight, in_proj_bias)
        attn = fused.packed_self_attention(qkv, num_heads, 1.0 / math.sqrt(head_dim), bf)
        attn_output = linear(attn.reshape(-1, embed_dim), out_proj_weight, out_proj_bias)
        attn_output = attn_output.reshape(attn.shape[0], attn.shape[1], -1)
        return (attn_output if is_batched else attn_output.squeeze(1)), None
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, q_proj_weight, k_proj_weight,
                             v_proj_weight, use_separate_proj_weight)

    if attn_mask is not None:  # as (1 or N, 1 or num_heads, L, S), broadcast against the scores
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.reshape(1, 1, tgt_len, src_len)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
            attn_mask = attn_mask.reshape(bsz, num_heads, tgt_len, src_len)
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    seq_dim = 1 if bf else 0
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key.")
        from autograd import cat

        reps = (bsz, 1, 1) if bf else (1, bsz, 1)
        k = cat([k, bias_k.repeat(*reps)], dim=seq_dim)
        v = cat([v, bias_v.repeat(*reps)], dim=seq_dim)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k is set but bias_v is None" if bias_k is not None
                             else "bias_v is set but bias_k is None")

    def heads(t: Tensor) -> Tensor:
        """(S, N, E) or (N, S, E) -> (N, num_heads, S, head_dim), a view."""
        if bf:
            return t.reshape(bsz, t.shape[1], num_heads, head_dim).permute(0, 2, 1, 3)
        return t.reshape(t.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)

    def static(t: Tensor, name: str) -> Tensor:
        if t.dim() != 3 or t.shape[0] != bsz * num_heads or t.shape[2] != head_dim:
            raise AssertionError(f"expecting {name} of shape ({bsz * num_heads}, S, {head_dim}), but got "
                                 f"{tuple(t.shape)}")
        return t.reshape(bsz, num_heads, t.shape[1], head_dim)

    q = heads(q)
    k = heads(k) if static_k is None else static(static_k, "static_k")
    v = heads(v) if static_v is None else static(static_v, "static_v")

    if add_zero_attn:
        from autograd import cat, zeros

        zero = zeros(bsz, num_heads, 1, head_dim, dtype=k.dtype)
        k = cat([k, zero], dim=2)
        v = cat([v, zero.to(v.dtype)], dim=2)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)

    src_len = k.shape[2]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        key_padding_mask = key_padding_mask.reshape(bsz, 1, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    weights = None
    if need_weights:
        scores = (q * math.sqrt(1.0 / float(head_dim))) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = attn_mask + scores
        weights = softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, training=True)
        attn_output = weights @ v
        if average_attn_weights:
            weights = weights.mean(dim=1)
    else:
        attn_output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    # (N, heads, L, head_dim) -> (L, N, E) or (N, L, E), then the output projection
    if bf:
        attn_output = attn_output.permute(0, 2, 1, 3).reshape(bsz * tgt_len, embed_dim)
        attn_output = linear(attn_output, out_proj_weight, out_proj_bias).reshape(bsz, tgt_len, -1)
    else:
        attn_output = attn_output.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim)
        attn_output = linear(attn_output, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not is_batched:
        attn_output = attn_output.squeeze(1)
        if weights is not None:
            weights = weights.squeeze(0)
    return attn_output, weights
