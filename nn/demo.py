"""``python -m nn.demo``: train a 2-16-16-2 MLP on two moons, print its accuracy, draw its graph.

The whole PyTorch workflow, ported by imports: ``nn.Sequential`` of ``nn.Linear``/``nn.ReLU``, ``optim.Adam``,
``F.cross_entropy``, ``autograd.data.DataLoader``, ``model.eval()`` + ``autograd.no_grad()``,
``autograd.save``/``load`` of the state dict, and ``autograd.draw_graph`` of one forward pass (to
``moons_graph.svg``, or the DOT text in ``moons_graph.dot`` when Graphviz's ``dot`` program is missing).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

import autograd
import nn
import nn.functional as F
import optim
from autograd.data import DataLoader, TensorDataset
from autograd.data.datasets import make_moons


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))


def accuracy(model: nn.Module, X: autograd.Tensor, y: autograd.Tensor) -> float:
    model.eval()
    with autograd.no_grad():
        pred = model(X).argmax(dim=1)
    return float((pred.numpy() == y.numpy()).mean())


def train(epochs: int = 60, seed: int = 0, verbose: bool = True) -> tuple[nn.Module, float, float]:
    """Train on 800 noisy moons (noise 0.2), test on 200 others; returns (model, train accuracy, test accuracy)."""
    autograd.manual_seed(seed)
    X, y = make_moons(1000, noise=0.2, random_state=seed)
    Xtr, ytr = autograd.tensor(X[:800]), autograd.tensor(y[:800])
    Xte, yte = autograd.tensor(X[800:]), autograd.tensor(y[800:])
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=32, shuffle=True, generator=seed)
    model = build_model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        if verbose and (epoch + 1) % 20 == 0:
            print(f"epoch {epoch + 1:3d}  loss {total / len(ytr):.4f}")
    return model, accuracy(model, Xtr, ytr), accuracy(model, Xte, yte)


def draw(model: nn.Module, out: str = "moons_graph") -> str:
    """Draw one forward pass + loss; returns the file written (.svg with Graphviz's ``dot``, else .dot)."""
    model.train()
    x, y = autograd.randn(4, 2), autograd.tensor([0, 1, 1, 0])
    loss = F.cross_entropy(model(x), y)
    graph = autograd.draw_graph(loss, params=dict(model.named_parameters()))
    if shutil.which("dot"):
        path = out + ".svg"
        with open(path, "w") as fh:
            fh.write(graph.pipe(format="svg").decode("utf-8"))
        return path
    path = out + ".dot"
    with open(path, "w") as fh:
        fh.write(graph.source)  # Graphviz's ``dot`` program is missing: the DOT text
    return path


def how_to_view(dot_path: str) -> str:
    """What to do with a DOT file when Graphviz's ``dot`` program is missing."""
    svg = os.path.splitext(dot_path)[0] + ".svg"
    return (f"Graphviz's `dot` program is not installed, so that file is the graph's DOT text, not a picture. To "
            f"get one, install Graphviz (apt-get install graphviz; brew install graphviz; conda install graphviz; "
            f"or winget install graphviz) and run: dot -Tsvg {dot_path} -o {svg}  (or rerun python -m nn.demo). "
            f"Without installing anything, paste the file into an online Graphviz viewer.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train a small MLP on two moons with autograd/nn/optim.")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="moons_graph", help="graph file name, without extension")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    model, train_acc, test_acc = train(args.epochs, args.seed)
    print(model)
    print(f"train accuracy {train_acc:.3f}   test accuracy {test_acc:.3f}   ({time.perf_counter() - start:.1f} s)")
    with tempfile.TemporaryDirectory() as tmp:  # the checkpoint round trip a user would do
        ckpt = os.path.join(tmp, "moons.ckpt")
        autograd.save(model.state_dict(), ckpt)
        again = build_model()
        again.load_state_dict(autograd.load(ckpt))
    X, y = make_moons(200, noise=0.2, random_state=args.seed + 1)
    same = accuracy(again, autograd.tensor(X), autograd.tensor(y)) == accuracy(model, autograd.tensor(X),
                                                                                autograd.tensor(y))
    print(f"saved and reloaded the state dict: {'same' if same else 'DIFFERENT'} predictions")
    path = draw(model, args.out)
    print(f"graph of one forward pass written to {path}")
    if path.endswith(".dot"):
        print(how_to_view(path))


if __name__ == "__main__":
    main()
