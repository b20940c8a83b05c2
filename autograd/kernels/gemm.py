"""Matrix products split over the library's threads: ``mm`` (2-D) and ``bmm`` (stacks of equal batch shape).

C = A B is cut into a grid of row and column ranges of C: each BLAS call packs the rows of A and the columns of B
its block needs, so the grid is the one that packs the fewest (blocks of rows would each pack all of B; on 2
threads, rows when A has at least as many rows as B has columns, else columns). Stacks are cut into blocks of
batch entries. Each block is one BLAS call on one thread (``threads.parallel_map``). The BLAS picks its kernel
and blocking by a block's shape, so the last bits of an element can depend on the number of blocks (the policy's
one exception to bit-identical results: ``autograd.threads``). Below the "gemm" threshold (multiply-adds) the
product is one call. Operands may be transposed views: a block of rows or columns of one is still a strided
matrix the BLAS takes.
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

    def block(tile):
        (r0, r1), (c0, c1) = tile
        o = out[r0:r1, c0:c1]
        np.matmul(a[r0:r1], b[:, c0:c1], out=o)
        if bias is not None:
            o += bias[c0:c1]

    threads.parallel_map(block, _tiles(m, n, work))
    return out


def _tiles(m: int, n: int, work: int) -> list:
    """The blocks of C, as ((row lo, hi), (column lo, hi)): as many as the policy gives ``work`` multiply-adds
    (``threads.chunks``), on the grid of row and column ranges that packs the least (``_grid``; benchmarks/
    RESULTS.md, "kernels/gemm"), or, where no grid keeps blocks ``_MIN_ROWS`` wide, fewer blocks of rows or
    columns."""
    count = len(threads.chunks(m * n, work, "gemm"))  # the blocks the policy gives this much work
    grid = _grid(m, n, count)
    if grid is not None:
        rows, cols = grid
        return [((m * i // rows, m * (i + 1) // rows), (n * j // cols, n * (j + 1) // cols))
                for i in range(rows) for j in range(cols)]
    if m >= n:
        return [(span, (0, n)) for span in threads.chunks(m, work, "gemm", _MIN_ROWS)]
    return [((0, m), span) for span in threads.chunks(n, work, "gemm", _MIN_ROWS)]


def _grid(m: int, n: int, count: int) -> tuple[int, int] | None:
    """(row ranges, column ranges), ``count`` blocks in all, each at least ``_MIN_ROWS`` rows and columns tall and
    wide where cut, whose block packs the fewest elements of A and B (m / rows + n / columns per unit of k; on a
    tie the more rows); None when no such grid exists."""
    best = None
    for rows in range(count, 0, -1):
        if count % rows:
            continue
        cols = count // rows
        if (rows > 1 and m // rows < _MIN_ROWS) or (cols > 1 and n // cols < _MIN_ROWS):
            continue
        cost = m / rows + n / cols
        if best is None or cost < best[0]:
            best = (cost, rows, cols)
    return None if best is None else best[1:]


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
