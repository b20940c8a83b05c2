"""ONNX translations of the shape and indexing ops: reshape (and the flatten / squeeze / unsqueeze / view built on
it), permute, expand, cat / stack, split / chunk / unbind, repeat, flip, slicing and gather."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .graph import translates

S = "autograd.ops.shape."
I = "autograd.ops.indexing."  # noqa: E741
_BIG = np.iinfo(np.int64).max


@translates(S + "Reshape", S + "View")
def _reshape(g, rec):
    x, shape = rec.args
    x_alt, shape_alt = rec.alt.args
    if len(shape) == 0:
        return [g.op("Reshape", g.value(x), g.ints([]))]
    return [g.op("Reshape", g.value(x), g.shape_of(shape, shape_alt, x, x_alt))]


@translates(S + "Permute")
def _permute(g, rec):
    x, dims = rec.args
    return [g.op("Transpose", g.value(x), perm=[int(d) for d in dims])]


@translates(S + "Expand", "autograd.ops.broadcast.BroadcastTo")
def _expand(g, rec):
    x, shape = rec.args
    x_alt, shape_alt = rec.alt.args
    return [g.op("Expand", g.value(x), g.shape_of(shape, shape_alt, x, x_alt, broadcast=True))]


@translates(S + "Cat")
def _cat(g, rec):
    dt = rec.outs[0].dtype
    return [g.op("Concat", *[g.value(x, dt) for x in rec.args], axis=int(rec.kwargs["dim"]))]


@translates(S + "Split")
def _split(g, rec):
    x, sizes, dim = rec.args
    x_alt, sizes_alt, _ = rec.alt.args
    if list(sizes) != list(sizes_alt):
        raise g.unsupported(f"it splits dim {dim} into pieces {list(sizes)} whose sizes change with the dynamic axes")
    return g.node("Split", [g.value(x), g.ints(sizes)], len(sizes), axis=int(dim))


@translates(S + "Unbind")
def _unbind(g, rec):
    x, dim = rec.args
    n = x.shape[dim]
    if rec.alt.args[0].shape[dim] != n:
        raise g.unsupported(f"it unbinds dim {dim}, whose size changes with the dynamic axes")
    parts = g.node("Split", [g.value(x), g.ints([1] * n)], n, axis=int(dim)) if n > 1 else [g.value(x)]
    return [g.squeeze(p, [dim]) for p in parts]


@translates(S + "Repeat")
def _repeat(g, rec):
    x, reps = rec.args
    v = g.value(x)
    lead = len(reps) - x.ndim
    if lead:
        v = g.unsqueeze(v, list(range(lead)))
    return [g.op("Tile", v, g.ints(reps))]


@translates(S + "Flip")
def _flip(g, rec):
    x, dims = rec.args
    dims = [int(d) for d in dims]
    if not dims:
        return [g.op("Identity", g.value(x))]
    n = len(dims)
    return [g.op("Slice", g.value(x), g.ints([-1] * n), g.ints([-_BIG] * n), g.ints(dims), g.ints([-1] * n))]


def _basic(g, v: str, basic: tuple, ndim: int) -> str:
    """x[basic] for ints, slices (step > 0), None and Ellipsis."""
    used = sum(1 for i in basic if i is not None and i is not Ellipsis)
    items = []
    for i in basic:
        items.extend([slice(None)] * (ndim - used) if i is Ellipsis else [i])
    starts, ends, axes, steps, picks, news = [], [], [], [], [], []
    axis = out_axis = 0
    for i in items:
        if i is None:
            news.append(out_axis)
            out_axis += 1
        elif isinstance(i, slice):
            if i != slice(None) and i != slice(None, None, 1):
                step = 1 if i.step is None else int(i.step)
                starts.append(0 if i.start is None else int(i.start))
                ends.append(_BIG if i.stop is None else int(i.stop))
                axes.append(axis)
                steps.append(step)
            axis += 1
            out_axis += 1
        else:
            picks.append((axis, int(i)))
            axis += 1
    if axes:
        v = g.op("Slice", v, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps))
    for ax, idx in sorted(picks, reverse=True):  # from the last axis, so the earlier ones keep their positions
        v = g.op("Gather", v, g.const(np.asarray(idx, np.int64)), axis=ax)
    if news:
        v = g.unsqueeze(v, news)
    return v


@translates(I + "GetItem")
def _getitem(g, rec):
    x, basic, adv = rec.args
    v = _basic(g, g.value(x), basic, x.ndim)
    if adv is None:
        return [v]
    arrays = [(k, a) for k, a in enumerate(adv) if not isinstance(a, slice)]
    if len(arrays) != 1 or arrays[0][1].dtype == np.bool_:
        raise g.unsupported("only one integer index tensor per indexing expression is translated (no boolean masks, "
                            "no several index tensors)")
    k, a = arrays[0]
    return [g.op("Gather", v, g.value(a, np.int64), axis=k)]


@translates(I + "Gather")
def _gather(g, rec):
    x, _, adv = rec.args
    dim = next((k for k, a in enumerate(adv) if g.known(a) is not None), None)
    if dim is None:  # a constant index: the one that is not a broadcast arange
        shape = np.broadcast_shapes(*[a.shape for a in adv])
        dim = next((k for k, a in enumerate(adv)
                    if not np.array_equal(np.broadcast_to(a, shape),
                                          np.broadcast_to(np.arange(shape[k]).reshape(
                                              [-1 if j == k else 1 for j in range(len(shape))]), shape))),
                   len(adv) - 1)
    return [g.op("GatherElements", g.value(x), g.value(adv[dim], np.int64), axis=dim)]


@translates(S + "ConstantPad")
def _pad(g, rec):
    x, pairs, value = rec.args
    dt = rec.outs[0].dtype
    pads = [int(lo) for lo, _ in pairs] + [int(hi) for _, hi in pairs]
    return [g.op("Pad", g.value(x), g.ints(pads), g.const(np.asarray(value, dt)))]


@translates(S + "Roll")
def _roll(g, rec):
    x, shifts, dims = rec.args
    v = g.value(x)
    if dims is None or len(dims) == 0:  # over the flattened tensor
        flat = g.op("Reshape", v, g.ints([-1]))
        s = int(shifts[0]) % max(x.size, 1) if isinstance(shifts, (tuple, list)) else int(shifts) % max(x.size, 1)
        rolled = _roll_axis(g, flat, s, 0)
        return [g.op("Reshape", rolled, g.op("Shape", v))]
    for s, d in zip(shifts, dims):
        v = _roll_axis(g, v, int(s) % max(x.shape[d], 1), int(d))
    return [v]


def _roll_axis(g, v: str, s: int, axis: int) -> str:
    if s == 0:
        return v
    tail = g.op("Slice", v, g.ints([-s]), g.ints([_BIG]), g.ints([axis]))
    head = g.op("Slice", v, g.ints([0]), g.ints([-s]), g.ints([axis]))
    return g.op("Concat", tail, head, axis=axis)


@translates(S + "Tril", S + "Triu")
def _trilu(g, rec):
    x, k = rec.args
    return [g.op("Trilu", g.value(x), g.const(np.asarray(int(k), np.int64)), upper=int(rec.op_name() == "Triu"))]


@translates("nn.module._HookIdentity")
def _hook_identity(g, rec):
    return [g.op("Identity", g.value(t)) for t in rec.args[1:]]


@translates(I + "IndexPut")
def _index_put(g, rec):
    x, v, basic, adv = rec.args
    if adv is not None:
        raise g.unsupported("assignment through index tensors or masks (only ints and slices are translated)")
    return [_put(g, x, rec.alt.args[0], v, rec.alt.args[1], basic, rec.outs[0].dtype)]


@translates("autograd._inplace.CopySlices")
def _copy_slices(g, rec):
    """An in-place change of a view ``base[basic]``: the view's GetItem is found among the earlier ops (the one
    on this base whose elements sit at the positions written), and the change is an assignment to it."""
    from .._inplace import _flat_index

    base, index, src = rec.args
    base_key = rec.keys.get(id(base))
    for r in reversed(g.history):
        if r.op_name() != "GetItem" or r.args[2] is not None or r.keys.get(id(r.args[0])) != base_key:
            continue
        positions = _flat_index(r.outs[0].numpy(), r.args[0].numpy())
        if positions is not None and np.array_equal(positions, index):
            dt = rec.outs[0].dtype
            return [_put(g, base, rec.alt.args[0], src, rec.alt.args[2], r.args[1], dt)]
    raise g.unsupported("an in-place change of a view that is not a slice of ints and slices of its base")


def _put(g, x, x_alt, v, v_alt, basic: tuple, dt) -> str:
    """x with x[basic] = v, for ints and step-1 slices: Where(mask, v placed at the indexed positions, x)."""
    if any(i is None for i in basic):
        raise g.unsupported("assignment through an index with None (only ints and slices are translated)")
    used = sum(1 for i in basic if i is not Ellipsis)
    items = []
    for i in basic:
        items.extend([slice(None)] * (x.ndim - used) if i is Ellipsis else [i])
    items.extend([slice(None)] * (x.ndim - len(items)))
    region = np.broadcast_to(np.zeros((), np.int8), x.shape)[tuple(items)].shape
    region_alt = np.broadcast_to(np.zeros((), np.int8), x_alt.shape)[tuple(items)].shape
    val = g.value(v, dt)
    if tuple(np.shape(v.numpy() if isinstance(v, Tensor) else v)) != tuple(region):
        tensor = isinstance(v, Tensor)
        val = g.op("Expand", val, g.shape_of(region, region_alt, v if tensor else None, v_alt if tensor else None,
                                              broadcast=True))
    mask_shape, picks, pads = [], [], []
    for axis, i in enumerate(items):
        n = x.shape[axis]
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            if (start, stop, step) == (0, n, 1):
                mask_shape.append(1)  # the whole axis: broadcast
                pads.append((0, 0))
                continue
            if step != 1:
                raise g.unsupported("assignment to a slice with a step")
            m = np.zeros(n, bool)
            m[start:stop] = True
            mask_shape.append(m)
            pads.append((start, n - max(stop, start)))
        else:
            m = np.zeros(n, bool)
            m[int(i) % n] = True
            mask_shape.append(m)
            picks.append(axis)
            pads.append((0, 0))
    if picks:
        val = g.unsqueeze(val, picks)  # size 1 there: Where broadcasts it onto the picked position
    if any(lo or hi for lo, hi in pads):
        val = g.op("Pad", val, g.ints([lo for lo, _ in pads] + [hi for _, hi in pads]))
    mask = np.ones([1 if isinstance(m, int) else len(m) for m in mask_shape], bool)
    for axis, m in enumerate(mask_shape):
        if not isinstance(m, int):
            shape = [1] * x.ndim
            shape[axis] = len(m)
            mask = mask & m.reshape(shape)
    return g.op("Where", g.const(mask), val, g.value(x, dt))


@translates(I + "Scatter")
def _scatter(g, rec):
    x, index, src, dim, reduce = rec.args
    if x.ndim == 0:
        raise g.unsupported("scatter into a 0-d tensor")
    dt = rec.outs[0].dtype
    idx = g.value(index, np.int64)
    if isinstance(src, Tensor):
        upd = g.value(src, dt)
        if tuple(src.shape) != tuple(index.shape):  # only the leading part of src that index covers is used
            n = index.ndim
            upd = g.op("Slice", upd, g.ints([0] * n), g.op("Shape", idx), g.ints(range(n)))
    else:
        upd = g.op("Expand", g.const(np.asarray(src, dt)), g.op("Shape", idx))
    reduction = {None: "none", "add": "add", "multiply": "mul"}[reduce]
    return [g.op("ScatterElements", g.value(x, dt), idx, upd, axis=int(dim), reduction=reduction)]
