"""Fused loss ops, for stability and speed where composing elementwise ops would not do:

- ``CrossEntropy``: log-softmax and the (weighted, label-smoothed, ignore-indexed) negative log-likelihood in one
  pass, class-index or class-probability targets, any number of spatial dims;
- ``NllLoss``: the negative log-likelihood of log-probabilities;
- ``BinaryCrossEntropy``: PyTorch's clamped-log BCE on probabilities;
- ``BinaryCrossEntropyWithLogits``: sigmoid + BCE in log-sum-exp form (finite for any logit);
- ``CtcLoss``: the CTC negative log-likelihood by the alpha/beta recursion (Numba kernel ``kernels/ctc.py``).

The public functions (argument checks, reductions) are ``nn.functional.cross_entropy`` and friends.
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..kernels import ctc as _ctc
from ..tensor import _make
from .elementwise import abs as _abs
from .elementwise import clamp, exp, log, log1p, maximum, sigmoid
from .reduce import log_softmax, softmax

__all__: list[str] = []


def _class_weight(weight: np.ndarray | None, ndim: int, cdim: int) -> np.ndarray | None:
    """The class weights shaped to broadcast along the class dim of an ``ndim``-d input."""
    if weight is None:
        return None
    return weight.reshape((-1,) + (1,) * (ndim - cdim - 1))


def _index_parts(target: np.ndarray, weight: np.ndarray | None, ignore_index: int, dtype, cdim: int):
    """For class-index targets: a safe index array (ignored entries -> 0, with the class dim added), the
    per-sample target weight w[t] (0 where ignored), and the not-ignored mask."""
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    w_t = valid.astype(dtype) if weight is None else weight[safe] * valid
    return np.expand_dims(safe, cdim), w_t, valid


def _reduce(loss: np.ndarray, reduction: str, denom) -> np.ndarray:
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return np.asarray(total, dtype=loss.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / denom, dtype=loss.dtype)


def _grad_scale(g, reduction: str, denom, cdim: int):
    """The upstream gradient shaped to broadcast over the class dim (divided by the mean's denominator)."""
    if reduction == "none":
        return g.unsqueeze(cdim)
    if reduction == "mean":
        return g * _inv(denom)
    return g


def _inv(denom) -> float:
    """1 / the mean's denominator; 0 when it is 0 (every target ignored: the loss is nan, its gradient 0, as in
    PyTorch, whose gradient only touches the non-ignored targets)."""
    return 0.0 if denom == 0 else 1.0 / float(denom)


class CrossEntropy(Op):
    """loss = -sum_c C_c log_softmax(x)_c, C the target distribution times the class weights;
    d/dx = (softmax(x) sum_c C_c - C) g, d/dtarget = -(1 - eps) w log_softmax(x) g (g divided by the mean's
    denominator: the summed weights of the non-ignored targets, or the number of samples for probabilities)"""

    @staticmethod
    def forward(ctx, x, target, *, weight, ignore_index, label_smoothing, reduction):
        cdim = 0 if x.ndim == 1 else 1
        ncls = x.shape[cdim]
        eps = label_smoothing
        shifted = x - np.max(x, axis=cdim, keepdims=True)
        logp = shifted - np.log(np.sum(np.exp(shifted), axis=cdim, keepdims=True))
        wb = _class_weight(weight, x.ndim, cdim)
        if target.dtype.kind == "f":
            loss = -np.sum(logp * _prob_coef(target, wb, eps, ncls), axis=cdim)
            denom = loss.size
            ctx.parts = None
        else:
            idx, w_t, valid = _index_parts(target, weight, ignore_index, x.dtype, cdim)
            picked = np.take_along_axis(logp, idx, axis=cdim).squeeze(cdim)
            loss = -(1 - eps) * w_t * picked
            if eps:
                smooth = -np.sum(logp if wb is None else logp * wb, axis=cdim) * valid
                loss = loss + (eps / ncls) * smooth
            denom = w_t.sum()
            ctx.parts = (idx, w_t, valid)
        ctx.cdim, ctx.eps, ctx.reduction, ctx.denom, ctx.wb = cdim, eps, reduction, denom, wb
        ctx.save_for_backward(x, target, logp)
        return _reduce(loss.astype(x.dtype, copy=False), reduction, denom)

    @staticmethod
    def backward(ctx, g):
        x, target, logp = ctx.saved_tensors
        cdim, eps, wb = ctx.cdim, ctx.eps, ctx.wb
        gs = _grad_scale(g, ctx.reduction, ctx.denom, cdim)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = CrossEntropyBackward.apply(gs, x, target, logp.numpy(), ctx.parts, wb, eps, cdim)
        if ctx.needs_input_grad[1]:  # class-probability targets only
            gt = gs * log_softmax(x, cdim) * (-(1 - eps) if wb is None else _make(-(1 - eps) * wb))
        return gx, gt


class CrossEntropyBackward(Op):
    """gx = gs (p S - C) (fused), p = softmax(x), C the (smoothed, weighted) target distribution, S = sum_c C,
    gs the loss's gradient broadcast over the classes. Linear in gs, so d/dgs is this op applied to h (the engine
    sums it to gs's shape); d/dx = p (u - sum_c u p) with u = h gs S (softmax's adjoint);
    d/dtarget = (1 - eps) w gs (sum_c h p - h) for class-probability targets"""

    @staticmethod
    def forward(ctx, gs, x, target, logp, parts, wb, eps, cdim):
        ctx.logp, ctx.parts, ctx.wb, ctx.eps, ctx.cdim = logp, parts, wb, eps, cdim
        ctx.save_for_backward(gs, x, target)
        p = np.exp(logp)
        if target.dtype.kind != "f" and not eps:  # p w[t] - w[t] at t, without building the one-hot matrix
            idx, w_t, _ = parts
            w_t = np.expand_dims(w_t, cdim)
            p *= w_t
            np.put_along_axis(p, idx, np.take_along_axis(p, idx, axis=cdim) - w_t, axis=cdim)
            gx = p * gs
        else:
            coef = (_prob_coef(target, wb, eps, x.shape[cdim]) if target.dtype.kind == "f"
                    else _index_coef(x.shape, x.dtype, parts, wb, eps, cdim))
            gx = (p * coef.sum(axis=cdim, keepdims=True) - coef) * gs
        return gx.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, h):
        gs, x, target = ctx.saved_tensors
        parts, wb, eps, cdim = ctx.parts, ctx.wb, ctx.eps, ctx.cdim
        need_gs, need_x, need_t = ctx.needs_input_grad[:3]
        dgs = CrossEntropyBackward.apply(h, x, target, ctx.logp, parts, wb, eps, cdim) if need_gs else None
        dx = dt = None
        if need_x or need_t:
            p = softmax(x, cdim)
            if need_x:
                if target.dtype.kind == "f":
                    coef = _prob_coef(target, None if wb is None else _make(wb), eps, x.shape[cdim])
                else:
                    coef = _make(_index_coef(x.shape, x.dtype, parts, wb, eps, cdim))
                u = h * gs * coef.sum(cdim, keepdim=True)
                dx = p * (u - (u * p).sum(cdim, keepdim=True))
            if need_t:
                hgs = h * gs
                dt = ((hgs * p).sum(cdim, keepdim=True) - hgs) * (1 - eps)
                dt = dt if wb is None else dt * _make(wb)
        return dgs, dx, dt, None, None, None, None, None


