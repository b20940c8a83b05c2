"""``draw_graph``: the computation graph of a ``Tensor`` or a ``Value`` as a ``graphviz.Digraph``.

Drawing is written once, over a tiny view of each engine's nodes: for a data vertex (a tensor / a Value), the view
gives its label facts (name, shape, dtype, data, grad, kind) and its producer: ``(op key, op name, inputs)``, where
each input is another data vertex or a constant. The walk is iterative (an explicit stack) and the DOT text is built
in one pass as a list of lines, in time linear in the graph's size; ``dot`` itself is only needed to render
(``.pipe``, ``.render``, ``.svg()``, ``.png()``, Jupyter). Above 2,000 nodes the node positions are computed here (a
linear-time layered layout) and Graphviz only draws them (``neato -n2``): Graphviz's own layout (network simplex) is
superlinear and impractical at that size.

Tensor graphs keep no intermediate tensors alive (only their shapes and dtypes, ``out_meta``): intermediate
vertices show shape and dtype; data appears where it exists (the root, leaves, ``params``): the values of
tensors of at most ``max_data`` elements, the range of larger ones. Leaves that require grad (parameters) are
blue, inputs and targets (tensors that do not require grad) grey and labelled so, the output green, ops yellow
ellipses; a legend says so. With ``cluster_modules=True`` the parameters named ``"<module path>.<name>"`` in
``params``, and the ops that consume them, are grouped into one box per module, titled ``0: Linear(2, 16)``
when ``params`` is the model itself.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["draw_graph", "GraphvizNotInstalledError"]

_STYLE = {
    "param": 'shape=box, style="filled,rounded", fillcolor="#a8d1ff"',
    "leaf": 'shape=box, style="filled,rounded", fillcolor="#a8d1ff"',
    "const": 'shape=box, style="filled,dashed", fillcolor="#e8e8e8"',
    "tensor": 'shape=box, style="rounded"',
    "output": 'shape=box, style="filled,rounded", fillcolor="#b5e8a0"',
    "op": 'shape=ellipse, style=filled, fillcolor="#ffe9a8"',
    "note": "shape=plaintext",
}

_INSTALL_HINT = (
    "rendering a graph needs Graphviz's 'dot' program, which was not found on PATH. Install your OS's graphviz "
    "package (Debian/Ubuntu: `sudo apt-get install graphviz`; Fedora: `sudo dnf install graphviz`; macOS: "
    "`brew install graphviz`; conda: `conda install graphviz`). The DOT text is still available as `.source`."
)


class GraphvizNotInstalledError(RuntimeError):
    """Raised when a graph is rendered but Graphviz's ``dot`` executable is missing."""


# ---- label formatting ----
def _q(s: str) -> str:
    """A DOT double-quoted string (newlines become centered line breaks)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _fmt_num(x) -> str:
    return format(float(x), ".4g")


def _fmt_elem(x, kind: str) -> str:
    """One element: 4 significant digits, a float keeping its point as PyTorch prints it (``1.``), no padding."""
    if kind != "f":
        return str(x.item() if hasattr(x, "item") else x)
    s = _fmt_num(x)
    return s + "." if s.lstrip("-").isdigit() else s


def _fmt_nested(a: np.ndarray, indent: int) -> str:
    if a.ndim == 1:
        return "[" + ", ".join(_fmt_elem(x, a.dtype.kind) for x in a) + "]"
    sep = ",\n" + " " * (indent + 1)
    return "[" + sep.join(_fmt_nested(row, indent + 1) for row in a) + "]"


def _fmt_array(a: np.ndarray, max_data: int) -> str | None:
    """The values of a small array, the range of a large one (None when empty and large is impossible)."""
    if a.ndim == 0:
        return _fmt_elem(a, a.dtype.kind)
    if a.size <= max_data:
        return _fmt_nested(a, 0)
    if a.dtype.kind not in "fiub":
        return None
    lo, hi = (a.min(), a.max()) if a.dtype.kind != "f" else (np.nanmin(a), np.nanmax(a)) if not np.isnan(a).all() \
        else (np.nan, np.nan)
    return f"range [{_fmt_elem(lo, a.dtype.kind)}, {_fmt_elem(hi, a.dtype.kind)}]"


# ops whose arguments after the first are targets (the rest of a loss's inputs are labelled "input")
_LOSS_OPS = frozenset({"CrossEntropy", "NllLoss", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "CtcLoss"})
# constructor arguments a module's repr names that read better as positions: Linear(2, 16), not in_features=2
_POSITIONAL = re.compile(r"\b(?:in_features|out_features|in1_features|in2_features|num_features|normalized_shape|"
                         r"input_size|hidden_size|num_embeddings|embedding_dim)=")


def _module_title(path: str, module) -> str:
    """``0: Linear(2, 16)``: the module's path and its one-line repr (a container: its class name)."""
    text = repr(module)
    if "\n" in text or len(text) > 60:
        text = type(module).__name__
    return f"{path}: " + _POSITIONAL.sub("", text).replace(", bias=True", "")


