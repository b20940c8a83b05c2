"""``export``: a model to an ONNX file, following ``torch.onnx.export``.

The model runs twice, recording its ops (``trace``): once on the given inputs, once on inputs with other values
and, along the dynamic axes, other sizes. Both traces are translated (``graph`` and the ``ops_*`` tables) and the
two graphs must come out identical: a constant or a size that differs between them depends on the input in a
way the recorded graph does not show (a value read with ``.numpy()``, a size baked into a constant), and the
export refuses it, naming the op and its module, rather than writing a file that is only right for one input.
"""

from __future__ import annotations

import os

import numpy as np

from ..tensor import Tensor
from . import ops_attention, ops_math, ops_nn, ops_shape  # noqa: F401  (register the translations)
from .graph import TRANSLATIONS, Graph, UnsupportedOperatorError
from .trace import pair, perturbed, run

__all__ = ["export"]

_OPSETS = range(17, 21)


def _dims(dynamic_axes, ndims: dict) -> dict:
    """name -> {axis: dim name} from torch's two forms ({name: {axis: dim}} or {name: [axes]}); ``ndims`` gives
    each input's and output's rank."""
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in ndims:
            raise ValueError(f"onnx.export: dynamic_axes names '{name}', which is neither an input nor an output "
                             f"name (inputs and outputs: {list(ndims)}); pass input_names / output_names")
        if isinstance(axes, dict):
            pairs = [(int(a), str(d)) for a, d in axes.items()]
        elif isinstance(axes, (list, tuple)):
            pairs = [(int(a), f"{name}_dynamic_axes_{i + 1}") for i, a in enumerate(axes)]
        else:
            raise TypeError(f"onnx.export: dynamic_axes['{name}'] must be a dict {{axis: name}} or a list of axes, "
                            f"got {type(axes).__name__}")
        n = ndims[name]
        for a, _ in pairs:
            if not -n <= a < n:
                raise ValueError(f"onnx.export: dynamic axis {a} of '{name}' is out of range for its {n} dims")
        out[name] = {a % n: d for a, d in pairs}
    return out


def _translate(onnx, trace, other, in_names, params, opset, fold):
    g = Graph(onnx, opset, params, [(n, t.shape, a.shape) for n, t, a in zip(in_names, trace.inputs, other.inputs)],
              fold)
    for name, t in zip(in_names, trace.inputs):
        g.bind(t, name)
    for rec in trace.records:
        g.rec = rec
        if not g.live(rec):
            continue
        fn = TRANSLATIONS.get(rec.op_key())
        if fn is None:
            raise UnsupportedOperatorError(
                f"onnx.export: the op '{rec.op_name()}' (in module '{rec.path}') has no ONNX translation; compute "
                "it differently in the model's forward, or leave it out of the exported part"
            )
        outs = fn(g, rec)
        for t, name in zip(rec.outs, outs):
            if name is not None:
                g.bind(t, name)
        g.history.append(rec)
    g.rec = None
    results = []
    for t in trace.outputs:
        results.append(g.value(t))
    return g, results


def _compare(g1: Graph, g2: Graph) -> None:
    """Raise where the graphs of the two traces differ (naming the op that made the difference)."""
    for i, (a, b) in enumerate(zip(g1.nodes, g2.nodes)):
        if a.SerializeToString() != b.SerializeToString():
            raise UnsupportedOperatorError(_differs(g1.origin[i], f"its ONNX node {a.op_type}"))
    if len(g1.nodes) != len(g2.nodes):
        rec = g1.origin[min(len(g1.nodes), len(g2.nodes)) - 1] if g1.nodes else None
        raise UnsupportedOperatorError(_differs(rec, "the number of nodes"))
    for name, arr in g1.inits.items():
        other = g2.inits.get(name)
        if other is None or other.shape != arr.shape or other.dtype != arr.dtype or other.tobytes() != arr.tobytes():
            raise UnsupportedOperatorError(_differs(g1.init_origin.get(name), f"the constant '{name}' it uses"))


def _differs(rec, what: str) -> str:
    where = f"the op '{rec.op_name()}' in module '{rec.path}'" if rec is not None else "the model's output"
    return (f"onnx.export: {where} depends on the input's values or on the dynamic sizes in a way the traced graph "
            f"does not show ({what} differs between two runs with different inputs): a constant made from the "
            "input (via .numpy(), .item(), a Python number), random numbers (a model in training mode: call "
            "model.eval()) or a size fixed at trace time. Compute it with tensor ops, or do not mark that axis "
            "dynamic")


def _value_info(helper, name: str, arr_shape, alt_shape, dtype, dims: dict, sources: list):
    shape = []
    for i, (s, sa) in enumerate(zip(arr_shape, alt_shape)):
        if i in dims:
            shape.append(dims[i])
        elif s != sa:  # dynamic: named after the input dim it follows, when one has these sizes
            label = next((d for n, shp, alt, nd in sources for j, d in nd.items() if shp[j] == s and alt[j] == sa),
                         f"{name}_dim_{i}")
            shape.append(label)
        else:
            shape.append(int(s))
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), shape)


