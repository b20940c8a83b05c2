"""Matrix products split over the library's threads: ``mm`` (2-D) and ``bmm`` (stacks of equal batch shape).

C = A B is cut into blocks of rows of C (A's rows; or B's columns when A has fewer rows than there are threads),
or of batch entries, and each block is one BLAS call on one thread (``threads.parallel_map``). The BLAS picks
its kernel and blocking by a block's shape, so the last bits of an element can depend on the number of blocks
(the policy's one exception to bit-identical results: ``autograd.threads``). Below the "gemm" threshold
(multiply-adds) the product is one call.
Operands may be transposed views: a block of rows or columns of one is still a strided matrix the BLAS takes.
"""

from __future__ import annotations

import numpy as np

from .. import threads

_MIN_ROWS = 64  # thinner blocks spend most of their time in the BLAS kernel's edge code


def mm(a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """a @ b (+ bias, broadcast over rows) for 2-D a (m, k) and b (k, n) of one float dtype."""
    m, k = a.shape
    n = b.shape[1]
    work = m * n * k
    if work < threads.THRESHOLDS["gemm"] or threads.get_num_threads() == 1:
        out = a @ b
        if bias is not None:
            out += bias
        return out
    out = np.empty((m, n), dtype=np.result_type(a, b))
    by_rows = m >= n or m >= _MIN_ROWS * threads.get_num_threads()
    blocks = threads.chunks(m if by_rows else n, work, "gemm", _MIN_ROWS)

    def block(span):
        lo, hi = span
        if by_rows:
            o = out[lo:hi]
            np.matmul(a[lo:hi], b, out=o)
            if bias is not None:
                o += bias
        else:
            o = out[:, lo:hi]
            np.matmul(a, b[:, lo:hi], out=o)
            if bias is not None:
                o += bias[lo:hi]

    threads.parallel_map(block, blocks)
    return out


def bmm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for stacks (B, ..., m, k) and (B, ..., k, n) with the same batch shape: blocks of the first axis."""
    if a.ndim < 3 or a.shape[:-2] != b.shape[:-2]:
        return np.matmul(a, b)
    m, k = a.shape[-2:]
    n = b.shape[-1]
    count = a.shape[0]
    if threads.get_num_threads() == 1:
        return np.matmul(a, b)
    blocks = threads.chunks(count, int(np.prod(a.shape[:-2])) * m * n * k, "gemm")
    if len(blocks) == 1:
        return np.matmul(a, b)
    out = np.empty(a.shape[:-1] + (n,), dtype=np.result_type(a, b))

    def block(span):
        lo, hi = span
        np.matmul(a[lo:hi], b[lo:hi], out=out[lo:hi])

    threads.parallel_map(block, blocks)
    return out
