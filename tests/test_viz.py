"""draw_graph: node/edge structure and labels for known Tensor and Value expressions, params naming, show_grad,
module clusters, a real SVG/PNG render through ``dot``, the missing-``dot`` error, and a 10,000-node graph."""

import re
import shutil
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd as A
from autograd import Value, draw_graph
from autograd.viz import GraphvizNotInstalledError

graphviz = pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")

_NODE = re.compile(r'^\t(\w+) \[label="((?:[^"\\]|\\.)*)", ([^\n]*)\]$', re.M)
_EDGE = re.compile(r"^\t(\w+) -> (\w+)$", re.M)


def parse(g, legend: bool = False):
    """(labels: id -> label with real newlines, styles: id -> attribute text, edges: [(src, dst)]); the legend's
    nodes only when ``legend``."""
    src = g.source
    labels, styles = {}, {}
    for nid, label, attrs in _NODE.findall(src):
        if nid.startswith("legend_") and not legend:
            continue
        labels[nid] = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), label)
        styles[nid] = attrs
    return labels, styles, _EDGE.findall(src)


def ops(labels):
    return sorted(v for k, v in labels.items() if k.startswith("o"))


def inputs_of(nid, edges):
    return [s for s, d in edges if d == nid]


def _tensor_expr():
    x = A.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = A.tensor([[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]], requires_grad=True)
    c = A.tensor([1.0, 1.0, 1.0])
    y = (x * w + c).sum() * 2.0
    return x, w, c, y


def test_tensor_graph_structure_and_labels():
    x, w, c, y = _tensor_expr()
    g = draw_graph(y)
    assert isinstance(g, graphviz.Digraph)
    labels, styles, edges = parse(g)
    # data: root, 3 intermediates (Mul, Add, Sum outputs), 2 leaves, 1 constant; ops: Mul, Add, Sum, Mul
    assert len(labels) == 11
    assert ops(labels) == ["Add", "Mul", "Mul", "Sum"]
    assert len(edges) == 10
    root = labels["v0"]
    assert root == "() float32\n33."  # 2 * (sum(x * w) + 6) = 2 * 16.5, a float printed as PyTorch does
    add = next(k for k, v in labels.items() if v == "Add")
    add_in = sorted(labels[i] for i in inputs_of(add, edges))
    assert add_in == ["(2, 3) float32", "input\n(3,) float32"]  # Mul's output and the constant c
    mul = [k for k, v in labels.items() if v == "Mul" and inputs_of(k, edges) and
           len(inputs_of(k, edges)) == 2][0]
    leaf_labels = sorted(labels[i] for i in inputs_of(mul, edges))
    assert leaf_labels[0] == "(2, 3) float32\n[[0.5, -1., 2.],\n [1., 1., 1.]]"  # no numpy padding
    assert leaf_labels[1] == "(3,) float32\n[1., 2., 3.]"
    # data-flow order: every op has edges in (inputs) and exactly one edge out to its output tensor
    for o in (k for k in labels if k.startswith("o")):
        assert sum(1 for s, _ in edges if s == o) == 1
    # styles: leaves requiring grad differ from constants, and from the output
    const = next(k for k in labels if k.startswith("c"))
    leaf = inputs_of(mul, edges)[0]
    assert "dashed" in styles[const] and "#a8d1ff" in styles[leaf] and "#b5e8a0" in styles["v0"]
    assert len({styles[const], styles[leaf], styles["v0"]}) == 3


def test_tensor_show_shapes_off_and_small_data_limit():
    x, w, c, y = _tensor_expr()
    labels, _, _ = parse(draw_graph(y, show_shapes=False, max_data=3))
    assert not any("float32" in v for v in labels.values())
    assert "[1., 2., 3.]" in labels.values()  # x: 3 elements are shown
    assert not any("0.5" in v for v in labels.values())  # w: 6 elements are not, only their range
    assert "range [-1., 2.]" in labels.values()


