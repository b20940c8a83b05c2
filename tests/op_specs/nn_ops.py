"""Rows for the nn ops: convolution, pooling, normalization (through ``nn.functional``, as a user calls them)."""

import numpy as np

from . import OpSpec, distinct


def F(lib):
    """``torch.nn.functional`` for torch, ``nn.functional`` for autograd."""
    if lib.__name__ == "torch":
        return lib.nn.functional
    import nn.functional

    return nn.functional


def class_logits(rng, shapes, dtype):
    """Logits, then integer class targets in [0, C) (C = the logits' dim 1, or dim 0 when 1-D)."""
    x = rng.uniform(-2, 2, size=shapes[0]).astype(dtype)
    ncls = shapes[0][1] if len(shapes[0]) > 1 else shapes[0][0]
    return [x, rng.integers(0, ncls, size=shapes[1]).astype(np.int64)]


def _class_weight(lib, x):
    return ((lib.arange(x.shape[1]) + 1) / 3).to(x.dtype)


SPECS = [
    # C_in < 4 or groups > 1: the column layout; C_in >= 4 with groups == 1: the row layout (kernels/conv.py
    # ROWS_MIN_CHANNELS), whose big case spans several batch blocks (BLOCK_BYTES)
    OpSpec("conv2d", lambda lib, x, w, b: F(lib).conv2d(x, w, b),
           [((2, 3, 5, 4), (4, 3, 3, 2), (4,)), ((2, 4, 5, 4), (3, 4, 3, 2), (3,))],
           big=[((10, 8, 32, 32), (8, 8, 3, 3), (8,))]),
    OpSpec("conv2d_rows_stride_pad_dil",
           lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)),
           [((2, 4, 6, 5), (3, 4, 3, 2), (3,))], big=[((8, 8, 20, 18), (6, 8, 3, 2), (6,))]),
    OpSpec("conv2d_stride_pad_dil_groups",
           lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
           [((2, 4, 6, 5), (6, 2, 3, 2), (6,))]),
    OpSpec("conv2d_same", lambda lib, x, w: F(lib).conv2d(x, w, padding="same"), [((1, 2, 5, 4), (3, 2, 2, 3))]),
    OpSpec("conv1d", lambda lib, x, w, b: F(lib).conv1d(x, w, b, stride=2, padding=1, dilation=2),
           [((2, 3, 9), (4, 3, 3), (4,)), ((2, 4, 9), (3, 4, 3), (3,))]),
    OpSpec("conv_transpose2d",
           lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
           [((2, 4, 3, 4), (4, 3, 3, 2), (6,))]),
    OpSpec("conv_transpose2d_rows", lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b, stride=2, padding=1),
           [((2, 4, 3, 4), (4, 5, 3, 2), (5,))], big=[((8, 8, 8, 8), (8, 8, 3, 3), (8,))]),
    OpSpec("max_pool2d", lambda lib, x: F(lib).max_pool2d(x, 2), [((2, 3, 4, 6),)], make=distinct),
    OpSpec("max_pool2d_pad_dil_ceil",
           lambda lib, x: F(lib).max_pool2d(x, (3, 2), stride=2, padding=1, dilation=(1, 2), ceil_mode=True),
           [((2, 2, 7, 8),)], make=distinct),
    OpSpec("max_pool1d", lambda lib, x: F(lib).max_pool1d(x, 3, stride=2, padding=1, ceil_mode=True),
           [((2, 3, 8),)], make=distinct),
    OpSpec("avg_pool2d", lambda lib, x: F(lib).avg_pool2d(x, 2), [((2, 3, 4, 6),)]),
    OpSpec("avg_pool2d_pad_ceil_exclude",
           lambda lib, x: F(lib).avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
           [((2, 2, 6, 7),)]),
    OpSpec("avg_pool2d_divisor", lambda lib, x: F(lib).avg_pool2d(x, (2, 3), padding=1, divisor_override=4),
           [((1, 2, 5, 5),)]),
    OpSpec("adaptive_avg_pool2d", lambda lib, x: F(lib).adaptive_avg_pool2d(x, (3, None)), [((2, 2, 7, 5),)]),
    OpSpec("adaptive_avg_pool2d_1", lambda lib, x: F(lib).adaptive_avg_pool2d(x, 1), [((2, 3, 4, 4),)]),
    OpSpec("batch_norm_train", lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, training=True),
           [((4, 3, 2, 3), (3,), (3,)), ((5, 3), (3,), (3,))], atol=1e-5, rtol=1e-4),
    OpSpec("batch_norm_eval",
           lambda lib, x, rm, rv, w, b: F(lib).batch_norm(x, rm, rv.abs() + 0.5, w, b, training=False),
           [((4, 3, 5), (3,), (3,), (3,), (3,))], grad_inputs=(0, 3, 4)),
    # the one-op attention (autograd/ops/attention.py): batch dims broadcast, 2-D operands, and a big case of
    # three blocks of BLOCK_SCORES scores, the last short
    OpSpec("scaled_dot_product_attention", lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v),
           [((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4)), ((4, 3), (5, 3), (5, 2)),
            ((2, 1, 3, 4), (1, 2, 5, 4), (2, 2, 5, 3))],
           big=[((20, 4, 64, 16), (20, 4, 64, 16), (20, 4, 64, 8))]),
    OpSpec("scaled_dot_product_attention_scale",
           lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v, scale=0.7),
           [((3, 4, 5), (3, 6, 5), (3, 6, 2))]),
    # self-attention without masks: the packed one-op path (heads split and merged as views)
    OpSpec("multi_head_self_attention",
           lambda lib, x, w, b, ow, ob: F(lib).multi_head_attention_forward(
               x, x, x, 4, 2, w, b, None, None, False, 0.0, ow, ob, need_weights=False)[0],
           [((3, 2, 4), (12, 4), (12,), (4, 4), (4,)), ((5, 4), (12, 4), (12,), (4, 4), (4,))],
           no_torch_gradgrad="PyTorch's CPU flash attention, which this path takes, has no double backward"),
    OpSpec("layer_norm", lambda lib, x, w, b: F(lib).layer_norm(x, (3, 4), w, b), [((2, 3, 4), (3, 4), (3, 4))]),
    OpSpec("layer_norm_plain", lambda lib, x: F(lib).layer_norm(x, (5,), eps=1e-3), [((3, 5),)]),
    OpSpec("group_norm", lambda lib, x, w, b: F(lib).group_norm(x, 2, w, b), [((2, 4, 3, 2), (4,), (4,))]),
    OpSpec("cross_entropy", lambda lib, x, t: F(lib).cross_entropy(x, t), [((4, 5), (4,)), ((2, 5, 3), (2, 3))],
           make=class_logits),
    OpSpec("cross_entropy_weight_ignore_smooth",
           lambda lib, x, t: F(lib).cross_entropy(x, t, weight=_class_weight(lib, x), ignore_index=1,
                                                  label_smoothing=0.2),
           [((6, 5), (6,))], make=class_logits),
    OpSpec("cross_entropy_none", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction="none"),
           [((4, 5), (4,))], make=class_logits),
    OpSpec("cross_entropy_probs",
           lambda lib, x, t: F(lib).cross_entropy(x, t.softmax(1), weight=_class_weight(lib, x), label_smoothing=0.1),
           [((4, 5), (4, 5)), ((2, 5, 3), (2, 5, 3))]),
]
