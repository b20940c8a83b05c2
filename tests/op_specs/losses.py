"""Rows for the losses of ``nn.functional`` (every loss, each option, in the three reductions), called as a user
calls them. Integer targets (class indices, multilabel targets) are int64 inputs that are not differentiated;
float targets are differentiated where PyTorch differentiates them."""

import numpy as np
import pytest

from . import OpSpec
from .nn_act import F

REDUCTIONS = ["none", "mean", "sum"]
WARNS = [pytest.mark.filterwarnings("ignore::UserWarning")]
NO_TORCH_GRADGRAD = "PyTorch has no derivative for multi_margin_loss_backward / multilabel_margin_loss_backward"


def normal(rng, s):
    return rng.standard_normal(s)


def logits(rng, s):
    return 3 * rng.standard_normal(s)


def pos(rng, s):
    return rng.uniform(0.1, 2, s)


def prob(rng, s):
    return rng.uniform(0.05, 0.95, s)


def unit(rng, s):
    return rng.uniform(0, 1, s)


def sign(rng, s):
    return rng.choice([-1.0, 1.0], size=s)


def binary(rng, s):
    return (rng.uniform(0, 1, s) > 0.5).astype(float)


def counts(rng, s):
    return rng.poisson(2.0, s).astype(float)


def counts_jitter(rng, s):
    return rng.poisson(2.0, s) + rng.uniform(0.05, 0.5, s)


def draw(*kinds):
    """make(): input k drawn by ``kinds[k]`` at the case's k-th shape, cast to the case's dtype."""

    def make(rng, shapes, dtype):
        return [kind(rng, s).astype(dtype) for kind, s in zip(kinds, shapes)]

    return make


def _softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _class_dim(s):
    return 0 if len(s) == 1 else 1


def classes(ignore=None, weight=False, log_probs=False):
    """make() for class-index targets: scores of the case's shape (N, C, ...) or (C,), int64 targets of shape
    (N, ...) or () with about a third set to ``ignore`` (never the first), optional class weights (C,)."""

    def make(rng, shapes, dtype):
        (s,) = shapes
        d = _class_dim(s)
        x = rng.standard_normal(s)
        if log_probs:
            x = np.log(_softmax(x, d))
        t = rng.integers(0, s[d], s[:d] + s[d + 1:])
        if ignore is not None:
            t = np.where(rng.random(t.shape) < 0.3, ignore, t)
            t.reshape(-1)[0] = (ignore + 1) % s[d]
        out = [x.astype(dtype), t.astype(np.int64)]
        return out + ([rng.uniform(0.2, 2, s[d]).astype(dtype)] if weight else [])

    return make


def probabilities(weight=False, log=False):
    """make() for probability targets: scores and a distribution over the class dim (its log with ``log``)."""

    def make(rng, shapes, dtype):
        (s,) = shapes
        t = _softmax(rng.standard_normal(s), _class_dim(s))
        out = [rng.standard_normal(s).astype(dtype), (np.log(t) if log else t).astype(dtype)]
        return out + ([rng.uniform(0.2, 2, s[_class_dim(s)]).astype(dtype)] if weight else [])

    return make


def log_probs_and(target):
    def make(rng, shapes, dtype):
        (s,) = shapes
        return [np.log(_softmax(rng.standard_normal(s), 1)).astype(dtype), target(rng, s).astype(dtype)]

    return make


def sparse_probs(rng, s):
    return _softmax(rng.standard_normal(s), 1) * (rng.random(s) < 0.6)


def multilabel(target):
    def make(rng, shapes, dtype):
        return [rng.standard_normal(shapes[0]).astype(dtype), np.asarray(target, dtype=np.int64)]

    return make


def with_index(index):
    """make(): scores of the case's shape, then a fixed int64 class index."""

    def make(rng, shapes, dtype):
        return [rng.standard_normal(shapes[0]).astype(dtype), np.asarray(index, dtype=np.int64)]

    return make