def _prob_coef(target, wb, eps: float, ncls: int):
    """The smoothed, weighted target distribution of class-probability targets (arrays or Tensors)."""
    coef = target * (1 - eps) + eps / ncls if eps else target
    return coef if wb is None else coef * wb


def _index_coef(shape, dtype, parts, wb, eps, cdim) -> np.ndarray:
    """The target distribution of class-index targets: (1 - eps) w[t] at t plus eps/C w_c, 0 where ignored."""
    idx, w_t, valid = parts
    if eps:
        ncls = shape[cdim]
        base = np.ones((ncls,) + (1,) * (len(shape) - cdim - 1), dtype) if wb is None else wb
        coef = (eps / ncls) * base * np.expand_dims(valid, cdim).astype(dtype)
        coef = np.broadcast_to(coef, shape).copy()
    else:
        coef = np.zeros(shape, dtype)
    hit = np.take_along_axis(coef, idx, axis=cdim) + (1 - eps) * np.expand_dims(w_t, cdim)
    np.put_along_axis(coef, idx, hit.astype(dtype), axis=cdim)
    return coef


class NllLoss(Op):
    """loss = -w[t] x[t] (0 where t == ignore_index); d/dx = -w[t] g at t, 0 elsewhere (g divided by sum w[t]
    for the mean)"""

    @staticmethod
    def forward(ctx, x, target, *, weight, ignore_index, reduction):
        cdim = 0 if x.ndim == 1 else 1
        idx, w_t, valid = _index_parts(target, weight, ignore_index, x.dtype, cdim)
        loss = -w_t * np.take_along_axis(x, idx, axis=cdim).squeeze(cdim)
        denom = w_t.sum()
        ctx.cdim, ctx.reduction, ctx.denom, ctx.parts, ctx.shape = cdim, reduction, denom, (idx, w_t, valid), x.shape
        return _reduce(loss.astype(x.dtype, copy=False), reduction, denom)

    @staticmethod
    def backward(ctx, g):
        coef = _index_coef(ctx.shape, g.dtype, ctx.parts, None, 0.0, ctx.cdim)
        return _grad_scale(g, ctx.reduction, ctx.denom, ctx.cdim) * _make(-coef), None