def _dtype_name(dt) -> str:
    return np.dtype(dt).name


def _shape_str(shape) -> str:
    return str(tuple(shape))


# ---- the views: one per engine ----
class _Const:
    """An input that is not a graph vertex (a number, or a tensor that does not require grad)."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label


class _TensorView:
    """Vertices: the root tensor ("root"), a leaf's AccumulateGrad node, or ``(function node, output index)``."""

    def __init__(self, root, names: dict, show_grad: bool, show_shapes: bool, max_data: int) -> None:
        from .function import AccumulateGrad

        self.root = root
        self.names = names
        self.show_grad = show_grad
        self.show_shapes = show_shapes
        self.max_data = max_data
        self.accumulate = AccumulateGrad
        self.root_key = (root.grad_fn, root._out_idx) if root.grad_fn is not None else "root"

    def tensor_of(self, key):
        if key == self.root_key:
            return self.root
        if isinstance(key, self.accumulate):
            return key.variable
        return None

    def producer(self, key):
        if key == "root" or isinstance(key, self.accumulate):
            return None
        fn = key[0]
        inputs = []
        metas = getattr(fn, "_in_meta", None) or (None,) * len(fn.next_functions)
        for edge, meta in zip(fn.next_functions, metas):
            if edge is not None:
                child, idx = edge
                inputs.append(child if isinstance(child, self.accumulate) else (child, idx))
            elif meta is not None:  # a tensor that does not require grad: only its shape and dtype are known
                role = "target" if inputs and fn.op_name() in _LOSS_OPS else "input"
                inputs.append(_Const(self._meta_label(role, meta[0], meta[1], None, None)))
        return fn, fn.op_name(), inputs

    def _meta_label(self, name, shape, dtype, data, grad) -> str:
        parts = [name] if name else []
        if self.show_shapes:
            parts.append(f"{_shape_str(shape)} {_dtype_name(dtype)}")
        if data is not None:
            parts.append(data)
        if grad is not None:
            parts.append("grad " + grad)
        return "\n".join(parts) if parts else " "

    def describe(self, key):
        """(label, kind, module-name or None) of a data vertex."""
        t = self.tensor_of(key)
        if t is None:  # an intermediate: only metadata survives
            fn, idx = key
            shape, dtype = fn.out_meta[idx]
            return self._meta_label(None, shape, dtype, None, None), "tensor", None
        name = self.names.get(id(t)) or t._name
        data = _fmt_array(t._data, self.max_data)
        grad = None
        if self.show_grad:
            g = t.grad
            if g is not None:
                grad = _fmt_array(g._data, self.max_data)
                if grad.startswith("range"):  # a large gradient: its L2 norm says more than its range
                    grad = f"L2 norm {_fmt_num(np.linalg.norm(g._data.ravel()))}"
        kind = "output" if key == self.root_key else ("param" if t._requires_grad else "const")
        if name is None and kind == "const":
            name = "input"
        return self._meta_label(name, t._data.shape, t._data.dtype, data, grad), kind, name


