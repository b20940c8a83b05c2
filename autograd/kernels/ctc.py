"""CTC (connectionist temporal classification) kernels: the forward (alpha) and backward (beta) recursions in
log space over the blank-extended label sequence l' = (blank, l1, blank, l2, ..., lL, blank), and the gradient
of the negative log-likelihood with respect to the log-probabilities. Pure array functions (Numba), no autodiff.

Shapes: ``log_probs`` (T, N, C); ``targets`` 1-D, the labels of sample n at ``targets[offsets[n]:offsets[n] +
target_lengths[n]]``; ``input_lengths``, ``target_lengths``, ``offsets`` (N,) int64.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_NEG_INF = -np.inf


@njit(cache=True, inline="always")
def _lse(a, b):
    """log(exp(a) + exp(b)) without overflow; -inf when both are -inf."""
    m = max(a, b)
    if m == -np.inf:
        return m
    return m + math.log(math.exp(a - m) + math.exp(b - m))


@njit(cache=True, inline="always")
def _label(targets, offset, s, blank):
    """l'_s: blank at even s, the (s-1)/2-th target label at odd s."""
    if s % 2 == 0:
        return blank
    return targets[offset + (s - 1) // 2]


@njit(cache=True)
def _ctc_alpha(log_probs, targets, offsets, input_lengths, target_lengths, blank):
    T, N, _ = log_probs.shape
    max_len = 0
    for n in range(N):
        max_len = max(max_len, target_lengths[n])
    S = 2 * max_len + 1
    log_alpha = np.full((N, T, S), _NEG_INF, dtype=log_probs.dtype)
    nll = np.empty(N, dtype=log_probs.dtype)
    for n in range(N):
        Tn, L, off = input_lengths[n], target_lengths[n], offsets[n]
        Sn = 2 * L + 1
        if Tn == 0:
            nll[n] = 0.0 if L == 0 else np.inf
            continue
        log_alpha[n, 0, 0] = log_probs[0, n, blank]
        if L > 0:
            log_alpha[n, 0, 1] = log_probs[0, n, targets[off]]
        for t in range(1, Tn):
            for s in range(Sn):
                c = _label(targets, off, s, blank)
                a = log_alpha[n, t - 1, s]
                if s > 0:
                    a = _lse(a, log_alpha[n, t - 1, s - 1])
                if s > 1 and c != blank and c != _label(targets, off, s - 2, blank):
                    a = _lse(a, log_alpha[n, t - 1, s - 2])
                log_alpha[n, t, s] = a + log_probs[t, n, c] if a != -np.inf else -np.inf
        end = log_alpha[n, Tn - 1, Sn - 1]
        if L > 0:
            end = _lse(end, log_alpha[n, Tn - 1, Sn - 2])
        nll[n] = -end
    return nll, log_alpha


@njit(cache=True)
def _ctc_grad(log_probs, targets, offsets, input_lengths, target_lengths, blank, nll, log_alpha, zero_infinity):
    """d nll_n / d log_probs[t, n, c] in PyTorch's form: exp(lp) - exp(log sum_{s: l'_s = c} alpha beta + nll - lp)
    for t < input_length (the exp(lp) term is what makes it the logits' gradient after log_softmax), 0 after."""
    T, N, C = log_probs.shape
    grad = np.zeros((T, N, C), dtype=log_probs.dtype)
    S = log_alpha.shape[2]
    log_beta = np.full((T, S), _NEG_INF, dtype=log_probs.dtype)
    lcab = np.empty(C, dtype=log_probs.dtype)
    for n in range(N):
        Tn, L, off = input_lengths[n], target_lengths[n], offsets[n]
        Sn = 2 * L + 1
        if Tn == 0 or (zero_infinity and nll[n] == np.inf):
            continue
        log_beta[:, :] = _NEG_INF
        log_beta[Tn - 1, Sn - 1] = log_probs[Tn - 1, n, blank]
        if L > 0:
            log_beta[Tn - 1, Sn - 2] = log_probs[Tn - 1, n, targets[off + L - 1]]
        for t in range(Tn - 2, -1, -1):
            for s in range(Sn):
                c = _label(targets, off, s, blank)
                b = log_beta[t + 1, s]
                if s < Sn - 1:
                    b = _lse(b, log_beta[t + 1, s + 1])
                if s < Sn - 2 and c != blank and c != _label(targets, off, s + 2, blank):
                    b = _lse(b, log_beta[t + 1, s + 2])
                log_beta[t, s] = b + log_probs[t, n, c] if b != -np.inf else -np.inf
        for t in range(Tn):
            lcab[:] = _NEG_INF
            for s in range(Sn):
                c = _label(targets, off, s, blank)
                lcab[c] = _lse(lcab[c], log_alpha[n, t, s] + log_beta[t, s])
            for c in range(C):
                lp = log_probs[t, n, c]
                grad[t, n, c] = math.exp(lp) - math.exp(lcab[c] + nll[n] - lp)
    return grad


def ctc_forward(log_probs: np.ndarray, targets: np.ndarray, offsets: np.ndarray, input_lengths: np.ndarray,
                target_lengths: np.ndarray, blank: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample negative log-likelihoods (N,) and the log-alpha table (N, T, 2 max(L) + 1)."""
    lp = np.ascontiguousarray(log_probs)
    return _ctc_alpha(lp, np.ascontiguousarray(targets, dtype=np.int64), offsets.astype(np.int64),
                      input_lengths.astype(np.int64), target_lengths.astype(np.int64), int(blank))


def ctc_backward(log_probs: np.ndarray, targets: np.ndarray, offsets: np.ndarray, input_lengths: np.ndarray,
                 target_lengths: np.ndarray, blank: int, nll: np.ndarray, log_alpha: np.ndarray,
                 zero_infinity: bool) -> np.ndarray:
    """d nll / d log_probs, (T, N, C), per unit upstream gradient of each sample's loss."""
    lp = np.ascontiguousarray(log_probs)
    return _ctc_grad(lp, np.ascontiguousarray(targets, dtype=np.int64), offsets.astype(np.int64),
                     input_lengths.astype(np.int64), target_lengths.astype(np.int64), int(blank), nll, log_alpha,
                     bool(zero_infinity))
