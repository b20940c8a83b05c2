"""Fused in-place optimizer kernels (Numba): one pass over each parameter, no temporaries.

Each kernel applies one optimizer rule to flat arrays, element by element, with the same arithmetic (and the
same order of operations) as the numpy rule of its optimizer class, which follows PyTorch's: ``adam`` for
Adam/AdamW (L2 or decoupled weight decay, amsgrad, maximize), ``sgd_momentum`` for SGD with momentum
(dampening, nesterov, weight decay, maximize), ``adagrad``, ``rmsprop`` (centered, momentum), ``nadam``,
``radam``, ``adamax``, ``adadelta``, ``asgd``, ``rprop``, ``lion`` and ``momentum`` (NAG's reformulated
step is ``sgd_momentum`` with nesterov). Adafactor, Muon, LBFGS and SparseAdam need reductions, matmuls or
row gathers and keep their numpy rules. The scalars are passed in the arrays' dtype, so float32 parameters
are updated in float32 arithmetic as PyTorch does.

``fits(*arrays)`` says when a kernel applies: float32/float64 arrays of one dtype and shape, C-contiguous,
non-empty. Otherwise the optimizers run their numpy rule (views with strides, mixed dtypes).

``error_model="numpy"`` is what makes the loops SIMD: under Numba's default ("python") model every division
checks for ZeroDivisionError, a branch that keeps LLVM from vectorizing. It is also numpy's IEEE semantics
(x/0 = inf).

One fused pass per parameter replaces the numpy rule's chain of whole-array temporaries, which is what puts the
update level with or ahead of PyTorch's fused Adam; ``benchmarks/optim_kernels.py`` compares them (and
benchmarks/RESULTS.md, "Design measurements", keeps the figures). Each kernel is an ``autograd.threads.kernel`` of
the "optim" family: one thread below its threshold, the range of elements cut over the library's threads above it
(each element updated by one iteration, so the same bits on any number of threads).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from autograd import threads

__all__ = ["fits", "adam", "sgd_momentum", "adagrad", "rmsprop", "nadam", "radam", "adamax", "adadelta", "lion",
           "momentum", "asgd", "rprop"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def fits(*arrays: np.ndarray) -> bool:
    """True when the fused kernels apply: one float dtype and shape, C-contiguous, non-empty."""
    a = arrays[0]
    if a.dtype not in _FLOATS or a.size == 0:
        return False
    return all(b.dtype == a.dtype and b.shape == a.shape and b.flags.c_contiguous for b in arrays)


@njit(cache=True, error_model="numpy")
def _decayed(g, p, maximize, weight_decay, decay_factor, decoupled):  # pragma: no cover
    """(gradient, parameter) after ``maximize`` and weight decay (L2 into g, or decoupled p *= 1 - lr·wd)."""
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled:
            p = p * decay_factor
        else:
            g = g + weight_decay * p
    return g, p


@njit(cache=True, error_model="numpy")
def _lerp(a, b, w, one_minus_w):  # pragma: no cover
    """PyTorch's lerp(a, b, w) for a scalar weight (exact at both ends)."""
    if w < 0.5:
        return a + w * (b - a)
    return b - (b - a) * one_minus_w


@njit(cache=True, error_model="numpy")
def _moments(exp_avg, exp_avg_sq, i, g, w1, one_minus_w1, beta2, w2):  # pragma: no cover
    """Adam's moments at element i: m = lerp(m, g, 1-β1), v = β2 v + (1-β2) g²; stored and returned."""
    m = _lerp(exp_avg[i], g, w1, one_minus_w1)
    exp_avg[i] = m
    v = exp_avg_sq[i] * beta2 + (w2 * g) * g
    exp_avg_sq[i] = v
    return m, v


@threads.kernel("optim", flat=True, error_model="numpy")
def _adam_kernel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, w1, one_minus_w1, beta2, w2, eps,
                 weight_decay, decay_factor, step_size, bias_correction2_sqrt, amsgrad, maximize,
                 decoupled):  # pragma: no cover
    for i in range(param.size):
        g, p = _decayed(grad[i], param[i], maximize, weight_decay, decay_factor, decoupled)
        m, v = _moments(exp_avg, exp_avg_sq, i, g, w1, one_minus_w1, beta2, w2)
        if amsgrad:
            if v > max_exp_avg_sq[i] or v != v:
                max_exp_avg_sq[i] = v
            v = max_exp_avg_sq[i]
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + (-step_size * m) / denom


