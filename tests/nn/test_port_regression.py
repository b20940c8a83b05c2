"""The port test: a "seed-style" PyTorch regression network (blocks of Linear-ReLU-BatchNorm1d-Dropout,
trained with Adam on MSE) is written ONCE, as PyTorch source text. The port changes only its three import
lines; the class and the training loop are executed unchanged with this library."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

TORCH_SOURCE = '''
import torch
import torch.nn as nn
import torch.optim as optim


class RegressionNet(nn.Module):
    def __init__(self, n_features, hidden=(64, 32), dropout=0.2):
        super().__init__()
        layers = []
        prev = n_features
        for h in hidden:
            layers += [nn.Linear(prev, h), nn.ReLU(), nn.BatchNorm1d(h), nn.Dropout(dropout)]
            prev = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(prev, 1)

    def forward(self, x):
        return self.head(self.body(x)).squeeze(-1)


def train(model, X, y, epochs=5, batch_size=32, lr=1e-2):
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    history = []
    n = X.shape[0]
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for i in range(0, n, batch_size):
            xb, yb = X[i:i + batch_size], y[i:i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        history.append(total / n)
    return history


def evaluate(model, X, y):
    model.eval()
    with torch.no_grad():
        return nn.functional.mse_loss(model(X), y).item()
'''

IMPORTS = {
    "import torch\n": "import autograd as torch\n",
    "import torch.nn as nn\n": "import nn\n",
    "import torch.optim as optim\n": "import optim\n",
}


def ported_source() -> str:
    src = TORCH_SOURCE
    for old, new in IMPORTS.items():
        assert src.count(old) == 1
        src = src.replace(old, new)
    return src


def load(which):
    ns: dict = {}
    exec(TORCH_SOURCE if which == "torch" else ported_source(), ns)
    return ns


def test_port_changes_only_the_imports():
    a, b = TORCH_SOURCE.splitlines(), ported_source().splitlines()
    changed = [(x, y) for x, y in zip(a, b) if x != y]
    assert len(a) == len(b) and len(changed) == 3
    assert all(x.startswith("import torch") for x, _ in changed)


def data(dtype, n=256, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = 2 * np.tanh(X @ w / np.sqrt(d)) + 0.3 * X[:, 0] ** 2 + 0.1 * rng.standard_normal(n)
    return X.astype(dtype), y.astype(dtype)


def twins(dropout, double=False):
    t_ns, o_ns = load("torch"), load("ours")
    torch.manual_seed(0)
    tm = t_ns["RegressionNet"](8, dropout=dropout)
    om = o_ns["RegressionNet"](8, dropout=dropout)
    if double:
        tm.double()
        om.double()
    om.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return t_ns, o_ns, tm, om


def test_same_names_keys_repr_and_eval_predictions():
    t_ns, o_ns, tm, om = twins(0.2)
    assert [n for n, _ in om.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert list(om.state_dict()) == list(tm.state_dict())
    assert "body.2.running_mean" in om.state_dict() and "body.2.num_batches_tracked" in om.state_dict()
    assert repr(om) == repr(tm)
    import autograd

    X, y = data(np.float32)
    tm.eval()
    om.eval()
    np.testing.assert_allclose(om(autograd.tensor(X)).numpy(), tm(torch.tensor(X)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_training_trajectory_matches_torch_without_dropout():
    import autograd

    t_ns, o_ns, tm, om = twins(0.0, double=True)
    X, y = data(np.float64)
    t_hist = t_ns["train"](tm, torch.tensor(X), torch.tensor(y), epochs=3)
    o_hist = o_ns["train"](om, autograd.tensor(X), autograd.tensor(y), epochs=3)
    np.testing.assert_allclose(o_hist, t_hist, rtol=1e-8)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(om.state_dict()[k].numpy(), v.numpy(), rtol=1e-7, atol=1e-9, err_msg=k)
    np.testing.assert_allclose(o_ns["evaluate"](om, autograd.tensor(X), autograd.tensor(y)),
                               t_ns["evaluate"](tm, torch.tensor(X), torch.tensor(y)), rtol=1e-8)


def test_ported_network_trains_with_dropout():
    import autograd

    autograd.manual_seed(0)
    ns = load("ours")
    model = ns["RegressionNet"](8, dropout=0.2)
    X, y = data(np.float32, n=768)  # 512 to train on, 256 held out
    Xt, yt, Xvt, yvt = map(autograd.tensor, (X[:512], y[:512], X[512:], y[512:]))
    before = ns["evaluate"](model, Xvt, yvt)
    history = ns["train"](model, Xt, yt, epochs=8)
    after = ns["evaluate"](model, Xvt, yvt)
    assert all(np.isfinite(history))
    assert history[-1] < 0.6 * history[0]
    assert after < 0.5 * before
    assert not model.training  # evaluate() switched to eval mode


def test_demo_trains_and_draws(tmp_path, capsys, monkeypatch):
    from nn import demo

    model, train_acc, test_acc = demo.train(epochs=15, verbose=False)
    assert train_acc > 0.9 and test_acc > 0.9
    path = demo.draw(model, str(tmp_path / "g"))
    assert path.endswith((".svg", ".dot")) and (tmp_path / path.split("/")[-1]).stat().st_size > 200
    monkeypatch.setattr(demo.shutil, "which", lambda name: None)  # no Graphviz program: the DOT text
    path = demo.draw(model, str(tmp_path / "h"))
    assert path.endswith(".dot") and "digraph" in (tmp_path / "h.dot").read_text()
    demo.main(["--epochs", "3", "--out", str(tmp_path / "n")])  # says how to get a picture from the DOT text
    out = capsys.readouterr().out
    assert f"written to {tmp_path / 'n.dot'}" in out
    assert "not installed" in out and "apt-get install graphviz" in out
    assert f"dot -Tsvg {tmp_path / 'n.dot'} -o {tmp_path / 'n.svg'}" in out
    monkeypatch.undo()
    demo.main(["--epochs", "3", "--out", str(tmp_path / "m")])
    out = capsys.readouterr().out
    assert "test accuracy" in out and "same predictions" in out
    assert ("dot -Tsvg" in out) == (not (tmp_path / "m.svg").exists())