def test_tensor_params_naming_and_show_grad():
    x, w, c, y = _tensor_expr()
    g = draw_graph(y, params={"input": x, "weight": w}, show_grad=True)
    labels, _, _ = parse(g)
    named = {v.split("\n")[0] for v in labels.values()}
    assert {"input", "weight"} <= named
    assert not any("grad" in v for v in labels.values())  # no gradients yet
    y.backward()
    labels, _, _ = parse(draw_graph(y, params={"input": x, "weight": w}, show_grad=True))
    xl = next(v for v in labels.values() if v.startswith("input\n(3,) float32\n[1., 2., 3.]"))
    assert xl.endswith("grad [3., 0., 6.]")  # d/dx 2 * sum(x * w) = 2 * w.sum(0)
    labels_off, _, _ = parse(draw_graph(y, params={"input": x}))
    assert not any("grad" in v for v in labels_off.values())
    big = A.randn(4, 5, requires_grad=True)
    (big * big).sum().backward()
    labels, _, _ = parse(draw_graph((big * 2).sum(), show_grad=True))
    norm = float(np.linalg.norm(2 * big.numpy()))
    assert any(v.endswith(f"grad L2 norm {norm:.4g}") for v in labels.values())


def test_tensor_multi_output_op_and_shared_inputs():
    x = A.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = A.split(x, 2)
    y = (a * b + a).sum()
    labels, _, edges = parse(draw_graph(y))
    assert ops(labels).count("Split") == 1  # one node per op, however many outputs it has
    split = next(k for k, v in labels.items() if v == "Split")
    outs = [d for s, d in edges if s == split]
    assert len(outs) == 2 and all(labels[o] == "(2,) float32" for o in outs)
    leaves = [k for k, v in labels.items() if v.endswith("[1., 2., 3., 4.]")]
    assert len(leaves) == 1  # x drawn once
    # a feeds both Mul and Add
    fan = {o: sum(1 for s, _ in edges if s == o) for o in outs}
    assert sorted(fan.values()) == [1, 2]


def test_leaf_root_and_constant_root_and_bad_input():
    t = A.tensor([1.0, 2.0], requires_grad=True)
    labels, styles, edges = parse(draw_graph(t, params={"t": t}))
    assert labels == {"v0": "t\n(2,) float32\n[1., 2.]"} and edges == []
    labels, _, _ = parse(draw_graph(A.ones(2, 2)))
    assert labels == {"v0": "(2, 2) float32\n[[1., 1.],\n [1., 1.]]"}
    with pytest.raises(TypeError, match="Tensor or a Value, got list"):
        draw_graph([1.0])
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(t, rankdir="UP")


def test_value_graph_structure_and_labels():
    a = Value(2.0, label="a")
    b = Value(-3.0)
    c = a * b + 2
    d = c.tanh()
    labels, styles, edges = parse(draw_graph(d, params={"b": b}))
    # data: a, b, a*b, c, d; ops: Mul, Add, Tanh; one constant (2)
    assert len([k for k in labels if k.startswith("v")]) == 5
    assert ops(labels) == ["Add", "Mul", "Tanh"]
    assert len(edges) == 8
    assert labels["v0"] == f"data {np.tanh(-4.0):.4g}"
    assert "a\ndata 2" in labels.values() and "b\ndata -3" in labels.values()
    const = next(k for k in labels if k.startswith("c"))
    assert labels[const] == "2" and "dashed" in styles[const]
    add = next(k for k, v in labels.items() if v == "Add")
    assert sorted(labels[i] for i in inputs_of(add, edges)) == ["2", "data -6"]
    rsub = parse(draw_graph(3.0 - a))
    assert sorted(rsub[0].values()) == ["3", "Sub", "a\ndata 2", "data 1"]


def test_value_show_grad_and_shared_node():
    a = Value(2.0)
    y = a * a + a
    y.backward()
    labels, _, edges = parse(draw_graph(y, show_grad=True, params={"a": a}))
    assert "a\ndata 2\ngrad 5" in labels.values()  # drawn once though used three times
    assert "data 6\ngrad 1" == labels["v0"]
    leaf = next(k for k, v in labels.items() if v.startswith("a\n"))
    assert sum(1 for s, _ in edges if s == leaf) == 3
    assert not any("grad" in v for v in parse(draw_graph(y))[0].values())
    y.backward(create_graph=True)  # Value gradients are drawn by their data
    assert any(v.startswith("a\ndata 2\ngrad 10") for v in parse(draw_graph(y, True, params={"a": a}))[0].values())


def test_value_nary_nodes():
    from autograd.value import dot

    ws = [Value(1.0), Value(2.0)]
    s = Value.sum([dot(ws, [3.0, 4.0]), ws[0]])
    labels, _, edges = parse(draw_graph(s))
    assert ops(labels) == ["Dot", "Sum"] and len(edges) == 2 + 2 + 2


