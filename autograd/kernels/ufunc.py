"""numpy ufuncs split over the library's threads: ``split(ufunc, *operands)``.

numpy runs a ufunc on one thread. Above the "elementwise" threshold the output's first axis is cut into blocks,
one per thread (``threads.parallel_map``; numpy releases the GIL inside the loop), each block computing its
slice of the output from the matching slices of the operands (an operand broadcast along the first axis is
passed whole). Every element is computed alone, so the result is bit-identical to ``ufunc(*operands)``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import threads

__all__ = ["split"]


def split(ufunc: np.ufunc, *operands):
    """``ufunc(*operands)`` with numpy's broadcasting and dtype rules, on the library's threads when large."""
    if threads.get_num_threads() == 1 or max(np.size(o) for o in operands) < threads.THRESHOLDS["elementwise"]:
        return ufunc(*operands)
    shape = np.broadcast_shapes(*(np.shape(o) for o in operands))
    blocks = threads.chunks(shape[0], math.prod(shape), "elementwise") if shape else [(0, 0)]
    if len(blocks) == 1:
        return ufunc(*operands)
    try:  # Python numbers are weak scalars (NEP 50): their type, not a dtype
        dtype = ufunc.resolve_dtypes(tuple(o.dtype if isinstance(o, np.ndarray) else type(o) for o in operands)
                                     + (None,))[-1]
    except (TypeError, ValueError):  # an operand resolve_dtypes cannot describe: numpy decides, on one thread
        return ufunc(*operands)
    out = np.empty(shape, dtype=dtype)
    whole = shape[0]

    def block(span):
        lo, hi = span
        parts = [o[lo:hi] if isinstance(o, np.ndarray) and o.ndim == len(shape) and o.shape[0] == whole else o
                 for o in operands]
        ufunc(*parts, out=out[lo:hi])

    threads.parallel_map(block, blocks)
    return out
