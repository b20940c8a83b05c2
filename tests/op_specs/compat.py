"""Rows for the ops real PyTorch programs use beyond the contract (autograd/ops/misc.py, issue 11)."""

import numpy as np

from . import OpSpec, away_from_zero

U = [(), (5,), (3, 4), (2, 3, 4)]


def _fmod_inputs(rng, shapes, dtype):
    a = rng.uniform(-3, 3, size=shapes[0])
    b = rng.uniform(0.6, 1.4, size=shapes[1]) * rng.choice([-1, 1], size=shapes[1])
    # keep a / b away from integers, where trunc jumps and finite differences straddle the jump
    q = a / b
    a = np.where(np.abs(q - np.round(q)) < 0.1, a + 0.25 * b, a)
    return [a.astype(dtype), b.astype(dtype)]


def _distinct_singular(rng, shapes, dtype):
    (m, n), k = shapes[0], min(shapes[0])
    u, _ = np.linalg.qr(rng.standard_normal((m, m)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.zeros((m, n))
    s[np.arange(k), np.arange(k)] = np.linspace(3.0, 1.0, k)
    return [(u @ s @ v.T).astype(dtype)]


def _svd_invariant(lib, a):
    # products that do not depend on the signs LAPACK picks for singular vectors
    u, s, v = lib.svd(a)
    return (u * s) @ v.T, u @ u.T, v @ v.T, s ** 3


SPECS = [
    OpSpec("erf", lambda lib, a: lib.erf(a), [(s,) for s in U]),
    OpSpec("acos", lambda lib, a: lib.acos(a), [(s,) for s in U], low=-0.9, high=0.9),
    OpSpec("fmod", lambda lib, a, b: lib.fmod(a, b), [((3, 4), (3, 4)), ((3, 4), (4,))], make=_fmod_inputs),
    OpSpec("logaddexp", lambda lib, a, b: lib.logaddexp(a, b) + a.logaddexp(b * 300),  # b * 300: beyond exp's float32
           [((), ()), ((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1))]),
    OpSpec("fmod_scalar", lambda lib, a: lib.fmod(a, 0.7), [((3, 4),)], make=away_from_zero),
    OpSpec("trapezoid", lambda lib, a: lib.trapezoid(a), [((5,),), ((3, 4),)]),
    OpSpec("trapezoid_x", lambda lib, a, x: lib.trapezoid(a, x, dim=0), [((4, 3), (4, 1))]),
    OpSpec("trapezoid_dx", lambda lib, a: lib.trapezoid(a, dx=0.5, dim=0), [((4, 3),)]),
    OpSpec("unfold", lambda lib, a: a.unfold(1, 2, 1), [((3, 4),), ((2, 5, 3),)]),
    OpSpec("unfold_step", lambda lib, a: a.unfold(-1, 3, 2), [((7,),), ((2, 7),)]),
    OpSpec("trace", lambda lib, a: a.trace(), [((4, 4),), ((3, 5),)]),
    OpSpec("ravel", lambda lib, a: a.transpose(0, 1).ravel(), [((3, 4),)]),
    OpSpec("svd", _svd_invariant, [((5, 3),), ((3, 5),), ((4, 4),)], make=_distinct_singular),
]