def test_module_clusters():
    nn = pytest.importorskip("nn")
    A.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    out = m(A.randn(4, 3)).sum()
    params = dict(m.named_parameters())
    g = draw_graph(out, params=params, cluster_modules=True)
    src = g.source
    assert src.count("subgraph cluster_") == 3  # two modules and the legend
    labels, _, _ = parse(g)
    for name in params:
        assert any(v.startswith(name + "\n") for v in labels.values())
    blocks = re.findall(r"subgraph cluster_\d+ \{\n\t\tlabel=\"([^\"]+)\"\n(.*?)\t\}", src, re.S)
    assert sorted(b[0] for b in blocks) == ["0", "2"]  # a dict of parameters: the module paths
    for _, members in blocks:
        ids = re.findall(r"\t\t(\w+)\n", members)
        kinds = sorted(labels[i].split("\n")[0] if not i.startswith("o") else "op:" + labels[i] for i in ids)
        assert len(ids) == 3 and kinds[-1].startswith("op:") and kinds[0].endswith("bias")
    assert "subgraph cluster_0" not in draw_graph(out, params=params).source
    # the model itself as params: the same names, and boxes titled with the module
    g = draw_graph(out, params=m, cluster_modules=True)
    assert parse(g)[0] == labels
    titles = re.findall(r"subgraph cluster_\d+ \{\n\t\tlabel=\"([^\"]+)\"", g.source)
    assert titles == ["0: Linear(3, 2)", "2: Linear(2, 1)"]


@needs_dot
def test_real_svg_and_png_render(tmp_path):
    x, w, c, y = _tensor_expr()
    g = draw_graph(y, params={"x": x, "w": w}, legend=False)
    svg = g.svg()
    root = ET.fromstring(svg.encode())
    assert root.tag.endswith("svg")
    ns = {"s": "http://www.w3.org/2000/svg"}
    nodes = root.findall(".//s:g[@class='node']", ns)
    edges = root.findall(".//s:g[@class='edge']", ns)
    assert len(nodes) == 11 and len(edges) == 10
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"x", "w", "Mul", "Add", "Sum", "(3,) float32", "[1., 2., 3.]"} <= texts
    png = g.png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out = g.render(tmp_path / "graph", format="svg")
    assert out.endswith(".svg") and ET.parse(out).getroot().tag.endswith("svg")
    a = Value(1.5, label="a")
    vsvg = draw_graph((a * 2).relu()).svg()
    assert "ReLU" in vsvg and ">a<" in vsvg


def test_missing_dot_gives_install_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    g = draw_graph((Value(1.0) * 2).exp())
    assert "Exp" in g.source  # the DOT text needs no Graphviz install
    with pytest.raises(GraphvizNotInstalledError, match="Install your OS's graphviz package") as err:
        g.svg()
    assert "apt-get install graphviz" in str(err.value) and ".source" in str(err.value)
    with pytest.raises(GraphvizNotInstalledError):
        g.render(tmp_path / "g", format="png")


def test_legend():
    g = draw_graph(Value(1.0) * 2)  # on by default
    labels, styles, edges = parse(g, legend=True)
    assert "subgraph cluster_legend" in g.source and len(edges) == 3
    legend = {k: v for k, v in labels.items() if k.startswith("legend_")}
    assert sorted(legend.values()) == ["input / target / constant\n(no grad)", "intermediate\n(shape dtype)",
                                       "leaf requiring grad\n(parameter)", "op", "output"]
    assert styles["legend_param"] == styles[next(k for k, v in labels.items() if v == "data 1")]
    assert "legend" not in draw_graph(Value(1.0) * 2, legend=False).source
    # with show_grad, the legend says what the grad line is
    labels, styles, _ = parse(draw_graph(Value(1.0) * 2, show_grad=True), legend=True)
    assert labels["legend_grad"].startswith("grad: d(output)/d(tensor);") and "L2 norm" in labels["legend_grad"]


def test_layered_layout_positions_every_node():
    x, w, c, y = _tensor_expr()
    g = draw_graph(y, layout="layered", legend=True)
    assert g.engine == "neato"
    labels, _, edges = parse(g, legend=True)
    pos = dict(re.findall(r'^\t(\w+) \[.*pos="(-?\d+,-?\d+)!"\]$', g.source, re.M))
    assert set(pos) == set(labels) and len(edges) == 10
    y_of = {k: int(v.split(",")[1]) for k, v in pos.items()}
    for a, b in edges:  # data flows downwards
        assert y_of[a] > y_of[b]
    assert draw_graph(y).engine == "dot"  # small graphs: Graphviz's own layout
    with pytest.raises(ValueError, match="layout must be"):
        draw_graph(y, layout="circo")


