"""Rows for the indexing ops: x[idx] (basic, advanced, mixed, masks), gather/scatter, index_select, masked ops,
sort/topk. Integer index inputs are made by ``make`` and passed as int64 tensors to both libraries."""

import numpy as np

from . import OpSpec, distinct


def _with_index(high_dim: int, index_shape: tuple, repeats: bool = True):
    """make(): a float input of the case's shape, then an int64 index in [0, shape[high_dim])."""

    def make(rng, shapes, dtype):
        x = rng.uniform(-2, 2, size=shapes[0]).astype(dtype)
        n = shapes[0][high_dim] if shapes[0] else 1
        if repeats:
            idx = rng.integers(0, n, size=index_shape)
        else:
            idx = np.stack([rng.permutation(n)[: index_shape[-1]] for _ in range(int(np.prod(index_shape[:-1])))])
            idx = idx.reshape(index_shape)
        return [x, idx.astype(np.int64)] + [rng.uniform(-2, 2, size=s).astype(dtype) for s in shapes[1:]]

    return make


def _repeated_rows(rng, shapes, dtype):
    x = rng.uniform(-2, 2, size=shapes[0]).astype(dtype)
    return [x, np.array([0, 2, 2, 0, 1, 2], dtype=np.int64)]


def _mask(rng, shapes, dtype):
    x = rng.uniform(-2, 2, size=shapes[0]).astype(dtype)
    return [x]


def _sort_input(rng, shapes, dtype):
    return distinct(rng, shapes, dtype)


def _setitem(a, index, v):
    """Slice assignment as a differentiable op: gradients to the old value (zeros at index) and to v."""
    b = a * 1.5
    b[index] = v * 2
    return b * b