class _ValueView:
    """Vertices are the ``Value`` s themselves; a number operand is a constant input."""

    def __init__(self, root, names: dict, show_grad: bool, show_shapes: bool, max_data: int) -> None:
        self.root_key = root
        self.names = names
        self.show_grad = show_grad

    def producer(self, v):
        ins = v.inputs()
        if not ins:
            return None
        inputs = list(ins)
        const = v.constant()
        if const is not None:
            pos, c = const
            inputs.insert(pos, _Const(_fmt_num(c)))
        return v, v.op_name(), inputs

    def describe(self, v):
        name = self.names.get(id(v)) or v.label
        parts = [name] if name else []
        parts.append("data " + _fmt_num(v.data))
        if self.show_grad:
            g = v.grad
            parts.append("grad " + (_fmt_num(g) if not hasattr(g, "data") else _fmt_num(g.data)))
        kind = "output" if v is self.root_key else ("param" if v.is_leaf() else "tensor")
        return "\n".join(parts), kind, name


# ---- the one walk ----
def _walk(view, cluster_modules: bool) -> tuple:
    """(nodes, edges, clusters): one node per data vertex and per op, edges input -> op -> output."""
    nodes: list = []
    edges: list = []
    clusters: dict = {}  # module path -> [node ids]
    module_of: dict = {}  # parameter node id -> module path
    op_inputs: dict = {}  # op node id -> its input node ids
    ids = {view.root_key: "v0"}
    op_ids: dict = {}
    counter = 1
    stack = [view.root_key]
    while stack:
        key = stack.pop()
        vid = ids[key]
        label, kind, name = view.describe(key)
        nodes.append((vid, label, kind))
        if cluster_modules and name and kind == "param" and "." in name:
            module_of[vid] = mod = name.rsplit(".", 1)[0]
            clusters.setdefault(mod, []).append(vid)
        prod = view.producer(key)
        if prod is None:
            continue
        op_key, op_name, inputs = prod
        oid = op_ids.get(op_key)
        if oid is None:
            oid = op_ids[op_key] = f"o{counter}"
            counter += 1
            nodes.append((oid, op_name, "op"))
            owners = []
            for inp in inputs:
                if type(inp) is _Const:
                    cid = f"c{counter}"
                    counter += 1
                    nodes.append((cid, inp.label, "const"))
                    edges.append((cid, oid))
                    continue
                iid = ids.get(inp)
                if iid is None:
                    iid = ids[inp] = f"v{counter}"
                    counter += 1
                    stack.append(inp)
                edges.append((iid, oid))
                owners.append(iid)
            if cluster_modules:
                op_inputs[oid] = owners
        edges.append((oid, vid))
    for oid, owners in op_inputs.items():  # an op consuming the parameters of exactly one module joins its box
        mods = {module_of.get(i) for i in owners} - {None}
        if len(mods) == 1:
            clusters[mods.pop()].append(oid)
    return nodes, edges, clusters


def _emit(nodes: list, edges: list, clusters: dict, positions: dict | None, titles: dict) -> list:
    """The DOT body lines (``positions``: node id -> fixed (x, y) in points, for ``neato -n``)."""
    if positions is None:
        body = [f"\t{nid} [label={_q(label)}, {_STYLE[kind]}]\n" for nid, label, kind in nodes]
    else:
        body = []
        for nid, label, kind in nodes:
            x, y = positions[nid]
            body.append(f'\t{nid} [label={_q(label)}, {_STYLE[kind]}, pos="{x:.0f},{y:.0f}!"]\n')
    body.extend(f"\t{a} -> {b}\n" for a, b in edges)
    for i, (mod, members) in enumerate(sorted(clusters.items())):
        body.append(f"\tsubgraph cluster_{i} {{\n\t\tlabel={_q(titles.get(mod, mod))}\n\t\tstyle=rounded\n"
                    "\t\tcolor=gray50\n")
        body.extend(f"\t\t{m}\n" for m in members)
        body.append("\t}\n")
    return body


