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
from ..grad_mode import _mode
from ..kernels import ctc as _ctc
from ..kernels.elementwise import sigmoid as _sigmoid
from ..tensor import _make
from .elementwise import abs as _abs
from .elementwise import clamp, exp, log, log1p, maximum, sigmoid

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
        return g.unsqueeze(cdim) if _mode.enabled else _make(np.expand_dims(g._data, cdim))
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
        if _mode.enabled:  # recording a graph (create_graph): the differentiable Tensor formula
            return _cross_entropy_backward_graph(ctx, g, x, target)
        cdim, eps, wb = ctx.cdim, ctx.eps, ctx.wb
        gs = g._data
        if ctx.reduction == "none":
            gs = np.expand_dims(gs, cdim)
        elif ctx.reduction == "mean":
            gs = gs * _inv(ctx.denom)
        lp = logp._data
        prob_target = target.dtype.kind == "f"
        gx = gt = None
        if ctx.needs_input_grad[0]:
            p = np.exp(lp)
            if not prob_target and not eps:  # p w[t] - w[t] at t, without building the one-hot matrix
                idx, w_t, _ = ctx.parts
                w_t = np.expand_dims(w_t, cdim)
                p *= w_t
                np.put_along_axis(p, idx, np.take_along_axis(p, idx, axis=cdim) - w_t, axis=cdim)
                gx = p * gs
            else:
                coef = (_prob_coef(target._data, wb, eps, x.shape[cdim]) if prob_target
                        else _index_coef(lp.shape, lp.dtype, ctx.parts, wb, eps, cdim))
                gx = (p * coef.sum(axis=cdim, keepdims=True) - coef) * gs
            gx = _make(gx.astype(x.dtype, copy=False))
        if prob_target and ctx.needs_input_grad[1]:
            gt = -(1 - eps) * lp * gs
            gt = _make((gt if wb is None else gt * wb).astype(target.dtype, copy=False))
        return gx, gt


def _prob_coef(target, wb, eps: float, ncls: int):
    """The smoothed, weighted target distribution of class-probability targets (arrays or Tensors)."""
    coef = target * (1 - eps) + eps / ncls if eps else target
    return coef if wb is None else coef * wb


def _cross_entropy_backward_graph(ctx, g, x, target):
    cdim, eps, wb = ctx.cdim, ctx.eps, ctx.wb
    gs = g
    if ctx.reduction == "none":
        gs = g.unsqueeze(cdim)
    elif ctx.reduction == "mean":
        gs = g * _inv(ctx.denom)
    logp = x.log_softmax(cdim)
    prob_target = target.dtype.kind == "f"
    gx = gt = None
    if ctx.needs_input_grad[0]:
        if prob_target:
            coef = _prob_coef(target, None if wb is None else _make(wb), eps, x.shape[cdim])
        else:
            coef = _make(_index_coef(x.shape, x.dtype, ctx.parts, wb, eps, cdim))
        gx = gs * (logp.exp() * coef.sum(cdim, keepdim=True) - coef)
    if prob_target and ctx.needs_input_grad[1]:
        gt = gs * logp * (-(1 - eps) if wb is None else _make(-(1 - eps) * wb))
    return gx, gt


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
    any x); d/dx = (1 - y) - (1 + (pw - 1) y) sigmoid(-x), d/dy = (pw - 1) softplus(-x) - x, d/dpw = y softplus(-x)"""

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
        if _mode.enabled:  # differentiable formula (max splits its gradient at 0, so softplus' slope is exact)
            sp = maximum(-x, 0.0) + log1p(exp(-_abs(x)))
            lw = 1 if pw is None else (pw - 1) * y + 1
            gx = g * ((1 - y) - lw * sigmoid(-x)) if need_x else None
            gy = g * ((0 if pw is None else (pw - 1) * sp) - x) if need_y else None
            gpw = g * y * sp if need_pw else None
            return gx, gy, gpw
        xd, yd, gd = x._data, y._data, g._data
        pwd = None if pw is None else pw._data
        gx = gy = gpw = None
        if need_x:
            lw = 1 if pwd is None else (pwd - 1) * yd + 1
            gx = _make((gd * ((1 - yd) - lw * _sigmoid(-xd))).astype(xd.dtype, copy=False))
        if need_y or need_pw:
            sp = np.maximum(-xd, 0) + np.log1p(np.exp(-np.abs(xd)))
            if need_y:
                gy = _make((gd * ((0 if pwd is None else (pwd - 1) * sp) - xd)).astype(yd.dtype, copy=False))
            if need_pw:
                gpw = _make(gd * yd * sp)
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