SPECS = [
    # basic indexing (views)
    OpSpec("getitem_int", lambda lib, a: a[1], [((3, 4),), ((3,),), ((2, 3, 4),)]),
    OpSpec("getitem_neg_int", lambda lib, a: a[-1, 2], [((3, 4),), ((2, 3, 4),)]),
    OpSpec("getitem_slice", lambda lib, a: a[1:, ::2], [((3, 4),), ((4, 5, 2),), ((1, 4),)]),
    OpSpec("getitem_empty_slice", lambda lib, a: a[2:2], [((3, 4),)]),
    OpSpec("getitem_none_ellipsis", lambda lib, a: a[None, ..., 1:, None], [((3, 4),), ((2, 3, 4),), ((4,),)]),
    OpSpec("getitem_0d", lambda lib, a: a[None][...], [((),)]),
    OpSpec("getitem_all_ints", lambda lib, a: a[1, 2] * a[0, 0], [((3, 4),)]),
    # advanced indexing (copies, scatter-add backward)
    OpSpec("getitem_list", lambda lib, a: a[[0, 2, 2, 1]], [((3, 4),), ((3,),)]),
    OpSpec("getitem_tensor", lambda lib, a, i: a[i], [((4, 3),), ((4,),)], make=_with_index(0, (5,))),
    OpSpec("getitem_tensor_2d", lambda lib, a, i: a[i], [((5, 3),)], make=_with_index(0, (2, 3))),
    OpSpec("getitem_repeated", lambda lib, a, i: a[i] * 2, [((3, 4),)], make=_repeated_rows),
    OpSpec("getitem_tensor_dim1", lambda lib, a, i: a[:, i], [((3, 4),), ((2, 4, 3),)], make=_with_index(1, (6,))),
    OpSpec("getitem_two_arrays", lambda lib, a: a[[0, 1, 1], [2, 0, 2]], [((2, 3),), ((2, 3, 4),)]),
    OpSpec("getitem_int_and_array", lambda lib, a: a[0, :, [1, 2, 1]], [((2, 3, 4),)]),
    OpSpec("getitem_separated_arrays", lambda lib, a: a[[0, 1], :, [1, 3]], [((2, 3, 4),)]),
    OpSpec("getitem_array_slice_none", lambda lib, a: a[[0, 0, 1], 1:, None], [((2, 3, 4),)]),
    OpSpec("getitem_mask", lambda lib, a: a[a > 0.3], [((3, 4),), ((5,),), ((2, 3, 4),)], make=_mask),
    OpSpec("getitem_mask_slice", lambda lib, a: a[a[:, 0] > 0, 1:], [((5, 4),)], make=_mask),
    OpSpec("getitem_mask_2d_of_3d", lambda lib, a: a[a[..., 0] > 0], [((3, 4, 2),)], make=_mask),
    OpSpec("index_select", lambda lib, a, i: lib.index_select(a, 0, i), [((4, 3),), ((5,),)], make=_with_index(0, (6,))),
    OpSpec("index_select_dim", lambda lib, a, i: a.index_select(-1, i), [((2, 3, 5),)], make=_with_index(2, (7,))),
    OpSpec("gather", lambda lib, a, i: lib.gather(a, 1, i), [((3, 4),)], make=_with_index(1, (3, 5))),
    OpSpec("gather_dim0", lambda lib, a, i: a.gather(0, i), [((4, 3),)], make=_with_index(0, (2, 3))),
    OpSpec("gather_smaller", lambda lib, a, i: a.gather(2, i), [((2, 3, 4),)], make=_with_index(2, (1, 2, 6))),
    OpSpec("gather_0d", lambda lib, a, i: a.gather(0, i), [((),)],
           make=lambda rng, s, dt: [rng.uniform(-2, 2, size=()).astype(dt), np.zeros((), np.int64)]),
    OpSpec("scatter", lambda lib, a, i, s: a.scatter(1, i, s), [((3, 5), (3, 2))],
           make=_with_index(1, (3, 2), repeats=False)),
    OpSpec("scatter_dim0", lambda lib, a, i, s: lib.scatter(a, 0, i, s), [((5, 3), (1, 3))],
           make=_with_index(0, (1, 3), repeats=False)),
    OpSpec("scatter_value", lambda lib, a, i: a.scatter(1, i, 1.5), [((3, 5),)], make=_with_index(1, (3, 2), False)),
    OpSpec("scatter_add", lambda lib, a, i, s: a.scatter_add(1, i, s), [((3, 4), (3, 6))], make=_with_index(1, (3, 6))),
    OpSpec("scatter_add_fn", lambda lib, a, i, s: lib.scatter_add(a, 0, i, s), [((3, 4), (5, 4))],
           make=_with_index(0, (5, 4))),
    OpSpec("masked_fill", lambda lib, a: a.masked_fill(a > 0.5, -1.0), [((),), ((3, 4),), ((2, 3, 4),)], make=_mask),
    OpSpec("masked_fill_bcast", lambda lib, a, b: lib.masked_fill(a, b[0] > 0, 2.0), [((3, 4), (1, 4))]),
    OpSpec("masked_fill_tensor_value", lambda lib, a, v: a.masked_fill(a < 0, v * 3), [((3, 4), ())]),
    OpSpec("masked_select", lambda lib, a: lib.masked_select(a, a > 0), [((3, 4),), ((),)], make=_mask),
    OpSpec("masked_select_bcast", lambda lib, a, b: a.masked_select(b > 0), [((4,), (3, 4))]),
    OpSpec("sort", lambda lib, a: lib.sort(a)[0], [((5,),), ((3, 4),), ((),)], make=_sort_input),
    OpSpec("sort_desc", lambda lib, a: a.sort(dim=0, descending=True).values, [((4, 3),)], make=_sort_input),
    OpSpec("sort_stable", lambda lib, a: a.sort(dim=-1, stable=True)[0], [((2, 6),)], make=_sort_input),
    OpSpec("topk", lambda lib, a: a.topk(2).values, [((5,),), ((3, 4),)], make=_sort_input),
    OpSpec("topk_smallest", lambda lib, a: lib.topk(a, 3, dim=0, largest=False)[0], [((4, 3),)], make=_sort_input),
    OpSpec("getitem_empty", lambda lib, a: a[1:1, [0, 1]], [((3, 4),)]),
    OpSpec("getitem_of_empty", lambda lib, a: a[:, 1:], [((0, 3),)]),
    OpSpec("select", lambda lib, a: lib.select(a, 1, -1), [((3, 4),), ((2, 3, 4),)]),
    OpSpec("take_along_dim", lambda lib, a, i: lib.take_along_dim(a, i, 1), [((3, 4),)],
           make=_with_index(1, (1, 6))),
    OpSpec("setitem_slice", lambda lib, a, v: _setitem(a, (slice(1, None), 0), v), [((3, 4), (2,)), ((3, 4), ())]),
    OpSpec("setitem_advanced", lambda lib, a, v: _setitem(a, ([2, 0],), v), [((3, 4), (4,)), ((3, 4), (2, 4))]),
    OpSpec("setitem_mask", lambda lib, a, v: _setitem(a, (a.detach() > 0,), v), [((3, 4), ())]),
    OpSpec("setitem_int", lambda lib, a, v: _setitem(a, (1, 2), v), [((3, 4), ()), ((2, 3, 4), (4,))]),
    OpSpec("index_chain", lambda lib, a: a[1:, [0, 2]][..., None].expand(2, 2, 3)[[1, 0, 1]],
           [((3, 4),)]),
    OpSpec("repeat_interleave", lambda lib, a: a.repeat_interleave(2, dim=1), [((3, 4),), ((2, 3, 4),)]),
    OpSpec("repeat_interleave_flat", lambda lib, a: lib.repeat_interleave(a, 3), [((3, 4),), ((),)]),
    OpSpec("index_add", lambda lib, a, i, s: a.index_add(0, i.reshape(-1), s, alpha=0.5), [((3, 4), (5, 4))],
           make=_with_index(0, (5, 1))),
]