class BinaryCrossEntropy(Op):
    """loss = -(y max(log x, -100) + (1 - y) max(log(1 - x), -100)); d/dx = (x - y) / max(x (1 - x), 1e-12),
    d/dy = max(log(1 - x), -100) - max(log x, -100)"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        return (-(y * log_x + (1 - y) * log_1mx)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - y) / clamp(x * (1 - x), 1e-12, None)
        if ctx.needs_input_grad[1]:
            gy = g * (clamp(log(1 - x), -100, None) - clamp(log(x), -100, None))
        return gx, gy


class BinaryCrossEntropyWithLogits(Op):
    """loss = (1 - y) x + (1 + (pw - 1) y) softplus(-x), softplus(-x) = max(-x, 0) + log1p(exp(-|x|)) (finite for
    any x); d/dx = (1 - y) - (1 + (pw - 1) y) sigmoid(-x) (= sigmoid(x) - y without pw), d/dy = (pw - 1) softplus(-x)
    - x, d/dpw = y softplus(-x)"""

    @staticmethod
    def forward(ctx, x, y, pos_weight):
        ctx.save_for_backward(x, y, pos_weight)
        sp = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        if pos_weight is not None:
            sp = sp * ((pos_weight - 1) * y + 1)
        return ((1 - y) * x + sp).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y, pw = ctx.saved_tensors
        need_x, need_y, need_pw = ctx.needs_input_grad
        gx = gy = gpw = None
        if need_x:
            gx = g * (sigmoid(x) - y if pw is None else (1 - y) - ((pw - 1) * y + 1) * sigmoid(-x))
        if need_pw or need_y and pw is not None:
            sp = maximum(-x, 0.0) + log1p(exp(-_abs(x)))  # max splits its gradient at 0: softplus' slope is exact
            if need_y:
                gy = g * ((pw - 1) * sp - x)
            if need_pw:
                gpw = g * y * sp
        elif need_y:
            gy = g * -x
        return gx, gy, gpw


class CtcLoss(Op):
    """nll_n = -log sum over alignments of prod_t p_t(pi_t) (alpha recursion); d/dlog_probs by the alpha-beta
    formula, in PyTorch's form exp(lp) - alpha beta / (p(l|x) exp(lp)) (kernels/ctc.py)"""

    @staticmethod
    def forward(ctx, log_probs, *, targets, offsets, input_lengths, target_lengths, blank, zero_infinity):
        lp = log_probs if log_probs.ndim == 3 else log_probs[:, None, :]
        nll, log_alpha = _ctc.ctc_forward(lp, targets, offsets, input_lengths, target_lengths, blank)
        ctx.args = (targets, offsets, input_lengths, target_lengths, blank)
        ctx.zero_infinity = zero_infinity
        ctx.save_for_backward(log_probs, nll, log_alpha)
        if zero_infinity:
            nll = np.where(nll == np.inf, 0, nll).astype(nll.dtype)
        return nll if log_probs.ndim == 3 else nll.reshape(())

    @staticmethod
    def backward(ctx, g):
        log_probs, nll, log_alpha = ctx.saved_tensors
        lp = log_probs._data if log_probs.ndim == 3 else log_probs._data[:, None, :]
        grad = _ctc.ctc_backward(lp, *ctx.args, nll._data, log_alpha._data, ctx.zero_infinity)
        if log_probs.ndim == 2:
            grad = grad[:, 0, :]
        return CtcLossBackward.apply(g, log_probs, _make(grad))


class CtcLossBackward(Op):
    """g (broadcast over time and classes) times the CTC gradient table (a function of log_probs, which is an
    input only so that the result depends on it); once differentiable, as in PyTorch"""

    @staticmethod
    def forward(ctx, g, log_probs, grad):
        scale = g[None, :, None] if grad.ndim == 3 else g
        return (grad * scale).astype(grad.dtype, copy=False)

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError(
            "derivative for ctc_loss's backward is not implemented (CTC loss is differentiable once, as in PyTorch)"
        )