def _layered_positions(nodes: list, edges: list, rankdir: str) -> dict:
    """A simple layered layout computed here in linear time: layer = longest path from a source, order within a
    layer by the mean position of the inputs (one sweep). Used for large graphs, where dot's own layout
    (network simplex, superlinear) is impractical."""
    succ: dict = {nid: [] for nid, _, _ in nodes}
    preds: dict = {nid: [] for nid, _, _ in nodes}
    indeg = dict.fromkeys(succ, 0)
    for a, b in edges:
        succ[a].append(b)
        preds[b].append(a)
        indeg[b] += 1
    layer = dict.fromkeys(succ, 0)
    ready = [n for n, d in indeg.items() if d == 0]
    while ready:
        n = ready.pop()
        ln = layer[n] + 1
        for m in succ[n]:
            if layer[m] < ln:
                layer[m] = ln
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
    for n, ps in preds.items():  # a source (leaf, constant) sits just above its first consumer, not at the top
        if not ps and succ[n]:
            layer[n] = min(layer[m] for m in succ[n]) - 1
    size = {}
    for nid, label, _ in nodes:
        lines = label.split("\n")
        size[nid] = (max(len(t) for t in lines) * 7.0 + 24.0, len(lines) * 14.0 + 16.0)
    layers: dict = {}
    for nid, _, _ in nodes:
        layers.setdefault(layer[nid], []).append(nid)
    along: dict = {}  # position within the layer
    pos: dict = {}
    depth = 0.0
    horizontal = rankdir in ("LR", "RL")
    for lv in sorted(layers):
        members = layers[lv]
        members.sort(key=lambda n: sum(along[p] for p in preds[n]) / len(preds[n]) if preds[n] else 0.0)
        extent = [size[n][1] if horizontal else size[n][0] for n in members]
        thick = max(size[n][0] if horizontal else size[n][1] for n in members)
        total = sum(extent) + 20.0 * (len(members) - 1)
        cursor = -total / 2
        for n, e in zip(members, extent):
            along[n] = cursor + e / 2
            cursor += e + 20.0
        depth += thick / 2
        for n in members:
            pos[n] = (depth, -along[n]) if horizontal else (along[n], -depth)
        depth += thick / 2 + 40.0
    if rankdir in ("BT", "RL"):
        pos = {n: (-x, y) if rankdir == "RL" else (x, -y) for n, (x, y) in pos.items()}
    return pos


_LEGEND = (("param", "leaf requiring grad\n(parameter)"), ("const", "input / target / constant\n(no grad)"),
           ("tensor", "intermediate\n(shape dtype)"), ("output", "output"), ("op", "op"))
_GRAD_NOTE = "grad: d(output)/d(tensor);\nits values, or its L2 norm\nabove max_data elements"


def _legend_nodes(show_grad: bool) -> list:
    rows = [(f"legend_{k}", text, k) for k, text in _LEGEND]
    if show_grad:
        rows.append(("legend_grad", _GRAD_NOTE, "note"))
    return rows


def _legend(legend_nodes: list, positions: dict | None) -> list:
    lines = ["\tsubgraph cluster_legend {\n", '\t\tlabel="legend"\n', "\t\tstyle=rounded\n"]
    for nid, text, kind in legend_nodes:
        pin = ""
        if positions is not None:
            x, y = positions[nid]
            pin = f', pos="{x:.0f},{y:.0f}!"'
        lines.append(f"\t{nid} [label={_q(text)}, {_STYLE[kind]}{pin}]\n")
    lines.append("\t}\n")
    return lines


_GRAPH_CLASS = None


def _graph_class():
    """A ``graphviz.Digraph`` whose rendering explains how to install a missing ``dot`` (built lazily)."""
    global _GRAPH_CLASS
    if _GRAPH_CLASS is None:
        import graphviz

        class Graph(graphviz.Digraph):
            """A ``graphviz.Digraph``; rendering without ``dot`` raises ``GraphvizNotInstalledError``."""

            _fixed_layout = False  # positions computed by draw_graph: render with ``neato -n2``

            def pipe(self, *args, **kwargs):
                if self._fixed_layout:
                    kwargs.setdefault("neato_no_op", 2)
                try:
                    return super().pipe(*args, **kwargs)
                except graphviz.ExecutableNotFound as e:
                    raise GraphvizNotInstalledError(_INSTALL_HINT) from e

            def render(self, *args, **kwargs):
                if self._fixed_layout:
                    kwargs.setdefault("neato_no_op", 2)
                try:
                    return super().render(*args, **kwargs)
                except graphviz.ExecutableNotFound as e:
                    raise GraphvizNotInstalledError(_INSTALL_HINT) from e

            def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
                """Jupyter shows the graph inline as SVG; without ``dot``, the install hint instead of a traceback."""
                try:
                    return super()._repr_mimebundle_(include, exclude, **kwargs)
                except GraphvizNotInstalledError as e:
                    return {"text/plain": f"<draw_graph: {len(self.body)} DOT lines; {e}>"}

            def _repr_svg_(self) -> str:
                return self.svg()

            def svg(self) -> str:
                """The graph rendered as SVG text."""
                return self.pipe(format="svg", encoding="utf-8")

            def png(self) -> bytes:
                """The graph rendered as PNG bytes."""
                return self.pipe(format="png")

        _GRAPH_CLASS = Graph
    return _GRAPH_CLASS


