"""``fexp`` and ``ftanh``: an exp and a tanh that Numba can vectorize, for use inside the other kernels' loops.

Numba's ``np.exp`` calls the scalar libm ``exp`` here (no SVML), which stops LLVM from vectorizing any loop that
contains it; numpy's own exp is AVX-512 SIMD, so a fused Numba softmax using ``np.exp`` loses to
numpy's five passes. ``fexp`` is Cody-Waite range reduction (x = k ln2 + r, |r| <= ln2 / 2), a polynomial for
exp(r) (Cephes' expf coefficients for float32, the degree-13 Taylor series for float64) and 2^k built from its
bits, all in straight-line code that vectorizes. Measured error on [-87, 0] (float32) / [-708, 0] (float64):
at most 0.7 ulp (numpy: 1.7 / 0.6 ulp). Results below exp's normal range are flushed to 0 (no denormals),
above it are inf; nan stays nan.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload


@intrinsic
def _bits_as_f32(typingctx, v):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


@intrinsic
def _bits_as_f64(typingctx, v):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@njit(inline="always")
def _exp32(x):  # pragma: no cover - compiled
    lo, hi = np.float32(-87.0), np.float32(88.72283)
    xc = min(max(x, lo), hi)
    k = np.floor(xc * np.float32(1.4426950408889634) + np.float32(0.5))
    r = xc - k * np.float32(0.693359375) - k * np.float32(-2.12194440e-4)
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + np.float32(1.0)
    e = np.int32(k) + np.int32(127)  # biased exponent of 2^k; 255 (k = 128) is written as 2^127 * 2
    e1 = min(e, np.int32(254))
    y = p * _bits_as_f32(e1 << np.int32(23)) * (np.float32(2.0) if e > e1 else np.float32(1.0))
    y = np.float32(0.0) if x < lo else y
    y = np.float32(np.inf) if x > hi else y
    return x if x != x else y


@njit(inline="always")
def _exp64(x):  # pragma: no cover - compiled
    lo, hi = -708.0, 709.782712893384
    xc = min(max(x, lo), hi)
    k = np.floor(xc * 1.4426950408889634 + 0.5)
    r = xc - k * 6.93145751953125e-1 - k * 1.42860682030941723212e-6
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r * r + r + 1.0
    e = np.int64(k) + np.int64(1023)  # biased exponent of 2^k; 2047 (k = 1024) is written as 2^1023 * 2
    e1 = min(e, np.int64(2046))
    y = p * _bits_as_f64(e1 << np.int64(52)) * (2.0 if e > e1 else 1.0)
    y = 0.0 if x < lo else y
    y = np.inf if x > hi else y
    return x if x != x else y


def fexp(x):  # pragma: no cover - replaced by the overload inside compiled code
    """exp(x) for a float32/float64 scalar, vectorizable (call it from @njit code only)."""
    raise NotImplementedError("fexp is only callable from Numba-compiled code")


def _by_float_type(f32, f64):
    """An overload body: ``f32`` for a float32 argument, ``f64`` for a float64 one, no match otherwise."""
    def impl(x):
        if x == types.float32:
            return lambda x: f32(x)
        if x == types.float64:
            return lambda x: f64(x)
        return None

    return impl


overload(fexp, inline="always")(_by_float_type(_exp32, _exp64))


@njit(cache=True)
def fexp_array(x, out):  # pragma: no cover - compiled
    """out = fexp(x) over flat arrays (used to test fexp against numpy)."""
    for i in range(x.size):
        out[i] = fexp(x[i])


@njit(error_model="numpy")  # not IR-inlined: Numba warns on inlined conditionals (LLVM inlines it)
def _tanh32(x):  # pragma: no cover - compiled
    z = abs(x)
    s = z * z  # |x| < 0.625: Cephes tanhf's odd polynomial; beyond: 1 - 2 / (exp(2|x|) + 1), sign restored
    p = np.float32(-5.70498872745e-3)
    p = p * s + np.float32(2.06390887954e-2)
    p = p * s + np.float32(-5.37397155531e-2)
    p = p * s + np.float32(1.33314422036e-1)
    p = p * s + np.float32(-3.33332819422e-1)
    small = p * s * z + z
    big = np.float32(1.0) - np.float32(2.0) / (_exp32(np.float32(2.0) * z) + np.float32(1.0))
    return np.copysign(small if z < np.float32(0.625) else big, x)  # tanh is odd; keeps -0.0 and nan


@njit(error_model="numpy")
def _tanh64(x):  # pragma: no cover - compiled
    z = abs(x)
    s = z * z  # |x| < 0.625: Cephes tanh's rational approximation; beyond: 1 - 2 / (exp(2|x|) + 1), sign restored
    p = (-9.64399179425052238628e-1 * s - 9.92877231001918586564e1) * s - 1.61468768441708447952e3
    q = ((s + 1.12811678491632931402e2) * s + 2.23548839060100448583e3) * s + 4.84406305325125486048e3
    small = z + z * s * p / q
    big = 1.0 - 2.0 / (_exp64(2.0 * z) + 1.0)
    return np.copysign(small if z < 0.625 else big, x)  # tanh is odd; keeps -0.0 and nan


def ftanh(x):  # pragma: no cover - replaced by the overload inside compiled code
    """tanh(x) for a float32/float64 scalar, vectorizable (Cephes' tanhf / tanh: within 2 ulp), from @njit code
    only."""
    raise NotImplementedError("ftanh is only callable from Numba-compiled code")


overload(ftanh)(_by_float_type(_tanh32, _tanh64))


@njit(cache=True, error_model="numpy")  # the python error model's division check would stop vectorization
def ftanh_array(x, out):  # pragma: no cover - compiled
    """out = ftanh(x) over flat arrays (used to test ftanh against numpy)."""
    for i in range(x.size):
        out[i] = ftanh(x[i])


def as_type_of(x, v):  # pragma: no cover - replaced by the overload inside compiled code
    """``v`` converted to the float type of ``x``, a scalar or an array (keeps float32 kernels in float32; @njit code
    only)."""
    raise NotImplementedError("as_type_of is only callable from Numba-compiled code")


@overload(as_type_of, inline="always")
def _as_type_of_overload(x, v):
    if (x.dtype if isinstance(x, types.Array) else x) == types.float32:
        return lambda x, v: np.float32(v)
    return lambda x, v: np.float64(v)