def _run_twice(model, arrays: list, input_names: list, output_names, dynamic_axes) -> tuple:
    """The two traces (the second on other values, and other sizes on the dynamic axes), paired op by op."""
    first = run(model, arrays)
    n_out = len(first.outputs)
    if output_names is None:
        output_names = ["output"] if n_out == 1 else [f"output_{i}" for i in range(n_out)]
    if len(output_names) != n_out:
        raise ValueError(f"onnx.export: {len(output_names)} output_names for the model's {n_out} outputs")
    ndims = {n: a.ndim for n, a in zip(input_names, arrays)}
    ndims.update((n, t.ndim) for n, t in zip(output_names, first.outputs))
    dims = _dims(dynamic_axes, ndims)
    # distinct bumps per dim name, so that two dynamic sizes equal in the first run differ in the second
    bump = {d: k + 1 for k, d in enumerate(sorted({d for m in dims.values() for d in m.values()}))}
    sizes = []
    for name, a in zip(input_names, arrays):
        shape = list(a.shape)
        for ax, d in dims.get(name, {}).items():
            shape[ax] += bump[d]
        sizes.append(tuple(shape))
    second = run(model, perturbed(arrays, sizes))
    pair(first, second)
    return first, second, dims


def export(model, args, f, input_names: list | None = None, output_names: list | None = None,
           dynamic_axes: dict | None = None, opset_version: int = 17, do_constant_folding: bool = True) -> None:
    """Export ``model`` run on ``args`` (a Tensor or a tuple of them) to ONNX, written to ``f`` (a path or a binary
    file object).

    The model runs as it is (call ``model.eval()`` first for inference behaviour); parameters and buffers become
    initializers named as in ``model.named_parameters()`` / ``named_buffers()``; ops on constants alone are folded
    into constants. ``dynamic_axes`` ({name: {axis: dim name}} or {name: [axes]}) marks the sizes that may vary,
    e.g. batch and sequence length. An op without a translation raises ``UnsupportedOperatorError`` naming it and
    its module; so does an op whose result depends on the input in a way the graph cannot express.
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("onnx.export needs the 'onnx' package: pip install 'numbagrad[onnx]' "
                          "(or pip install onnx)") from None
    if opset_version not in _OPSETS:
        raise ValueError(f"onnx.export: opset_version must be in {_OPSETS.start}..{_OPSETS.stop - 1}, got "
                         f"{opset_version}")
    if isinstance(args, Tensor):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    if not isinstance(args, tuple) or not all(isinstance(a, Tensor) for a in args):
        raise TypeError("onnx.export: args must be a Tensor or a tuple of Tensors (the model's positional inputs)")
    arrays = [a.numpy() for a in args]
    if input_names is None:
        input_names = ["input"] if len(arrays) == 1 else [f"input_{i}" for i in range(len(arrays))]
    if len(input_names) != len(arrays):
        raise ValueError(f"onnx.export: {len(input_names)} input_names for {len(arrays)} inputs")

    if not isinstance(f, (str, os.PathLike)) and not hasattr(f, "write"):
        raise TypeError(f"onnx.export: f must be a path or a binary file object, got {type(f).__name__}")
    state = [(n, t, t.numpy().copy()) for n, t in [*model.named_parameters(), *model.named_buffers()]]
    try:
        first, second, dims = _run_twice(model, arrays, input_names, output_names, dynamic_axes)
        changed = [n for n, t, saved in state if not np.array_equal(t.numpy(), saved, equal_nan=True)]
    finally:  # the runs leave the model as it was
        for _, t, saved in state:
            np.copyto(t.numpy(), saved)
    if changed:
        raise UnsupportedOperatorError(
            f"onnx.export: the model changes {changed} when it runs (batch norm in training mode: call model.eval(); "
            "Embedding(max_norm=...) renormalizes its rows): a graph with fixed weights cannot do the same"
        )
    output_names = output_names or (["output"] if len(first.outputs) == 1 else
                                    [f"output_{i}" for i in range(len(first.outputs))])

    params = {}
    for name, p in model.named_parameters():
        params.setdefault(id(p), name)
    for name, b in model.named_buffers():
        params.setdefault(id(b), name)
    g1, outs1 = _translate(onnx, first, second, input_names, params, opset_version, do_constant_folding)
    g2, _ = _translate(onnx, second, first, input_names, params, opset_version, do_constant_folding)
    _compare(g1, g2)

    helper = onnx.helper
    sources = [(n, t.shape, a.shape, dims.get(n, {})) for n, t, a in zip(input_names, first.inputs, second.inputs)]
    inputs = [_value_info(helper, n, t.shape, a.shape, t.dtype, dims.get(n, {}), sources)
              for n, t, a in zip(input_names, first.inputs, second.inputs)]
    outputs = []
    nodes = list(g1.nodes)
    for name, value, t, ta in zip(output_names, outs1, first.outputs, second.outputs):
        nodes.append(helper.make_node("Identity", [value], [name], name=f"/Identity_{name}"))
        outputs.append(_value_info(helper, name, t.shape, ta.shape, t.dtype, dims.get(name, {}), sources))
    used = {i for n in nodes for i in n.input}
    inits = [onnx.numpy_helper.from_array(np.array(arr, order="C"), name) for name, arr in g1.inits.items()
             if name in used]
    graph = helper.make_graph(nodes, "main_graph", inputs, outputs, initializer=inits)
    model_proto = helper.make_model(graph, producer_name="numbagrad",
                                    opset_imports=[helper.make_opsetid("", opset_version)])
    model_proto.ir_version = 8 if opset_version <= 17 else 9  # what runtimes of that opset's era read
    onnx.checker.check_model(model_proto)
    data = model_proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write(data)