def draw_graph(root, show_grad: bool = False, show_shapes: bool = True, params=None, *,
               cluster_modules: bool = False, max_data: int = 8, rankdir: str = "TB", legend: bool = True,
               layout: str = "auto"):
    """The graph that computed ``root`` (a ``Tensor`` or a ``Value``) as a ``graphviz.Digraph``.

    One node per tensor (label: its name from ``params`` if given, else "input"/"target" for tensors that do
    not require grad; shape and dtype when ``show_shapes``; where the data is still held, the values of tensors
    of at most ``max_data`` elements and the range of larger ones; with ``show_grad`` its gradient, or the
    gradient's L2 norm above ``max_data`` elements) and one per op (its name), with edges in data-flow order.
    ``params`` maps names to tensors (``dict(model.named_parameters())``) or Values, or is the model itself
    (a Module: its named parameters, and module boxes titled ``0: Linear(2, 16)``). ``cluster_modules``
    boxes each module's parameters and the ops using them; ``legend`` (on by default) adds a box explaining
    the colours and the grad label; ``rankdir`` is Graphviz's direction ("TB", "LR", "BT", "RL"). The result
    renders with ``.svg()``, ``.png()``, ``.render(...)`` and inline in Jupyter; its DOT text is ``.source``
    (which needs no Graphviz install).

    ``layout``: "dot" (Graphviz lays the graph out: best looking, but superlinear, impractical for tens of
    thousands of nodes), "layered" (node positions computed here in linear time, rendered by ``neato -n2`` with
    straight edges; module clusters are not boxed), or "auto" (layered above 2,000 nodes).
    """
    from .tensor import Tensor
    from .value import Value

    titles: dict = {}
    if hasattr(params, "named_parameters") and hasattr(params, "named_modules"):  # the model itself
        titles = {path: _module_title(path, m) for path, m in params.named_modules() if path}
        params = dict(params.named_parameters())
    names = {id(t): n for n, t in (params or {}).items()}
    if isinstance(root, Tensor):
        view = _TensorView(root, names, show_grad, show_shapes, max_data)
    elif isinstance(root, Value):
        view = _ValueView(root, names, show_grad, show_shapes, max_data)
    else:
        raise TypeError(f"draw_graph expects a Tensor or a Value, got {type(root).__name__}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_graph: rankdir must be one of 'TB', 'LR', 'BT', 'RL', got {rankdir!r}")
    if layout not in ("auto", "dot", "layered"):
        raise ValueError(f"draw_graph: layout must be 'auto', 'dot' or 'layered', got {layout!r}")
    nodes, edges, clusters = _walk(view, cluster_modules)
    extra = _legend_nodes(show_grad) if legend else []
    fixed = layout == "layered" or (layout == "auto" and len(nodes) > 2000)
    positions = _layered_positions(nodes + extra, edges, rankdir) if fixed else None
    body = _emit(nodes, edges, clusters, positions, titles)
    if legend:
        body += _legend(extra, positions)
    graph_attr = {"rankdir": rankdir}
    if fixed:
        graph_attr.update(splines="line", outputorder="edgesfirst")
    g = _graph_class()(
        graph_attr=graph_attr,
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        body=body,
        engine="neato" if fixed else "dot",
    )
    g._fixed_layout = fixed
    return g
