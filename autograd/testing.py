"""``assert_close``, as ``torch.testing.assert_close``: |actual - expected| <= atol + rtol * |expected| elementwise.

Default tolerances depend on the dtype (float16: rtol 1e-3, atol 1e-5; bfloat16: 1.6e-2, 1e-5; float32:
1.3e-6, 1e-5; float64: 1e-7, 1e-7; integers and bools: exact); with two dtypes the looser pair applies.
Tensors, numpy arrays, Python numbers and (nested) sequences and mappings of them are compared; a mismatch
raises AssertionError with PyTorch's message (mismatched count, greatest absolute and relative difference
and where).
"""

from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from .tensor import Tensor

__all__ = ["assert_close", "assert_allclose"]

_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _tolerance(dtype) -> tuple[float, float]:
    return _TOLERANCES.get(np.dtype(dtype).name, (0.0, 0.0))


def _fail(msg, default: str, path: str) -> None:
    text = default if msg is None else (msg(default) if callable(msg) else msg)
    if msg is None and path:
        text += f"\n\nThe failure occurred for item {path}"
    raise AssertionError(text)


def _array(x):
    if isinstance(x, Tensor):
        return x.numpy(), "Tensor-likes"
    if isinstance(x, np.ndarray):
        return x, "Tensor-likes"
    if isinstance(x, np.generic) or (isinstance(x, numbers.Number) and not isinstance(x, bool)) or isinstance(x, bool):
        return np.asarray(x), "Scalars"
    return None, None


def _index(flat: int, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, path) -> None:
    a, kind = _array(actual)
    e, _ = _array(expected)
    if a is None or e is None:
        if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
            if set(actual) != set(expected):
                _fail(msg, f"The keys of the mappings do not match: {sorted(map(str, actual))} != "
                      f"{sorted(map(str, expected))}", path)
            for k in expected:
                _compare(actual[k], expected[k], rtol, atol, equal_nan, check_dtype, msg, f"{path}[{k!r}]")
            return
        seq = (collections.abc.Sequence,)
        if isinstance(actual, seq) and isinstance(expected, seq) and not isinstance(actual, (str, bytes)) \
                and not isinstance(expected, (str, bytes)):
            if len(actual) != len(expected):
                _fail(msg, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", path)
            for i, (x, y) in enumerate(zip(actual, expected)):
                _compare(x, y, rtol, atol, equal_nan, check_dtype, msg, f"{path}[{i}]")
            return
        raise TypeError(f"assert_close: no comparison pair for inputs of types {type(actual).__name__} and "
                        f"{type(expected).__name__} (expected tensors, arrays, numbers, or sequences/mappings "
                        f"of them)")
    if type(actual) is not type(expected) and not (kind == "Scalars" and _array(expected)[1] == "Scalars"):
        if isinstance(actual, Tensor) != isinstance(expected, Tensor):
            _fail(msg, f"Expected both inputs to be of the same type, got {type(actual).__name__} and "
                  f"{type(expected).__name__}.", path)
    if a.shape != e.shape:
        _fail(msg, f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.", path)
    if check_dtype and kind == "Tensor-likes" and a.dtype != e.dtype:
        _fail(msg, f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.", path)
    if rtol is None:
        (r1, a1), (r2, a2) = _tolerance(a.dtype), _tolerance(e.dtype)
        rtol, atol = max(r1, r2), max(a1, a2)
    if a.dtype == np.bool_ or e.dtype == np.bool_:
        a, e = a.astype(np.int64), e.astype(np.int64)
    wide = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(e) else np.float64
    x, y = a.astype(wide), e.astype(wide)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(x - y)
        close = diff <= atol + rtol * np.abs(y)
        close |= x == y  # equal infinities
        if equal_nan:
            close |= np.isnan(x) & np.isnan(y)
    if close.all():
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = diff / np.abs(y)
    bad = ~close
    diff = np.where(np.isnan(diff), np.inf, diff)
    rel = np.where(np.isnan(rel), np.inf, rel)
    if kind == "Scalars":
        text = (f"Scalars are not close!\n\nExpected {e.item()} but got {a.item()}.\n"
                f"Absolute difference: {diff.item()} (up to {atol} allowed)\n"
                f"Relative difference: {rel.item()} (up to {rtol} allowed)")
    else:
        n, total = int(bad.sum()), bad.size
        ia, ir = int(np.argmax(diff.reshape(-1))), int(np.argmax(rel.reshape(-1)))
        text = (f"Tensor-likes are not close!\n\nMismatched elements: {n} / {total} ({100 * n / total:.1f}%)\n"
                f"Greatest absolute difference: {diff.reshape(-1)[ia]} at index {_index(ia, a.shape)} "
                f"(up to {atol} allowed)\n"
                f"Greatest relative difference: {rel.reshape(-1)[ir]} at index {_index(ir, a.shape)} "
                f"(up to {rtol} allowed)")
    _fail(msg, text, path)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close (see the module docstring); ``msg`` (a
    string, or a callable given the default message) replaces the message."""
    if (rtol is None) != (atol is None):
        given, missing = ("rtol", "atol") if rtol is not None else ("atol", "rtol")
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, "")


def assert_allclose(actual, expected, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """The deprecated form: ``assert_close`` without the dtype check, NaNs equal by default."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False, msg=msg or None)
