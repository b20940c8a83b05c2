"""Rows for the shape ops (views, joins, splits, repetition, reordering, triangles, padding)."""

from . import OpSpec


def _pad(lib, x, pad, mode="constant", value=0.0):
    if lib.__name__ == "torch":
        return lib.nn.functional.pad(x, pad, mode=mode, value=value if mode == "constant" else None)
    return lib.pad(x, pad, mode=mode, value=value if mode == "constant" else None)


def _first(out):
    """Multi-output ops: weight each piece differently so a mixed-up gradient is caught."""
    return tuple(o * (i + 1) for i, o in enumerate(out))


SPECS = [
    OpSpec("reshape", lambda lib, a: a.reshape(-1, 2), [((3, 4),), ((2, 3, 4),), ((0, 4),)]),
    OpSpec("reshape_fn", lambda lib, a: lib.reshape(a, (4, 3)), [((3, 4),), ((12,),), ((2, 6),)]),
    OpSpec("reshape_0d", lambda lib, a: a.reshape(1, 1), [((),)]),
    OpSpec("reshape_to_0d", lambda lib, a: a.reshape(()), [((1,),), ((1, 1),)]),
    OpSpec("reshape_noncontig", lambda lib, a: a.t().reshape(12), [((3, 4),)]),
    OpSpec("view", lambda lib, a: a.view(2, -1, 3), [((4, 3),), ((2, 6),)]),
    OpSpec("view_as", lambda lib, a, b: a.view_as(b) * b, [((3, 4), (4, 3)), ((6,), (2, 3))]),
    OpSpec("flatten", lambda lib, a: a.flatten(), [((),), ((3, 4),), ((2, 3, 4),), ((2, 0, 3),)]),
    OpSpec("flatten_range", lambda lib, a: lib.flatten(a, 1, 2), [((2, 3, 4),), ((2, 3, 4, 5),)]),
    OpSpec("unflatten", lambda lib, a: a.unflatten(1, (2, -1)), [((3, 4),), ((2, 6, 2),)]),
    OpSpec("squeeze_all", lambda lib, a: a.squeeze(), [((),), ((1, 3, 1),), ((3, 4),), ((1,),)]),
    OpSpec("squeeze_dim", lambda lib, a: lib.squeeze(a, 1), [((2, 1, 3),), ((2, 3),)]),
    OpSpec("squeeze_dims", lambda lib, a: a.squeeze((0, 2)), [((1, 3, 1),), ((2, 3, 1),)]),
    OpSpec("unsqueeze", lambda lib, a: a.unsqueeze(-1), [((),), ((3,),), ((2, 3),)]),
    OpSpec("unsqueeze_front", lambda lib, a: lib.unsqueeze(a, 0), [((),), ((3, 4),), ((0,),)]),
    OpSpec("transpose", lambda lib, a: a.transpose(0, -1), [((3, 4),), ((2, 3, 4),), ((5,),)]),
    OpSpec("transpose_fn", lambda lib, a: lib.transpose(a, 1, 2), [((2, 3, 4),)]),
    OpSpec("t", lambda lib, a: a.t(), [((),), ((5,),), ((3, 4),)]),
    OpSpec("T", lambda lib, a: a.T * 1, [((3, 4),)]),
    OpSpec("mT", lambda lib, a: a.mT, [((2, 3, 4),)]),
    OpSpec("permute", lambda lib, a: a.permute(2, 0, 1), [((2, 3, 4),), ((2, 0, 3),)]),
    OpSpec("permute_fn", lambda lib, a: lib.permute(a, (1, 0)), [((3, 4),)]),
    OpSpec("movedim", lambda lib, a: lib.movedim(a, (0, 1), (2, 0)), [((2, 3, 4),)]),
    OpSpec("expand", lambda lib, a: a.expand(2, 3, 4), [((3, 1),), ((1, 4),), ((),), ((3, 4),)]),
    OpSpec("expand_keep", lambda lib, a: a.expand(5, -1, 4), [((3, 1),)]),
    OpSpec("expand_as", lambda lib, a, b: a.expand_as(b) * b, [((4,), (3, 4))]),
    OpSpec("broadcast_to", lambda lib, a: lib.broadcast_to(a, (2, 3)), [((3,),), ((2, 1),)]),
    OpSpec("cat", lambda lib, a, b: lib.cat([a, b], 0), [((2, 3), (4, 3)), ((0, 3), (2, 3)), ((3,), (5,))]),
    OpSpec("cat_dim", lambda lib, a, b, c: lib.cat((a, b, c), dim=-1), [((2, 3), (2, 1), (2, 4)),
                                                                         ((2, 1, 2), (2, 1, 3), (2, 1, 0))]),
    OpSpec("concat", lambda lib, a, b: lib.concat([a, b], 1), [((2, 3), (2, 2))]),
    OpSpec("cat_single", lambda lib, a: lib.cat([a], 0), [((3, 4),)]),
    OpSpec("stack", lambda lib, a, b: lib.stack([a, b]), [((), ()), ((3,), (3,)), ((2, 3), (2, 3))]),
    OpSpec("stack_dim", lambda lib, a, b, c: lib.stack([a, b, c], dim=-1), [((2, 3), (2, 3), (2, 3))]),
    OpSpec("hstack", lambda lib, a, b: lib.hstack([a, b]), [((3,), (2,)), ((2, 3), (2, 1))]),
    OpSpec("vstack", lambda lib, a, b: lib.vstack([a, b]), [((3,), (3,)), ((2, 3), (1, 3))]),
    OpSpec("meshgrid", lambda lib, a, b: _first(lib.meshgrid(a, b, indexing="ij")), [((3,), (4,))]),
    OpSpec("meshgrid_xy", lambda lib, a, b, c: _first(lib.meshgrid(a, b, c, indexing="xy")), [((3,), (4,), (2,))]),
    OpSpec("split", lambda lib, a: _first(a.split(2)), [((5, 3),), ((4,),), ((1, 2),)]),
    OpSpec("split_sizes", lambda lib, a: _first(lib.split(a, [1, 0, 3], dim=1)), [((2, 4),)]),
    OpSpec("chunk", lambda lib, a: _first(a.chunk(3, -1)), [((2, 7),), ((2, 6),), ((2, 2),)]),
    OpSpec("unbind", lambda lib, a: _first(a.unbind(1)), [((2, 3),), ((3, 2, 2),)]),
    OpSpec("unbind_fn", lambda lib, a: _first(lib.unbind(a)), [((3,),)]),
    OpSpec("narrow", lambda lib, a: a.narrow(1, 1, 2), [((3, 4),), ((2, 3, 4),)]),
    OpSpec("narrow_neg", lambda lib, a: lib.narrow(a, -1, -3, 3), [((3, 4),)]),
    OpSpec("repeat", lambda lib, a: a.repeat(2, 3), [((),), ((4,),), ((2, 3),)]),
    OpSpec("repeat_more", lambda lib, a: a.repeat(2, 1, 3), [((2, 3),), ((3,),)]),
    OpSpec("tile", lambda lib, a: a.tile((2,)), [((3,),), ((2, 3),)]),
    OpSpec("tile_fn", lambda lib, a: lib.tile(a, (2, 1, 2)), [((2, 3),)]),
    OpSpec("flip", lambda lib, a: a.flip(0), [((),), ((4,),), ((3, 4),)]),
    OpSpec("flip_dims", lambda lib, a: lib.flip(a, (0, 2)), [((2, 3, 4),)]),
    OpSpec("roll", lambda lib, a: a.roll(2, 1), [((3, 4),), ((2, 3, 4),)]),
    OpSpec("roll_flat", lambda lib, a: lib.roll(a, -3), [((3, 4),), ((5,),)]),
    OpSpec("roll_dims", lambda lib, a: a.roll((1, -2), (0, 2)), [((2, 3, 4),)]),
    OpSpec("tril", lambda lib, a: a.tril(), [((3, 4),), ((4, 3),), ((2, 3, 3),)]),
    OpSpec("tril_k", lambda lib, a: lib.tril(a, -1), [((3, 4),)]),
    OpSpec("triu", lambda lib, a: a.triu(1), [((3, 4),), ((2, 3, 3),)]),
    OpSpec("triu_fn", lambda lib, a: lib.triu(a), [((4, 3),)]),
    OpSpec("diagonal", lambda lib, a: a.diagonal(), [((3, 4),), ((4, 3),), ((3, 3),)]),
    OpSpec("diagonal_offset", lambda lib, a: lib.diagonal(a, 1, 1, 2), [((2, 3, 4),), ((2, 4, 3),)]),
    OpSpec("diagonal_neg", lambda lib, a: a.diagonal(-1, 2, 0), [((3, 2, 4),), ((2, 2, 2),)]),
    OpSpec("diagonal_empty", lambda lib, a: a.diagonal(5), [((3, 4),)]),
    OpSpec("pad_constant", lambda lib, a: _pad(lib, a, (1, 2)), [((3,),), ((2, 3),), ((2, 3, 4),)]),
    OpSpec("pad_constant_2d", lambda lib, a: _pad(lib, a, (1, 0, 2, 1), value=0.5), [((2, 3),), ((2, 2, 3),)]),
    OpSpec("pad_crop", lambda lib, a: _pad(lib, a, (-1, 2, 1, -1)), [((3, 4),)]),
    OpSpec("pad_reflect", lambda lib, a: _pad(lib, a, (2, 1), "reflect"), [((2, 4),), ((2, 3, 4),)]),
    OpSpec("pad_reflect_2d", lambda lib, a: _pad(lib, a, (1, 2, 2, 1), "reflect"), [((1, 3, 4),), ((2, 1, 3, 4),)]),
    OpSpec("pad_replicate", lambda lib, a: _pad(lib, a, (3, 1), "replicate"), [((2, 4),), ((2, 3, 4),)]),
    OpSpec("pad_replicate_2d", lambda lib, a: _pad(lib, a, (1, 2, 2, 3), "replicate"), [((2, 3, 4),),
                                                                                         ((1, 2, 3, 4),)]),
    OpSpec("pad_circular", lambda lib, a: _pad(lib, a, (2, 1), "circular"), [((2, 3, 4),)]),
    OpSpec("pad_circular_2d", lambda lib, a: _pad(lib, a, (1, 2, 2, 1), "circular"), [((1, 2, 3, 4),)]),
    OpSpec("split_empty", lambda lib, a: _first(a.split(2, 1)), [((0, 4),)]),
    OpSpec("cat_empty", lambda lib, a, b: lib.cat([a, b], 1), [((0, 2), (0, 3))]),
    OpSpec("shape_chain", lambda lib, a: lib.cat([a.t().reshape(2, 6), a.flatten()[None].expand(2, 12)], 1)
           .unsqueeze(0).permute(2, 0, 1).flip(0).squeeze(1), [((3, 4),)]),
]
