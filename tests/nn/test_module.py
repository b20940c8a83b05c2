"""nn.Module and the containers: registration, traversal order, state_dict, hooks, modes, dtype, repr —
each checked against torch.nn on the same architecture (built from one source text for both libraries)."""

from collections import OrderedDict
from contextlib import nullcontext

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn

torch = pytest.importorskip("torch")

# One source text, executed once with ``nn``/``lib`` bound to torch's and once to ours.
ARCH = '''
class Leaf(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(lib.ones(n, 2))
        self.register_buffer("running", lib.zeros(n))
        self.register_buffer("scratch", lib.zeros(1), persistent=False)
        self.register_parameter("bias", None)

    def forward(self, x):
        return x * 2

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(lib.ones(1))
        self.body = nn.Sequential(Leaf(3), Leaf(4))
        self.heads = nn.ModuleList([Leaf(1), Leaf(2)])
        self.table = nn.ModuleDict({"b": Leaf(5), "a": Leaf(6)})
        self.shared = self.body[0]  # shared module: its parameters are listed once
        self.plist = nn.ParameterList([nn.Parameter(lib.zeros(2)), nn.Parameter(lib.zeros(3))])
        self.pdict = nn.ParameterDict({"y": nn.Parameter(lib.zeros(1)), "x": nn.Parameter(lib.zeros(2))})
        self.offset = nn.Parameter(lib.zeros(2))  # registered after the children, listed first (own params)

    def forward(self, x):
        return self.body(x)
'''


def build(which):
    ns = {"nn": torch.nn if which == "torch" else nn, "lib": torch if which == "torch" else autograd}
    exec(ARCH, ns)
    return ns


