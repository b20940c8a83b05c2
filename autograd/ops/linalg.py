"""Linear algebra: matmul (numpy's full semantics, through BLAS), mm, bmm, dot, outer and einsum.

matmul's backward is ``MatmulBackward`` (numpy's matmul of the gradient with the transposed operands), whose own
backward is matmul and itself again, so matmul is differentiable to any order. einsum's backward is einsum with
the subscripts permuted: the gradient of operand i is the einsum of the output gradient with the other
operands, onto operand i's subscripts; repeated subscripts of an operand (diagonals, e.g. 'ii->i') get an identity
matrix as an extra operand, and subscripts that appear in no other operand (summed away) a vector of ones.
"""

from __future__ import annotations

import string

import numpy as np

from ..function import Op
from ..kernels import gemm
from ..tensor import Tensor, _make

__all__ = ["matmul", "mm", "bmm", "dot", "vdot", "inner", "outer", "ger", "einsum", "mv"]


def _tensor(x) -> Tensor:
    """Tensors pass through; arrays keep their dtype; Python data follows ``autograd.tensor`` (floats -> float32)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _shape_str(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)


def _check_dtypes(a: np.ndarray, b: np.ndarray) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}")


def _check_matmul(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    _check_dtypes(a, b)
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{k_a}] and src [{k_b}] to have the same number of "
                f"elements, but got {k_a} and {k_b} elements respectively"
            )
        sa = a.shape if a.ndim > 1 else (1,) + a.shape
        sb = b.shape if b.ndim > 1 else b.shape + (1,)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa[-2:])} and {_shape_str(sb[-2:])})"
            + (f" (full shapes {tuple(a.shape)} and {tuple(b.shape)})" if a.ndim > 2 or b.ndim > 2 else "")
        )
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    if batch_a == batch_b or not batch_a or not batch_b:
        return
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        n = max(len(batch_a), len(batch_b))
        pa, pb = (1,) * (n - len(batch_a)) + batch_a, (1,) * (n - len(batch_b)) + batch_b
        d = next(i for i in range(n) if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1)
        raise RuntimeError(
            f"The size of tensor a ({pa[d]}) must match the size of tensor b ({pb[d]}) at non-singleton dimension "
            f"{d} (matmul of shapes {tuple(a.shape)} and {tuple(b.shape)})"
        ) from None


class Matmul(Op):
    """a @ b (numpy/PyTorch semantics); d/da = g @ b^T, d/db = a^T @ g (1-D operands as row/column vectors)"""

    @staticmethod
    def forward(ctx, a, b):
        _check_matmul(a, b)
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        a, b = _blas_ready(a), _blas_ready(b)
        if a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous:  # (..., k) @ (k, n): one GEMM, not one per batch
            return gemm.mm(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[-1:])
        if a.ndim == 2 and b.ndim == 2:
            return gemm.mm(a, b)
        return np.asarray(gemm.bmm(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        a_nd, b_nd = len(ctx._in_meta[0][0]), len(ctx._in_meta[1][0])  # the operands' ndim
        grads = iter(MatmulBackward.apply(g, a, b, a_nd, b_nd, need))
        return tuple(next(grads) if n else None for n in need)


class MatmulBackward(Op):
    """(ga, gb) = (g @ b^T, a^T @ g) of ``a @ b``, only those in ``need`` (1-D operands as a row or a column;
    the engine sums broadcast batch axes away). Bilinear, so given (ha, hb): d/dg = ha @ b + a @ hb,
    d/da = g @ hb^T (this op's ga with hb for b), d/db = ha^T @ g (its gb with ha for a)"""

    @staticmethod
    def forward(ctx, g, a, b, a_nd, b_nd, need):
        ctx.a_nd, ctx.b_nd, ctx.need = a_nd, b_nd, need
        ctx.save_for_backward(g, a, b)
        if not g.flags.c_contiguous:  # e.g. the zero-strided gradient of a sum, which numpy would run without BLAS
            g = np.ascontiguousarray(g)
        out = []
        if a_nd > 2 and b_nd == 2:  # (..., k) @ (k, n), as in a Linear layer on a batch of sequences: flat GEMMs
            k, n = b.shape if b is not None else (a.shape[-1], g.shape[-1])
            g2 = g.reshape(-1, n)
            if need[0]:
                out.append(gemm.mm(g2, b.T).reshape(g.shape[:-1] + (k,)))
            if need[1]:
                out.append(gemm.mm(a.reshape(-1, k).T, g2))  # summed over the batch by the GEMM itself
            return tuple(out)
        if b_nd == 1:
            g = np.expand_dims(g, -1)
        if a_nd == 1:
            g = np.expand_dims(g, -2)
        if need[0]:
            ga = gemm.bmm(g, np.swapaxes(np.expand_dims(b, -1) if b_nd == 1 else b, -1, -2))
            out.append(ga[..., 0, :] if a_nd == 1 else ga)
        if need[1]:
            gb = gemm.bmm(np.swapaxes(np.expand_dims(a, -2) if a_nd == 1 else a, -1, -2), g)
            out.append(gb[..., 0] if b_nd == 1 else gb)
        return tuple(out)

    @staticmethod
    def backward(ctx, *hs):
        g, a, b = ctx.saved_tensors
        a_nd, b_nd = ctx.a_nd, ctx.b_nd
        it = iter(hs)
        ha, hb = (next(it) if n else None for n in ctx.need)
        need_g, need_a, need_b = ctx.needs_input_grad[:3]
        dg = da = db = None
        if need_g:
            dg = _vector_matmul(ha, b, a_nd, b_nd) if ha is not None else None
            if hb is not None:
                term = _vector_matmul(a, hb, a_nd, b_nd)
                dg = term if dg is None else dg + term
        if need_a and hb is not None:  # a enters only gb = a^T g
            (da,) = MatmulBackward.apply(g, None, hb, a_nd, b_nd, (True, False))
        if need_b and ha is not None:  # b enters only ga = g b^T
            (db,) = MatmulBackward.apply(g, ha, None, a_nd, b_nd, (False, True))
        return dg, da, db, None, None, None


def _vector_matmul(x: Tensor, y: Tensor, x_nd: int, y_nd: int) -> Tensor:
    """x @ y where an operand that was 1-D in the forward is a row (x) or a column (y) even when its gradient
    carries batch axes."""
    out = matmul(x.unsqueeze(-2) if x_nd == 1 else x, y.unsqueeze(-1) if y_nd == 1 else y)
    if x_nd == 1:
        out = out.squeeze(-2)
    return out.squeeze(-1) if y_nd == 1 else out


def _blas_ready(x: np.ndarray) -> np.ndarray:
    """``x`` with a copy where a matrix axis has stride 0 (e.g. the broadcast gradient of a sum), which numpy's
    matmul would run without BLAS."""
    return np.ascontiguousarray(x) if x.ndim and 0 in x.strides[-2:] and x.size > 1 else x


def matmul(input, other) -> Tensor:  # noqa: A002
    """Matrix product with numpy's rules: 1-D operands are vectors, leading (batch) axes broadcast."""
    return Matmul.apply(_tensor(input), _tensor(other))


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Product of two matrices (2-D only)."""
    if input.ndim != 2:
        raise RuntimeError(f"self must be a matrix (got a {input.ndim}-D tensor of shape {tuple(input.shape)})")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (got a {mat2.ndim}-D tensor of shape {tuple(mat2.shape)})")
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """Matrix-vector product."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    return matmul(input, vec)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Batched matrix product of two 3-D tensors with the same batch size (no broadcasting)."""
    if input.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (got shape {tuple(input.shape)})")
    if mat2.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor (got shape {tuple(mat2.shape)})")
    if mat2.shape[0] != input.shape[0] or mat2.shape[1] != input.shape[2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{input.shape[0]}, {input.shape[2]}] "
            f"but got: [{mat2.shape[0]}, {mat2.shape[1]}]."
        )
    return matmul(input, mat2)