def adam(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
         max_exp_avg_sq: np.ndarray | None, step: float, lr: float, beta1: float, beta2: float, eps: float,
         weight_decay: float, amsgrad: bool, maximize: bool, decoupled: bool) -> None:
    """One fused Adam/AdamW step on C-contiguous arrays of one float dtype (check with ``fits``)."""
    dt = param.dtype.type
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    mx = max_exp_avg_sq if amsgrad else exp_avg_sq
    _adam_kernel(param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1), mx.reshape(-1),
                 dt(1 - beta1), dt(1 - (1 - beta1)), dt(beta2), dt(1 - beta2), dt(eps), dt(weight_decay),
                 dt(1 - lr * weight_decay), dt(step_size), dt(bias_correction2**0.5), amsgrad, maximize, decoupled,
                 work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _sgd_momentum_kernel(param, grad, buf, lr, momentum, dampening_w, weight_decay, first, nesterov,
                         maximize):  # pragma: no cover
    for i in range(param.size):
        g, p = _decayed(grad[i], param[i], maximize, weight_decay, weight_decay, False)
        if first:
            b = g
        else:
            b = buf[i] * momentum + dampening_w * g
        buf[i] = b
        if nesterov:
            g = g + momentum * b
        else:
            g = b
        param[i] = p - lr * g