def ctc_inputs(rng, shapes, dtype):
    """Scores (T, N, C) and padded targets (N, S) in [1, C) (0 is the blank), the first label repeated."""
    (t, n, c), (_, s) = shapes
    targets = rng.integers(1, c, (n, s))
    targets[:, 1] = targets[:, 0]  # a repeated label needs a blank between: the recursion's skip rule
    return [rng.standard_normal((t, n, c)).astype(dtype), targets.astype(np.int64)]


def _ctc(lib, x, targets, reduction):
    return F(lib).ctc_loss(x.log_softmax(2), targets, (6, 5), (3, 2), reduction=reduction)


def _sq_dist(u, v):
    return ((u - v) ** 2).sum(-1)


XY = [((3, 4), (3, 4))]
XYW = [((3, 4), (3, 4), (3, 4))]
TRIPLE = [((5, 3), (5, 3), (5, 3))]
CLS = [((5, 4),)]


def _rows(r):
    def row(name, fn, cases, make, **kw):
        if name.startswith(("multi_margin", "multilabel_margin")):
            kw["no_torch_gradgrad"] = NO_TORCH_GRADGRAD
        return OpSpec(f"{name}_{r}", fn, cases, make=make, marks=WARNS, atol=1e-7, rtol=1e-6, **kw)

    rows = [
        row("mse", lambda lib, x, y: F(lib).mse_loss(x, y, reduction=r), XY, draw(normal, normal)),
        row("mse_weight", lambda lib, x, y, w: F(lib).mse_loss(x, y, reduction=r, weight=w), XYW,
            draw(normal, normal, pos), grad_inputs=(0, 1)),
        row("l1", lambda lib, x, y: F(lib).l1_loss(x, y, reduction=r), XY, draw(normal, normal)),
        row("l1_weight", lambda lib, x, y, w: F(lib).l1_loss(x, y, reduction=r, weight=w), XYW,
            draw(normal, normal, pos), grad_inputs=(0, 1)),
        row("huber_weight", lambda lib, x, y, w: F(lib).huber_loss(x, y, reduction=r, delta=0.6, weight=w), XYW,
            draw(normal, normal, pos), grad_inputs=(0, 1)),
        row("bce", lambda lib, x, y: F(lib).binary_cross_entropy(x, y, reduction=r), XY, draw(prob, unit)),
        row("bce_weight", lambda lib, x, y, w: F(lib).binary_cross_entropy(x, y, w, reduction=r),
            [((3, 4), (3, 4), (4,))], draw(prob, unit, pos), grad_inputs=(0, 1)),
        row("bce_logits", lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y, reduction=r), XY,
            draw(logits, unit)),
        row("bce_logits_weights", lambda lib, x, y, w, pw: F(lib).binary_cross_entropy_with_logits(
            x, y, w, reduction=r, pos_weight=pw), [((3, 4), (3, 4), (3, 4), (4,))], draw(logits, unit, pos, pos),
            grad_inputs=(0, 1)),
        row("ce", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=r), CLS, classes()),
        row("ce_weight_ignore", lambda lib, x, t, w: F(lib).cross_entropy(x, t, w, reduction=r), CLS,
            classes(ignore=-100, weight=True), grad_inputs=(0,)),
        row("ce_ignore2_smooth", lambda lib, x, t: F(lib).cross_entropy(x, t, ignore_index=2, reduction=r,
                                                                        label_smoothing=0.2), CLS, classes(ignore=2)),
        row("ce_weight_ignore_smooth", lambda lib, x, t, w: F(lib).cross_entropy(x, t, w, reduction=r,
                                                                                 label_smoothing=0.3),
            CLS, classes(ignore=-100, weight=True), grad_inputs=(0,)),
        # spatial (N, C, H, W) and unbatched (C,) inputs
        row("ce_weight_smooth", lambda lib, x, t, w: F(lib).cross_entropy(x, t, w, reduction=r, label_smoothing=0.1),
            [((2, 3, 4, 2),), ((4,),)], classes(ignore=-100, weight=True), grad_inputs=(0,)),
        row("ce_probs", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=r), [((5, 4),), ((4,),)],
            probabilities()),
        row("ce_probs_smooth", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=r, label_smoothing=0.1),
            [((2, 3, 4, 2),)], probabilities()),
        row("ce_probs_weight_smooth", lambda lib, x, t, w: F(lib).cross_entropy(x, t, w, reduction=r,
                                                                                label_smoothing=0.15),
            CLS, probabilities(weight=True), grad_inputs=(0, 1)),
        row("nll_weight", lambda lib, x, t, w: F(lib).nll_loss(x, t, w, reduction=r), CLS,
            classes(ignore=-100, weight=True, log_probs=True), grad_inputs=(0,)),
        row("nll_ignore", lambda lib, x, t: F(lib).nll_loss(x, t, ignore_index=3, reduction=r), CLS, classes()),
        row("nll", lambda lib, x, t: F(lib).nll_loss(x, t, reduction=r), [((2, 3, 4, 2),), ((4,),)],
            classes(ignore=-100)),
        row("kl", lambda lib, x, t: F(lib).kl_div(x, t, reduction=r), CLS, log_probs_and(
            lambda rng, s: _softmax(rng.standard_normal(s), 1))),
        row("kl_log_target", lambda lib, x, t: F(lib).kl_div(x, t, reduction=r, log_target=True), CLS,
            log_probs_and(lambda rng, s: np.log(_softmax(rng.standard_normal(s), 1)))),
        row("kl_zero_targets", lambda lib, x, t: F(lib).kl_div(x, t, reduction=r), CLS, log_probs_and(sparse_probs),
            grad_inputs=(0,)),
        row("hinge", lambda lib, x, t: F(lib).hinge_embedding_loss(x, t, reduction=r), XY, draw(normal, sign),
            grad_inputs=(0,)),
        row("hinge_margin", lambda lib, x, t: F(lib).hinge_embedding_loss(x, t, margin=0.5, reduction=r), XY,
            draw(normal, sign), grad_inputs=(0,)),
        row("multi_margin", lambda lib, x, t: F(lib).multi_margin_loss(x, t, reduction=r), CLS, classes()),
        row("multi_margin_p2", lambda lib, x, t, w: F(lib).multi_margin_loss(x, t, p=2, margin=0.7, weight=w,
                                                                             reduction=r),
            CLS, classes(weight=True), grad_inputs=(0,)),
        row("multi_margin_unbatched", lambda lib, x, t: F(lib).multi_margin_loss(x, t, margin=1.5, reduction=r),
            [((4,),)], with_index(1)),
        row("multilabel_margin", lambda lib, x, t: F(lib).multilabel_margin_loss(x, t, reduction=r), [((4, 5),)],
            multilabel([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [-1, 2, 2, 0, 0], [4, 4, 1, -1, 3]])),
        row("multilabel_margin_unbatched", lambda lib, x, t: F(lib).multilabel_margin_loss(x, t, reduction=r),
            [((4,),)], multilabel([2, 1, -1, 0])),
        row("multilabel_soft_margin", lambda lib, x, t, w: F(lib).multilabel_soft_margin_loss(x, t, w, reduction=r),
            [((3, 4), (3, 4), (4,))], draw(logits, binary, pos), grad_inputs=(0,)),
        row("soft_margin", lambda lib, x, t: F(lib).soft_margin_loss(x, t, reduction=r), XY, draw(logits, sign),
            grad_inputs=(0,)),
        row("cosine_embedding", lambda lib, a, b, t: F(lib).cosine_embedding_loss(a, b, t, reduction=r),
            [((6, 4), (6, 4), (6,))], draw(normal, normal, sign), grad_inputs=(0, 1)),
        row("cosine_embedding_margin", lambda lib, a, b, t: F(lib).cosine_embedding_loss(a, b, t, margin=-0.2,
                                                                                         reduction=r),
            [((6, 4), (6, 4), (6,)), ((4,), (4,), ())], draw(normal, normal, sign), grad_inputs=(0, 1)),
        row("margin_ranking", lambda lib, a, b, t: F(lib).margin_ranking_loss(a, b, t, margin=0.3, reduction=r),
            [((6,), (6,), (6,)), ((2, 3), (2, 3), (2, 3))], draw(normal, normal, sign)),
        row("triplet", lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n, reduction=r), TRIPLE,
            draw(normal, normal, normal)),
        row("triplet_p1_swap", lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True,
                                                                               reduction=r),
            TRIPLE, draw(normal, normal, normal)),
        row("triplet_swap", lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n, swap=True, reduction=r),
            [((3,), (3,), (3,))], draw(normal, normal, normal)),
        row("triplet_p3_eps", lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n, p=3, eps=1e-3, reduction=r),
            TRIPLE, draw(normal, normal, normal)),
        row("triplet_distance", lambda lib, a, p, n: F(lib).triplet_margin_with_distance_loss(a, p, n, swap=True,
                                                                                              reduction=r),
            TRIPLE, draw(normal, normal, normal)),
        row("triplet_distance_custom", lambda lib, a, p, n: F(lib).triplet_margin_with_distance_loss(
            a, p, n, distance_function=_sq_dist, margin=1.5, reduction=r), TRIPLE, draw(normal, normal, normal)),
        row("poisson_nll", lambda lib, x, t: F(lib).poisson_nll_loss(x, t, reduction=r), XY, draw(normal, counts)),
        row("poisson_nll_full", lambda lib, x, t: F(lib).poisson_nll_loss(x, t, full=True, reduction=r), XY,
            draw(normal, lambda rng, s: counts(rng, s) + rng.uniform(0, 0.5, s))),
        row("poisson_nll_rate", lambda lib, x, t: F(lib).poisson_nll_loss(x, t, log_input=False, full=True, eps=1e-3,
                                                                          reduction=r),
            XY, draw(lambda rng, s: rng.uniform(0.1, 3, s), counts_jitter)),
        row("gaussian_nll", lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v, reduction=r),
            [((3, 4), (3, 4), (3, 4)), ((2, 3, 4), (2, 3, 4), (2, 1, 4))], draw(normal, normal, pos)),
        row("gaussian_nll_full", lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v, full=True, reduction=r),
            [((3, 4), (3, 4), (3,))], draw(normal, normal, pos)),
        # var below eps is clamped; PyTorch passes the clamp to var's gradient as the identity, which finite
        # differences do not see: var's gradient is compared with PyTorch here, checked numerically without it
        row("gaussian_nll_clamped", lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v, eps=0.5, reduction=r),
            [((3, 4), (3, 4), (3, 1))], draw(normal, normal, pos), gradcheck=False),
        row("gaussian_nll_clamped_x", lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v, eps=0.5, reduction=r),
            [((3, 4), (3, 4), (3, 1))], draw(normal, normal, pos), grad_inputs=(0, 1)),
        row("ctc", lambda lib, x, t: _ctc(lib, x, t, r), [((6, 2, 4), (2, 3))], ctc_inputs,
            no_gradgrad="CTC loss is differentiable once, as in PyTorch (a second derivative raises)"),
        row("gaussian_nll_scalar_var", lambda lib, x, t: F(lib).gaussian_nll_loss(x, t, 0.7, reduction=r), XY,
            draw(normal, normal)),
    ]
    for beta in (1.0, 0.5, 0.0):
        rows.append(row(f"smooth_l1_{beta}", lambda lib, x, y, b=beta: F(lib).smooth_l1_loss(x, y, reduction=r, beta=b),
                        XY, draw(normal, normal)))
    for delta in (1.0, 0.3):
        rows.append(row(f"huber_{delta}", lambda lib, x, y, d=delta: F(lib).huber_loss(x, y, reduction=r, delta=d),
                        XY, draw(normal, normal)))
    return rows


SPECS = [spec for r in REDUCTIONS for spec in _rows(r)] + [
    OpSpec("kl_batchmean", lambda lib, x, t: F(lib).kl_div(x, t, reduction="batchmean"), CLS,
           make=log_probs_and(lambda rng, s: _softmax(rng.standard_normal(s), 1))),
    OpSpec("kl_batchmean_log_target", lambda lib, x, t: F(lib).kl_div(x, t, reduction="batchmean", log_target=True),
           CLS, make=log_probs_and(lambda rng, s: np.log(_softmax(rng.standard_normal(s), 1)))),
]