@needs_dot
def test_large_graph_renders_in_seconds():
    x = Value(0.5)
    y = x
    for i in range(4000):  # 4,001 data nodes, 4,000 ops, 2,000 constants
        y = y * 1.0001 if i % 2 else (y + x)
    g = draw_graph(y, legend=False)
    assert g.engine == "neato"  # "auto" picks the linear-time layout
    t0 = time.perf_counter()
    svg = g.svg()
    assert time.perf_counter() - t0 < 60.0  # dot's own layout takes minutes here
    root = ET.fromstring(svg.encode())
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g[@class='node']")) == 10001


def test_labels_are_escaped():
    a = Value(1.0, label='say "hi"\\n')
    src = draw_graph(a * 2).source
    assert 'label="say \\"hi\\"\\\\n\\ndata 1"' in src
    labels, _, _ = parse(draw_graph(a * 2))
    assert 'say "hi"\\n\ndata 1' in labels.values()


def test_large_graphs_draw_fast():
    x = Value(0.5)
    y = x
    for i in range(5000):  # 10,000 data nodes + 5,000 op nodes + 2,500 constants
        y = y * 1.0001 if i % 2 else (y + x)
    t0 = time.perf_counter()
    src = draw_graph(y, show_grad=True).source
    took = time.perf_counter() - t0
    assert src.count(" -> ") == 2500 * 2 + 2500 * 2 + 5000
    assert took < 5.0
    t = A.tensor([1.0, 2.0], requires_grad=True)
    z = t
    for _ in range(5000):
        z = z * 1.0001 + t
    t0 = time.perf_counter()
    labels, _, edges = parse(draw_graph(z.sum()))
    assert time.perf_counter() - t0 < 5.0
    # Sum and its output, per step Mul, Add and their outputs, the leaf t (drawn once); Mul's number is not a tensor
    assert len(labels) == 2 + 4 * 5000 + 1 and len(edges) == 2 + 5 * 5000


@needs_dot
def test_jupyter_displays_the_graph_inline():
    x, w, c, y = _tensor_expr()
    for layout in ("dot", "layered"):
        g = draw_graph(y, params={"x": x, "w": w}, layout=layout)
        bundle = g._repr_mimebundle_()
        assert list(bundle) == ["image/svg+xml"]
        root = ET.fromstring(bundle["image/svg+xml"].encode())
        texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
        assert {"x", "w", "Mul", "output"} <= texts  # "output": the legend
        assert g._repr_svg_() == bundle["image/svg+xml"]
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(g)  # what a notebook cell's result goes through
    assert "image/svg+xml" in data and "<svg" in data["image/svg+xml"]


def test_jupyter_without_dot_shows_the_install_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    bundle = draw_graph((Value(1.0) * 2).exp())._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "apt-get install graphviz" in bundle["text/plain"]


def test_graph_labels_for_a_model():
    nn = pytest.importorskip("nn")
    F = pytest.importorskip("nn.functional")
    A.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    loss = F.cross_entropy(model(A.randn(4, 2)), A.tensor([0, 1, 1, 0]))
    loss.backward()
    labels, _, edges = parse(draw_graph(loss, params=model, show_grad=True, cluster_modules=True))
    consts = sorted(v for k, v in labels.items() if k.startswith("c"))
    assert consts == ["input\n(4, 2) float32", "target\n(4,) int64"]  # the data and the class targets
    w0 = next(v for v in labels.values() if v.startswith("0.weight\n"))
    lo, hi = model[0].weight.numpy().min(), model[0].weight.numpy().max()
    g = np.linalg.norm(model[0].weight.grad.numpy())
    assert w0 == f"0.weight\n(16, 2) float32\nrange [{lo:.4g}, {hi:.4g}]\ngrad L2 norm {g:.4g}"
    b2 = next(v for v in labels.values() if v.startswith("2.bias\n"))
    vals = ", ".join(format(float(v), ".4g") for v in model[2].bias.numpy())
    assert b2.split("\n")[2] == f"[{vals}]" and "  " not in b2 and " ," not in b2