def sgd_momentum(param: np.ndarray, grad: np.ndarray, buf: np.ndarray, first: bool, lr: float, momentum: float,
                 dampening: float, weight_decay: float, nesterov: bool, maximize: bool) -> None:
    """One fused SGD-with-momentum step (``first``: the buffer is initialised to the gradient, as PyTorch)."""
    dt = param.dtype.type
    _sgd_momentum_kernel(param.reshape(-1), grad.reshape(-1), buf.reshape(-1), dt(lr), dt(momentum),
                         dt(1 - dampening), dt(weight_decay), first, nesterov, maximize, work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _adagrad_kernel(param, grad, state_sum, clr, eps, weight_decay, maximize):  # pragma: no cover
    for i in range(param.size):
        g, p = _decayed(grad[i], param[i], maximize, weight_decay, weight_decay, False)
        s = state_sum[i] + g * g
        state_sum[i] = s
        param[i] = p + (-clr * g) / (np.sqrt(s) + eps)


def adagrad(param: np.ndarray, grad: np.ndarray, state_sum: np.ndarray, clr: float, eps: float,
            weight_decay: float, maximize: bool) -> None:
    """One fused Adagrad step (``clr``: the decayed learning rate of this step)."""
    dt = param.dtype.type
    _adagrad_kernel(param.reshape(-1), grad.reshape(-1), state_sum.reshape(-1), dt(clr), dt(eps), dt(weight_decay),
                    maximize, work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _rmsprop_kernel(param, grad, square_avg, grad_avg, buf, lr, alpha, w, one_minus_w, eps, weight_decay,
                    momentum, centered, use_momentum, maximize):  # pragma: no cover
    for i in range(param.size):
        g, p = _decayed(grad[i], param[i], maximize, weight_decay, weight_decay, False)
        sa = square_avg[i] * alpha + (w * g) * g
        square_avg[i] = sa
        if centered:
            ga = grad_avg[i]
            if w < 0.5:
                ga = ga + w * (g - ga)
            else:
                ga = g - (g - ga) * one_minus_w
            grad_avg[i] = ga
            avg = np.sqrt(sa + (-ga) * ga) + eps
        else:
            avg = np.sqrt(sa) + eps
        if use_momentum:
            b = buf[i] * momentum + g / avg
            buf[i] = b
            param[i] = p - lr * b
        else:
            param[i] = p + (-lr * g) / avg


def rmsprop(param: np.ndarray, grad: np.ndarray, square_avg: np.ndarray, grad_avg: np.ndarray | None,
            buf: np.ndarray | None, lr: float, alpha: float, eps: float, weight_decay: float, momentum: float,
            centered: bool, maximize: bool) -> None:
    """One fused RMSprop step (``grad_avg`` when centered, ``buf`` when momentum > 0)."""
    dt = param.dtype.type
    ga = grad_avg if centered else square_avg
    b = buf if momentum > 0 else square_avg
    _rmsprop_kernel(param.reshape(-1), grad.reshape(-1), square_avg.reshape(-1), ga.reshape(-1), b.reshape(-1),
                    dt(lr), dt(alpha), dt(1 - alpha), dt(1 - (1 - alpha)), dt(eps), dt(weight_decay), dt(momentum),
                    centered, momentum > 0, maximize, work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _nadam_kernel(param, grad, exp_avg, exp_avg_sq, w1, one_minus_w1, beta2, w2, bias_correction2, eps,
                  weight_decay, decay_factor, c_grad, c_avg, maximize, decoupled):  # pragma: no cover
    for i in range(param.size):
        g, p = _decayed(grad[i], param[i], maximize, weight_decay, decay_factor, decoupled)
        m, v = _moments(exp_avg, exp_avg_sq, i, g, w1, one_minus_w1, beta2, w2)
        denom = np.sqrt(v / bias_correction2) + eps
        p = p + (c_grad * g) / denom
        param[i] = p + (c_avg * m) / denom


def nadam(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, bias_correction2, c_grad, c_avg,
          maximize, decoupled) -> None:
    """One fused NAdam step; ``c_grad``/``c_avg`` are the step's coefficients of g/d and m/d."""
    dt = param.dtype.type
    _nadam_kernel(param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1), dt(1 - beta1),
                  dt(1 - (1 - beta1)), dt(beta2), dt(1 - beta2), dt(bias_correction2), dt(eps), dt(weight_decay),
                  dt(1 - lr * weight_decay), dt(c_grad), dt(c_avg), maximize, decoupled, work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _radam_kernel(param, grad, exp_avg, exp_avg_sq, w1, one_minus_w1, beta2, w2, eps, weight_decay,
                  decay_factor, lr, bias_correction1, bias_correction2_sqrt, rect, rectify, maximize,
                  decoupled):  # pragma: no cover
    for i in range(param.size):
        g, p = _decayed(grad[i], param[i], maximize, weight_decay, decay_factor, decoupled)
        m, v = _moments(exp_avg, exp_avg_sq, i, g, w1, one_minus_w1, beta2, w2)
        m_hat = m / bias_correction1
        if rectify:
            adaptive_lr = bias_correction2_sqrt / (np.sqrt(v) + eps)
            param[i] = p - ((m_hat * lr) * adaptive_lr) * rect
        else:
            param[i] = p - m_hat * lr


def radam(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, bias_correction1,
          bias_correction2, rect, rectify, maximize, decoupled) -> None:
    """One fused RAdam step (``rectify``: rho_t > 5, then ``rect`` is the variance rectification term)."""
    dt = param.dtype.type
    _radam_kernel(param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1), dt(1 - beta1),
                  dt(1 - (1 - beta1)), dt(beta2), dt(1 - beta2), dt(eps), dt(weight_decay), dt(1 - lr * weight_decay),
                  dt(lr), dt(bias_correction1), dt(bias_correction2**0.5), dt(rect), rectify, maximize, decoupled,
                  work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _adamax_kernel(param, grad, exp_avg, exp_inf, w1, one_minus_w1, beta2, eps, weight_decay, neg_clr,
                   maximize):  # pragma: no cover
    for i in range(param.size):
        g, p = _decayed(grad[i], param[i], maximize, weight_decay, weight_decay, False)
        m = _lerp(exp_avg[i], g, w1, one_minus_w1)
        exp_avg[i] = m
        u = exp_inf[i] * beta2
        a = abs(g) + eps
        if a > u or a != a:  # np.maximum: the larger, nan if either is nan
            u = a
        exp_inf[i] = u
        param[i] = p + (neg_clr * m) / u


def adamax(param, grad, exp_avg, exp_inf, clr, beta1, beta2, eps, weight_decay, maximize) -> None:
    """One fused Adamax step (``clr`` = lr / (1 - beta1^t))."""
    dt = param.dtype.type
    _adamax_kernel(param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_inf.reshape(-1), dt(1 - beta1),
                   dt(1 - (1 - beta1)), dt(beta2), dt(eps), dt(weight_decay), dt(-clr), maximize, work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _adadelta_kernel(param, grad, square_avg, acc_delta, lr, rho, w, eps, weight_decay,
                     maximize):  # pragma: no cover
    for i in range(param.size):
        g, p = _decayed(grad[i], param[i], maximize, weight_decay, weight_decay, False)
        sa = square_avg[i] * rho + (w * g) * g
        square_avg[i] = sa
        delta = np.sqrt(acc_delta[i] + eps) / np.sqrt(sa + eps) * g
        acc_delta[i] = acc_delta[i] * rho + (w * delta) * delta
        param[i] = p - lr * delta


def adadelta(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize) -> None:
    """One fused Adadelta step."""
    dt = param.dtype.type
    _adadelta_kernel(param.reshape(-1), grad.reshape(-1), square_avg.reshape(-1), acc_delta.reshape(-1), dt(lr),
                     dt(rho), dt(1 - rho), dt(eps), dt(weight_decay), maximize, work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _lion_kernel(param, grad, exp_avg, lr, beta1, w1, beta2, w2, weight_decay, decay_factor,
                 maximize):  # pragma: no cover
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        m = exp_avg[i]
        c = beta1 * m + w1 * g
        p = param[i]
        if weight_decay != 0:
            p = p * decay_factor
        param[i] = p - lr * np.sign(c)
        exp_avg[i] = m * beta2 + w2 * g


def lion(param, grad, exp_avg, lr, beta1, beta2, weight_decay, maximize) -> None:
    """One fused Lion step."""
    dt = param.dtype.type
    _lion_kernel(param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), dt(lr), dt(beta1), dt(1 - beta1),
                 dt(beta2), dt(1 - beta2), dt(weight_decay), dt(1 - lr * weight_decay), maximize, work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _momentum_kernel(param, grad, velocity, lr, beta, w, weight_decay):  # pragma: no cover
    for i in range(param.size):
        g = grad[i]
        p = param[i]
        if weight_decay != 0:
            g = g + weight_decay * p
        v = velocity[i] * beta + w * g
        velocity[i] = v
        param[i] = p - lr * v


def momentum(param, grad, velocity, lr, beta, weight_decay) -> None:
    """One fused EMA-momentum step (``optim.Momentum``)."""
    dt = param.dtype.type
    _momentum_kernel(param.reshape(-1), grad.reshape(-1), velocity.reshape(-1), dt(lr), dt(beta), dt(1 - beta),
                     dt(weight_decay), work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _asgd_kernel(param, grad, ax, eta, decay_factor, mu, weight_decay, average, maximize):  # pragma: no cover
    for i in range(param.size):
        g, p = _decayed(grad[i], param[i], maximize, weight_decay, weight_decay, False)
        p = p * decay_factor
        p = p - eta * g
        param[i] = p
        if average:
            ax[i] = ax[i] + (p - ax[i]) * mu
        else:
            ax[i] = p


def asgd(param, grad, ax, eta, lambd, mu, weight_decay, maximize) -> None:
    """One fused ASGD step (``eta``, ``mu``: this step's values of the scalar state)."""
    dt = param.dtype.type
    _asgd_kernel(param.reshape(-1), grad.reshape(-1), ax.reshape(-1), dt(eta), dt(1 - lambd * eta), dt(mu),
                 dt(weight_decay), mu != 1, maximize, work=param.size)


@threads.kernel("optim", flat=True, error_model="numpy")
def _rprop_kernel(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max, one, zero,
                  maximize):  # pragma: no cover
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        s = g * prev[i]
        factor = etaplus if s > 0 else (etaminus if s < 0 else one)
        ss = step_size[i] * factor
        if ss < step_size_min:  # np.clip (nan stays nan)
            ss = step_size_min
        if ss > step_size_max:
            ss = step_size_max
        step_size[i] = ss
        if s < 0:  # no step where the gradient changed sign
            g = zero
        param[i] = param[i] - np.sign(g) * ss
        prev[i] = g


def rprop(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max, maximize) -> None:
    """One fused Rprop step."""
    dt = param.dtype.type
    _rprop_kernel(param.reshape(-1), grad.reshape(-1), prev.reshape(-1), step_size.reshape(-1), dt(etaminus),
                  dt(etaplus), dt(step_size_min), dt(step_size_max), dt(1), dt(0), maximize, work=param.size)
