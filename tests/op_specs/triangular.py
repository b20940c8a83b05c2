"""Rows for ``linalg.cholesky`` and ``linalg.solve_triangular`` (autograd.ops.triangular), as ``lib.linalg``."""

import numpy as np

from . import OpSpec


def spd(rng, shapes, dtype):
    (s,) = shapes
    m = rng.standard_normal(s)
    return [(m @ np.swapaxes(m, -1, -2) + s[-1] * np.eye(s[-1])).astype(dtype)]


def well_conditioned(rng, shapes, dtype):
    """A with a dominant diagonal (its triangles are well conditioned), then the right-hand sides."""
    a = rng.standard_normal(shapes[0]) + 3 * np.eye(shapes[0][-1])
    return [a.astype(dtype)] + [rng.standard_normal(s).astype(dtype) for s in shapes[1:]]


def _sym(a):
    """The symmetric part: cholesky reads one triangle, so finite differences need a symmetric perturbation."""
    return (a + a.transpose(-2, -1)) * 0.5


SOLVE = [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 4))]
SOLVE_RIGHT = [((3, 3), (2, 3)), ((2, 3, 3), (2, 4, 3))]

SPECS = [
    OpSpec("cholesky", lambda lib, a: lib.linalg.cholesky(_sym(a)), [((4, 4),), ((2, 3, 3),)], make=spd),
    OpSpec("cholesky_upper", lambda lib, a: lib.linalg.cholesky(_sym(a), upper=True), [((3, 3),)], make=spd),
    OpSpec("solve_triangular_lower", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False), SOLVE,
           make=well_conditioned),
    OpSpec("solve_triangular_upper", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True), SOLVE,
           make=well_conditioned),
    OpSpec("solve_triangular_right", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False, left=False),
           SOLVE_RIGHT, make=well_conditioned),
    OpSpec("solve_triangular_right_upper", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True,
                                                                                         left=False),
           SOLVE_RIGHT, make=well_conditioned),
    OpSpec("solve_triangular_unit", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True,
                                                                                  unitriangular=True),
           SOLVE, make=well_conditioned),
]
