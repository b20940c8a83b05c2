"""Rows for the linear-algebra ops: matmul (every 1-D / batched / broadcast case), mm, bmm, dot, outer, einsum."""

from . import OpSpec

MATMUL = [
    ((3, 4), (4, 5)),  # 2-D @ 2-D
    ((4,), (4,)),  # 1-D @ 1-D -> 0-d
    ((4,), (4, 5)),  # 1-D @ 2-D
    ((3, 4), (4,)),  # 2-D @ 1-D
    ((2, 3, 4), (4, 5)),  # batched @ 2-D
    ((4, 5), (2, 5, 3)),  # 2-D @ batched
    ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch dims
    ((4,), (2, 4, 3)),  # 1-D @ batched
    ((2, 3, 4), (4,)),  # batched @ 1-D
    ((1, 3, 4), (2, 4, 2)),  # size-1 batch broadcast
    ((0, 4), (4, 3)),  # empty rows
    ((3, 0), (0, 2)),  # empty contraction -> zeros
]

SPECS = [
    OpSpec("matmul", lambda lib, a, b: lib.matmul(a, b), MATMUL),
    OpSpec("matmul_op", lambda lib, a, b: a @ b, [((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5))]),
    OpSpec("matmul_method_chain", lambda lib, a, b, c: a.matmul(b).tanh() @ c, [((3, 4), (4, 5), (5, 2))]),
    OpSpec("mm", lambda lib, a, b: lib.mm(a, b), [((3, 4), (4, 5)), ((1, 1), (1, 1))]),
    OpSpec("mm_method", lambda lib, a, b: a.mm(b), [((2, 3), (3, 2))]),
    OpSpec("bmm", lambda lib, a, b: lib.bmm(a, b), [((2, 3, 4), (2, 4, 5)), ((1, 1, 2), (1, 2, 1))]),
    OpSpec("dot", lambda lib, a, b: lib.dot(a, b), [((5,), (5,)), ((1,), (1,))]),
    OpSpec("dot_method", lambda lib, a, b: a.dot(b) * 2, [((3,), (3,))]),
    OpSpec("outer", lambda lib, a, b: lib.outer(a, b), [((3,), (4,)), ((1,), (2,))]),
    OpSpec("outer_method", lambda lib, a, b: a.outer(b), [((3,), (2,))]),
    OpSpec("mv", lambda lib, a, b: lib.mv(a, b), [((3, 4), (4,))]),
    OpSpec("inner", lambda lib, a, b: lib.inner(a, b), [((3, 4), (2, 4)), ((4,), (4,))]),
    # einsum
    OpSpec("einsum_matmul", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), [((3, 4), (4, 5))]),
    OpSpec("einsum_batched", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), [((2, 3, 4), (2, 4, 5))],
           big=[((2, 30, 40), (2, 40, 20))]),  # operands over 1024 elements: the contraction order is optimized
    OpSpec("einsum_implicit", lambda lib, a, b: lib.einsum("ij,jk", a, b), [((3, 4), (4, 5))]),
    OpSpec("einsum_transpose", lambda lib, a: lib.einsum("ij->ji", a), [((3, 4),)]),
    OpSpec("einsum_sum", lambda lib, a: lib.einsum("ijk->j", a), [((2, 3, 4),)]),
    OpSpec("einsum_full_sum", lambda lib, a: lib.einsum("ij->", a), [((3, 4),)]),
    OpSpec("einsum_outer", lambda lib, a, b: lib.einsum("i,j->ij", a, b), [((3,), (4,))]),
    OpSpec("einsum_three", lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", a, b, c), [((2, 3), (3, 4), (4, 5))],
           big=[((40, 30), (30, 40), (40, 5))]),
    OpSpec("einsum_bilinear", lambda lib, x, w, y: lib.einsum("bi,oij,bj->bo", x, w, y),
           [((2, 3), (4, 3, 5), (2, 5))]),
    OpSpec("einsum_ellipsis", lambda lib, a, b: lib.einsum("...ij,...jk->...ik", a, b),
           [((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (3, 4, 2))]),
    OpSpec("einsum_ellipsis_sum", lambda lib, a: lib.einsum("i...->...", a), [((3, 2, 4),)]),
    OpSpec("einsum_trace", lambda lib, a: lib.einsum("ii->", a), [((4, 4),)]),
    OpSpec("einsum_diag", lambda lib, a: lib.einsum("ii->i", a), [((4, 4),)]),
    OpSpec("einsum_diag_batched", lambda lib, a, b: lib.einsum("bii,bi->b", a, b), [((2, 3, 3), (2, 3))]),
    OpSpec("einsum_hadamard", lambda lib, a, b: lib.einsum("ij,ij->ij", a, b), [((3, 4), (3, 4))]),
    OpSpec("einsum_broadcast_size1", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), [((1, 3, 4), (2, 4, 5))]),
    OpSpec("einsum_attention", lambda lib, q, k: lib.einsum("bhqd,bhkd->bhqk", q, k).softmax(-1),
           [((2, 2, 3, 4), (2, 2, 5, 4))]),
    OpSpec("einsum_list", lambda lib, a, b: lib.einsum("ij,j->i", [a, b]), [((3, 4), (4,))]),
]