def dot(input: Tensor, tensor: Tensor) -> Tensor:  # noqa: A002
    """Inner product of two 1-D tensors of the same size."""
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    return matmul(input, tensor)


vdot = dot


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Sum over the last axes of both: einsum('...i,...i')-style inner product (scalars multiply)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes {tuple(input.shape)} "
            f"and {tuple(other.shape)}"
        )
    a = string.ascii_lowercase[: input.ndim - 1]
    b = string.ascii_uppercase[: other.ndim - 1]
    return einsum(f"{a}z,{b}z->{a}{b}", input, other)


class Outer(Op):
    """outer(a, b)_ij = a_i b_j; d/da = g @ b, d/db = g^T @ a = a @ g"""

    @staticmethod
    def forward(ctx, a, b):
        for name, x in (("self", a), ("vec2", b)):
            if x.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {x.ndim}-D")
        _check_dtypes(a, b)
        ctx.save_for_backward(a, b)
        return np.outer(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (matmul(g, b) if ctx.needs_input_grad[0] else None,
                matmul(a, g) if ctx.needs_input_grad[1] else None)


def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    return Outer.apply(_tensor(input), _tensor(vec2))


ger = outer


# ---- einsum ----
def _parse(equation: str, shapes: list) -> tuple[list, str, dict, list]:
    """Explicit subscripts (ellipses spelled out as letters), the output subscript, each letter's size, and
    the letters still free."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(subs) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for c in eq:
        if not (c.isalpha() or c in ".,->"):
            raise RuntimeError(f"einsum(): invalid subscript given at index {eq.index(c)} in the equation string, "
                               f"subscripts must be in [a-zA-Z] (got {c!r})")
    pool = [c for c in string.ascii_letters if c not in eq]
    lengths = []
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        n_letters = len(s.replace("...", ""))
        if "..." in s:
            if len(shape) < n_letters:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_letters}) is more than "
                                   f"the number of dimensions ({len(shape)}) for operand {i}")
            lengths.append(len(shape) - n_letters)
        else:
            if len(shape) != n_letters:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_letters}) does not match "
                                   f"the number of dimensions ({len(shape)}) for operand {i} and no ellipsis was given")
            lengths.append(0)
    n_ell = max(lengths, default=0)
    ell, pool = "".join(pool[:n_ell]), pool[n_ell:]
    subs = [s.replace("...", ell[n_ell - n:]) for s, n in zip(subs, lengths)]
    sizes: dict = {}
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        for c, n in zip(s, shape):
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = n
            elif n != prev and n != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast "
                                   f"with previously seen size {prev}")
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
    else:
        letters = "".join(subs)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return subs, out, sizes, pool


class Einsum(Op):
    """einsum(eq, *xs); d/dx_i = einsum of g with the other operands onto x_i's subscripts"""

    @staticmethod
    def forward(ctx, *operands, parsed):
        subs, out, sizes, pool = parsed
        for o in operands[1:]:
            if o.dtype != operands[0].dtype:
                raise RuntimeError(f"einsum(): expected all operands to have the same dtype, but got "
                                   f"{', '.join(str(x.dtype) for x in operands)}")
        ctx.parsed = parsed
        ctx.save_for_backward(*operands)
        big = len(operands) > 1 and max(o.size for o in operands) > 1024
        return np.asarray(np.einsum(",".join(subs) + "->" + out, *operands, optimize="greedy" if big else False))

    @staticmethod
    def backward(ctx, g):
        subs, out, sizes, pool = ctx.parsed
        xs = ctx.saved_tensors
        grads = []
        for i, target in enumerate(subs):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            terms = [(out, g)] + [(s, x) for j, (s, x) in enumerate(zip(subs, xs)) if j != i]
            fresh = iter(pool)
            result, seen = "", set()
            for c in target:
                if c in seen:  # a repeated subscript (a diagonal): a fresh letter tied to c by an identity matrix
                    f = next(fresh)
                    terms.append((c + f, _make(np.eye(sizes[c], dtype=g.dtype))))
                    result += f
                else:
                    seen.add(c)
                    result += c
            present = set("".join(s for s, _ in terms))
            for c in seen - present:  # summed away in forward: the gradient is broadcast along it
                terms.append((c, _make(np.ones(sizes[c], dtype=g.dtype))))
            grads.append(einsum(",".join(s for s, _ in terms) + "->" + result, *[t for _, t in terms]))
        return tuple(grads)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, as ``torch.einsum`` (ellipses broadcast; implicit output = letters seen once)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(_tensor(o) for o in operands)
    parsed = _parse(equation, [o.shape for o in operands])
    return Einsum.apply(*operands, parsed=parsed)