def test_named_parameters_buffers_modules_match_torch():
    t, o = build("torch")["Net"](), build("ours")["Net"]()
    assert [n for n, _ in o.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [tuple(p.shape) for p in o.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert [n for n, _ in o.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in o.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in o.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in o.named_parameters(recurse=False)] == [n for n, _ in t.named_parameters(recurse=False)]
    assert [n for n, _ in o.named_parameters(prefix="m")] == [n for n, _ in t.named_parameters(prefix="m")]
    assert len(list(o.modules())) == len(list(t.modules()))
    assert ([n for n, _ in o.named_parameters(remove_duplicate=False)]
            == [n for n, _ in t.named_parameters(remove_duplicate=False)])


def test_state_dict_keys_and_values_match_torch():
    t, o = build("torch")["Net"](), build("ours")["Net"]()
    ts, os_ = t.state_dict(), o.state_dict()
    assert isinstance(os_, OrderedDict)
    assert list(os_) == list(ts)
    assert "body.0.scratch" not in os_  # non-persistent
    for k in ts:
        assert tuple(os_[k].shape) == tuple(ts[k].shape)
        assert isinstance(os_[k], autograd.Tensor) and not os_[k].requires_grad
    # values share memory with the module's tensors, like torch
    os_["offset"].numpy()[0] = 7.0
    assert o.offset.numpy()[0] == 7.0


def test_load_state_dict_from_torch_numpy_in_place():
    t, o = build("torch")["Net"](), build("ours")["Net"]()
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_()
        for b in t.buffers():
            b.uniform_()
    before = {n: p for n, p in o.named_parameters()}
    arrays = {k: v.numpy().astype(np.float64) for k, v in t.state_dict().items()}
    res = o.load_state_dict(arrays)
    assert res.missing_keys == [] and res.unexpected_keys == []
    for k, v in o.state_dict().items():
        np.testing.assert_allclose(v.numpy(), t.state_dict()[k].numpy())
        assert v.dtype == np.float32  # cast into the existing tensor
    after = dict(o.named_parameters())
    assert all(before[n] is after[n] for n in before)  # identity kept (optimizers keep references)
    # Tensors are accepted too
    o.load_state_dict({k: autograd.tensor(v) for k, v in arrays.items()})


def test_load_state_dict_errors_name_keys_and_shapes():
    o = build("ours")["Net"]()
    sd = {k: v.numpy().copy() for k, v in o.state_dict().items()}
    del sd["body.1.weight"]
    sd["body.9.weight"] = np.zeros(2)
    sd["junk"] = np.zeros(2)
    sd["offset"] = np.zeros(5)
    with pytest.raises(RuntimeError) as e:
        o.load_state_dict(sd)
    msg = str(e.value)
    assert "Error(s) in loading state_dict for Net" in msg
    assert 'Missing key(s) in state_dict: "body.1.weight"' in msg
    assert '"body.9.weight"' in msg and '"junk"' in msg and "Unexpected key(s)" in msg
    assert ("size mismatch for offset: copying a param with shape (5,) from checkpoint, "
            "the shape in current model is (2,).") in msg
    # torch raises the same categories
    t = build("torch")["Net"]()
    tsd = {k: torch.from_numpy(v) for k, v in sd.items()}
    with pytest.raises(RuntimeError, match="size mismatch for offset"):
        t.load_state_dict(tsd)
    # non-strict: keys reported, size mismatch still an error
    sd["offset"] = np.zeros(2)
    res = o.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["body.1.weight"]
    assert sorted(res.unexpected_keys) == ["body.9.weight", "junk"]
    tres = t.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=False)
    assert res.missing_keys == tres.missing_keys and sorted(res.unexpected_keys) == sorted(tres.unexpected_keys)
    with pytest.raises(TypeError, match="dict"):
        o.load_state_dict([1, 2])


def test_setattr_getattr_delattr_rules():
    m = nn.Module()
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope  # noqa: B018
    m.p = nn.Parameter(autograd.zeros(2))
    m.c = nn.Module()
    m.register_buffer("b", autograd.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'p'"):
        m.p = autograd.zeros(2)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'c'"):
        m.c = 3
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'b'"):
        m.b = 3
    m.b = autograd.ones(1)
    assert m.b.numpy()[0] == 1 and "b" in dict(m.named_buffers())
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("p", autograd.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        m.register_parameter("q", autograd.zeros(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    # a module name re-assigned a Parameter moves it (torch's rule); a parameter name refuses a module
    m.c2 = nn.Module()
    m.c2 = nn.Parameter(autograd.zeros(1))
    assert "c2" in m._parameters and "c2" not in m._modules
    with pytest.raises(TypeError, match="cannot assign 'Module' as parameter 'p'"):
        m.p = nn.Module()
    del m.b
    assert "b" not in dict(m.named_buffers())
    del m.c
    with pytest.raises(AttributeError):
        m.c  # noqa: B018
    assert "p" in dir(m)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(autograd.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_hooks_and_handles():
    ns = build("ours")
    m = ns["Leaf"](2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append((mod, args[0].item(), out.item())))
    x = autograd.tensor(1.0)
    assert m(x).item() == 4.0
    assert calls == [(m, 2.0, 4.0)]
    h3 = m.register_forward_hook(lambda mod, args, out: out * 10)
    assert m(x).item() == 40.0
    h1.remove()
    h2.remove()
    h3.remove()
    assert m(x).item() == 2.0 and len(calls) == 2
    # prepend and with_kwargs
    order = []
    m.register_forward_pre_hook(lambda mod, args: order.append("a"))
    m.register_forward_pre_hook(lambda mod, args: order.append("b"), prepend=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: order.append(("k", kwargs)), with_kwargs=True)
    m(x)
    assert order == ["b", "a", ("k", {})]
    with m.register_forward_hook(lambda mod, a, o: o + 100):
        assert m(x).item() == 102.0
    assert m(x).item() == 2.0


def test_train_eval_propagate():
    o, t = build("ours")["Net"](), build("torch")["Net"]()
    assert o.training
    o.eval()
    t.eval()
    assert [m.training for m in o.modules()] == [m.training for m in t.modules()] == [False] * len(list(o.modules()))
    o.train()
    assert all(m.training for m in o.modules())
    o.body.train(False)
    assert not o.body[1].training and o.heads[0].training
    with pytest.raises(ValueError, match="boolean"):
        o.train("yes")


def test_zero_grad_requires_grad_apply():
    o = build("ours")["Net"]()
    for p in o.parameters():
        (p * p).backward(autograd.ones_like(p))
    assert all(p.grad is not None for p in o.parameters())
    o.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in o.parameters())
    o.zero_grad()
    assert all(p.grad is None for p in o.parameters())
    o.requires_grad_(False)
    assert not any(p.requires_grad for p in o.parameters())
    seen = []
    o.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Leaf"
    t = build("torch")["Net"]()
    tseen = []
    t.apply(lambda m: tseen.append(type(m).__name__))
    assert seen == tseen


def test_to_dtype_keeps_identity():
    o = build("ours")["Net"]()
    params = list(o.parameters())
    (o.offset * 3).backward(autograd.ones(2))
    assert o.double() is o
    assert all(p.dtype == np.float64 for p in o.parameters())
    assert all(b.dtype == np.float64 for b in o.buffers())
    assert o.offset.grad.dtype == np.float64
    assert all(a is b for a, b in zip(params, o.parameters()))
    o.to(autograd.float32)
    assert all(p.dtype == np.float32 for p in o.parameters())
    o.to("cpu")
    o.to("cpu", True)  # to(device, non_blocking)
    o.to(device="cpu", dtype=autograd.float64)
    assert o.offset.dtype == np.float64
    with pytest.raises(RuntimeError, match="CUDA is not available: numbagrad runs on the CPU; use device='cpu'"):
        o.to("cuda:0")
    o.float()
    with pytest.raises(TypeError, match="floating point"):
        o.to(autograd.int64)
    # gradients still flow after the cast
    o.double()
    (o.offset * 2).backward(autograd.ones(2, dtype=autograd.float64))
    assert o.offset.grad.dtype == np.float64


def test_get_submodule_parameter_buffer():
    o = build("ours")["Net"]()
    assert o.get_submodule("body.1") is o.body[1]
    assert o.get_submodule("") is o
    assert o.get_parameter("table.a.weight") is o.table["a"].weight
    assert o.get_buffer("heads.0.running") is o.heads[0].running
    with pytest.raises(AttributeError, match="has no attribute `zz`"):
        o.get_submodule("body.zz")
    with pytest.raises(AttributeError, match="not an nn.Parameter"):
        o.get_parameter("heads.0.running")


def test_repr_equals_torch():
    src = '''
class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.ModuleList([Plain(), Plain(), Plain(), Other()])
    def extra_repr(self):
        return "k=3"

class Plain(nn.Module):
    pass

class Other(nn.Module):
    def extra_repr(self):
        return "line1\\nline2"

class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()
        self.seq = nn.Sequential(OrderedDict([("x", Plain()), ("y", Other())]))
        self.empty = nn.ModuleList()
        self.d = nn.ModuleDict({"p": Plain()})
'''
    texts = []
    for lib in (torch.nn, nn):
        ns = {"nn": lib, "OrderedDict": OrderedDict}
        exec(src, ns)
        texts.append(repr(ns["Outer"]()))
    assert texts[0] == texts[1]


def test_parameter_containers():
    pl = nn.ParameterList([autograd.zeros(2), nn.Parameter(autograd.ones(3))])
    assert isinstance(pl[0], nn.Parameter) and len(pl) == 2 and pl[-1].shape == (3,)
    pl.append(autograd.zeros(1))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert len(pl[1:]) == 2
    assert "Parameter containing: [autograd.float32 of size 3]" in repr(pl)
    with pytest.raises(RuntimeError, match="should not be called"):
        pl(1)
    pd = nn.ParameterDict({"b": autograd.zeros(1), "a": autograd.zeros(2)})
    assert list(pd) == ["a", "b"]  # a plain dict is sorted, as in torch
    pd["c"] = autograd.zeros(3)
    assert "c" in pd and isinstance(pd["c"], nn.Parameter) and len(pd) == 3
    assert pd.pop("a").shape == (2,) and list(pd.keys()) == ["b", "c"]
    assert pd.get("zz") is None
    assert [n for n, _ in pd.named_parameters()] == ["b", "c"]


def test_sequential_modulelist_moduledict_ops():
    class Tag(nn.Module):
        def __init__(self, i):
            super().__init__()
            self.i = i

        def forward(self, x):
            return x * 10 + self.i

    s = nn.Sequential(Tag(1), Tag(2), Tag(3))
    assert s(autograd.tensor(0.0)).item() == 123.0
    assert s[-1].i == 3 and isinstance(s[1:], nn.Sequential) and len(s[1:]) == 2
    assert [n for n, _ in s[1:].named_children()] == ["1", "2"]  # torch keeps the keys in a slice
    s.append(Tag(4))
    s.insert(0, Tag(0))
    assert [m.i for m in s] == [0, 1, 2, 3, 4] and list(s._modules) == ["0", "1", "2", "3", "4"]
    s.extend([Tag(5)])
    del s[0]
    assert [m.i for m in s] == [1, 2, 3, 4, 5] and list(s._modules) == ["0", "1", "2", "3", "4"]
    s[0] = Tag(9)
    assert s[0].i == 9
    assert len(s + nn.Sequential(Tag(7))) == 6
    assert s.pop(-1).i == 5 and len(s) == 4
    with pytest.raises(IndexError, match="index 10 is out of range"):
        s[10]
    od = nn.Sequential(OrderedDict([("first", Tag(1)), ("second", Tag(2))]))
    assert od.first.i == 1 and [n for n, _ in od.named_children()] == ["first", "second"]
    ml = nn.ModuleList([Tag(1), Tag(2)])
    ml += [Tag(3)]
    ml.insert(0, Tag(0))
    assert [m.i for m in ml] == [0, 1, 2, 3] and ml[-1].i == 3 and len(ml[1:]) == 3
    del ml[1]
    assert [m.i for m in ml] == [0, 2, 3] and list(ml._modules) == ["0", "1", "2"]
    md = nn.ModuleDict([("z", Tag(1)), ("a", Tag(2))])
    assert list(md) == ["z", "a"] and "a" in md and md["a"].i == 2
    md.update({"q": Tag(3)})
    assert list(md.keys()) == ["z", "a", "q"] and md.pop("z").i == 1 and len(md) == 2
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        nn.ModuleList(3)


def test_deepcopy_copies_parameters_and_buffers():
    import copy

    o = build("ours")["Net"]()
    o.offset.grad = autograd.ones(2)
    c = copy.deepcopy(o)
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in o.named_parameters()]
    for (n, p), (_, q) in zip(o.named_parameters(), c.named_parameters()):
        assert type(q) is nn.Parameter and q is not p and q.requires_grad == p.requires_grad
        np.testing.assert_array_equal(p.numpy(), q.numpy())
        assert not np.shares_memory(p.numpy(), q.numpy())
    assert c.shared is c.body[0]  # sharing inside the copied tree is kept
    np.testing.assert_array_equal(c.offset.grad.numpy(), 1.0)
    c.body[0].running.add_(1)
    assert not o.body[0].running.numpy().any()


def test_buffer_assignment_registers_like_torch():
    src = '''
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Buffer(lib.zeros(2))
        self.b = nn.Buffer(lib.ones(3), persistent=False)
        self.w = nn.Parameter(lib.ones(1))
'''
    names = []
    for lib, mod in ((torch, torch.nn), (autograd, nn)):
        ns = {"nn": mod, "lib": lib}
        exec(src, ns)
        m = ns["M"]()
        names.append(([n for n, _ in m.named_buffers()], list(m.state_dict())))
    assert names[0] == names[1] == (["a", "b"], ["w", "a"])
    m = nn.Module()
    t = autograd.zeros(2)
    m.x = nn.Buffer(t)
    assert np.shares_memory(m.x.numpy(), t.numpy()) and list(dict(m.named_buffers())) == ["x"]
    m.x = autograd.ones(2)  # a registered buffer name takes plain tensors afterwards
    assert m.x.numpy().sum() == 2 and "x" in m.state_dict()


def test_parameter_shares_memory_and_version_counter_like_torch():
    bumped = []
    for lib, mod in ((torch, torch.nn), (autograd, nn)):
        t = lib.ones(2)
        p = mod.Parameter(t)
        assert p.requires_grad and p.is_leaf and not mod.Parameter(t, requires_grad=False).requires_grad
        w = lib.ones(2, requires_grad=True)
        loss = (w * t).sum()  # saves t
        with lib.no_grad():
            p.mul_(2.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
        bumped.append(t.tolist())
    assert bumped[0] == bumped[1] == [2.0, 2.0]


# ---- random architectures: traversal, keys and repr equal torch's ----

leaf = st.one_of(
    st.tuples(st.just("linear"), st.integers(1, 3), st.integers(1, 3), st.booleans()),
    st.tuples(st.just("relu")),
    st.tuples(st.just("dropout"), st.sampled_from([0.1, 0.5])),
    st.tuples(st.just("embedding"), st.integers(2, 4), st.integers(1, 3)),
    st.tuples(st.just("prelu"), st.integers(1, 3)),
)
tree = st.recursive(
    leaf,
    lambda kids: st.one_of(
        st.tuples(st.just("seq"), st.lists(kids, max_size=3)),
        st.tuples(st.just("list"), st.lists(kids, max_size=3)),
        st.tuples(st.just("dict"), st.dictionaries(st.sampled_from(["a", "b", "zz", "k1"]), kids, max_size=3)),
        st.tuples(st.just("custom"), st.lists(kids, max_size=3), st.booleans(), st.booleans()),
    ),
    max_leaves=8,
)


def build_tree(spec, lib, nnlib):
    kind = spec[0]
    if kind == "linear":
        return nnlib.Linear(spec[1], spec[2], bias=spec[3])
    if kind == "relu":
        return nnlib.ReLU()
    if kind == "dropout":
        return nnlib.Dropout(spec[1])
    if kind == "embedding":
        return nnlib.Embedding(spec[1], spec[2], padding_idx=0)
    if kind == "prelu":
        return nnlib.PReLU(spec[1])
    if kind == "seq":
        return nnlib.Sequential(*[build_tree(s, lib, nnlib) for s in spec[1]])
    if kind == "list":
        return nnlib.ModuleList([build_tree(s, lib, nnlib) for s in spec[1]])
    if kind == "dict":
        return nnlib.ModuleDict({k: build_tree(s, lib, nnlib) for k, s in spec[1].items()})
    m = nnlib.Module()
    if spec[2]:
        m.first = nnlib.Parameter(lib.zeros(2))
    for i, s in enumerate(spec[1]):
        setattr(m, f"child{i}", build_tree(s, lib, nnlib))
    if spec[3]:
        m.register_buffer("stat", lib.zeros(1))
        m.last = nnlib.Parameter(lib.ones(1))
    return m


@given(tree)
def test_random_architectures_traverse_like_torch(spec):
    t, o = build_tree(spec, torch, torch.nn), build_tree(spec, autograd, nn)
    assert [n for n, _ in o.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [tuple(p.shape) for p in o.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert [n for n, _ in o.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in o.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert list(o.state_dict()) == list(t.state_dict())
    assert repr(o) == repr(t)
    o.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(o.state_dict()[k].numpy(), v.numpy())


def test_full_backward_hooks_match_torch():
    def run(lib, nnlib, x_requires_grad=True):
        m = nnlib.Sequential(nnlib.Linear(3, 4), nnlib.Tanh(), nnlib.Linear(4, 2)).double()
        with (torch.no_grad() if lib is torch else autograd.no_grad()):
            for i, p in enumerate(m.parameters()):
                p.copy_(lib.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) * (i + 1)))
        log = []

        def pre(mod, grad_output):
            log.append(("pre", type(mod).__name__, [g.numpy().copy() for g in grad_output]))
            return (grad_output[0] * 3,)

        def full(mod, grad_input, grad_output):
            log.append(("full", type(mod).__name__, [None if g is None else g.numpy().copy() for g in grad_input],
                        [g.numpy().copy() for g in grad_output]))
            return None if grad_input[0] is None else (grad_input[0] * 0.5,)

        m[2].register_full_backward_pre_hook(pre)
        h = m[0].register_full_backward_hook(full)
        m[2].register_full_backward_hook(full)
        x = lib.tensor(np.linspace(-2, 2, 6).reshape(2, 3), requires_grad=x_requires_grad)
        m(x).backward(lib.tensor(np.array([[1.0, -1.0], [0.5, 2.0]])))
        grads = [p.grad.numpy().copy() for p in m.parameters()]
        h.remove()
        m.zero_grad()
        m(x).backward(lib.tensor(np.ones((2, 2))))
        return log, (x.grad.numpy() if x_requires_grad else None), grads, len(log)

    for rg in (True, False):
        with pytest.warns(UserWarning, match="Full backward hook is firing") if not rg else nullcontext():
            (tlog, tx, tg, tn), (olog, ox, og, on) = run(torch, torch.nn, rg), run(autograd, nn, rg)
        assert [e[:2] for e in olog] == [e[:2] for e in tlog] and on == tn
        for te, oe in zip(tlog, olog):
            for ta, oa in zip(te[2:], oe[2:]):
                for t, o in zip(ta, oa):
                    assert (t is None) == (o is None)
                    if t is not None:
                        np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-13)
        if rg:
            np.testing.assert_allclose(ox, tx, rtol=1e-10, atol=1e-13)
        for t, o in zip(tg, og):
            np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-13)
    with pytest.warns(UserWarning, match="Full backward hook is firing"):
        run(autograd, nn, False)
