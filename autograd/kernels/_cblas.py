"""``gemm``: numpy's own OpenBLAS ``cblas_?gemm``, callable from inside Numba-compiled loops.

Why: a recurrence (LSTM, GRU) is a loop of small matmuls with elementwise work between them. Written in Python,
each step pays interpreter and dispatch overhead of the order of its small GEMM; Numba's own ``np.dot``
reaches scipy's OpenBLAS, which is slower at these sizes. So the
kernels call numpy's BLAS directly: the function's address is found here once and passed to the kernel as an
integer argument (a constant address baked into the code would stop Numba from caching it), and ``gemm`` is an
intrinsic that turns that integer back into a call.

The call is CBLAS row-major: C (m, n) = alpha op(A) op(B) + beta C, op = transpose when the flag is set, leading
dimensions the row strides in elements. Only numpy's 64-bit-integer OpenBLAS builds (the wheels' scipy_openblas64)
are recognised; elsewhere ``address(dtype)`` is 0 and callers keep their numpy path.
"""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ._fastexp import as_type_of

__all__: list[str] = []

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SYMBOLS = {np.dtype(np.float32): ("scipy_cblas_sgemm64_", "cblas_sgemm64_"),
            np.dtype(np.float64): ("scipy_cblas_dgemm64_", "cblas_dgemm64_")}
_ADDRESSES: dict | None = None


def _find() -> dict:
    import numpy  # noqa: F401  (loads its BLAS)

    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
    except OSError:
        return {}
    numpy_dir = numpy.__file__.rsplit("/", 1)[0]  # .../site-packages/numpy, a prefix of .../numpy.libs too
    paths.sort(key=lambda p: not p.startswith(numpy_dir))  # numpy's own first (scipy's is slower, see above)
    found = {}
    for dtype, names in _SYMBOLS.items():
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            fn = next((getattr(lib, n) for n in names if hasattr(lib, n)), None)
            if fn is not None:
                found[dtype] = ctypes.cast(fn, ctypes.c_void_p).value
                break
    return found


def address(dtype) -> int:
    """The address of numpy's ``cblas_?gemm`` (64-bit ints) for float32/float64, or 0 if there is none."""
    global _ADDRESSES
    if _ADDRESSES is None:
        _ADDRESSES = _find()
    return _ADDRESSES.get(np.dtype(dtype), 0)


@intrinsic
def _call(typingctx, fn, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """cblas_?gemm(RowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) through the address fn."""
    if alpha not in (types.float32, types.float64) or beta != alpha:
        return None
    sig = types.void(types.intp, types.intp, types.intp, types.intp, types.intp, types.intp, alpha,
                     types.intp, types.intp, types.intp, types.intp, beta, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        fn_, ta_, tb_, m_, n_, k_, alpha_, a_, lda_, b_, ldb_, beta_, c_, ldc_ = args
        i32, i64 = ir.IntType(32), ir.IntType(64)
        real = context.get_value_type(signature.args[6])
        ptr = real.as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i32, i64, i64, i64, real, ptr, i64, ptr, i64, real,
                                               ptr, i64])
        callee = builder.inttoptr(fn_, fnty.as_pointer())
        enum = [builder.trunc(v, i32) for v in (ir.Constant(i64, _ROW_MAJOR), ta_, tb_)]
        builder.call(callee, enum + [m_, n_, k_, alpha_, builder.inttoptr(a_, ptr), lda_,
                                     builder.inttoptr(b_, ptr), ldb_, beta_, builder.inttoptr(c_, ptr), ldc_])
        return context.get_dummy_value()

    return sig, codegen



@njit(inline="always")
def _ld(x):  # pragma: no cover - compiled
    """The leading dimension of a 2-D operand: its row stride in elements; a one-row matrix's stride is arbitrary
    under numpy's relaxed strides (a (1, n) transpose can report 1), and BLAS wants >= max(1, n) there."""
    return x.strides[0] // x.itemsize if x.shape[0] > 1 else max(x.shape[1], 1)


@njit(inline="always")
def gemm(fn, a, b, c, trans_a, trans_b, beta):  # pragma: no cover - compiled
    """c = op(a) @ op(b) + beta c for 2-D arrays with unit inner stride; fn = ``address(c.dtype)``."""
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    one = as_type_of(c, 1.0)  # the array, not c[0, 0]: c may be empty
    _call(fn, _TRANS if trans_a else _NO_TRANS, _TRANS if trans_b else _NO_TRANS, m, n, k, one, a.ctypes.data,
          _ld(a), b.ctypes.data, _ld(b), as_type_of(one, beta), c.ctypes.data, _ld(c))
