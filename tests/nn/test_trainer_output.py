"""What the Trainer prints (issue 17 item 5): one line per epoch when output is not a terminal, EarlyStopping's
stop and restore lines, History's repr and its plot's epoch axis."""

import os
import subprocess
import sys
import textwrap

import pytest

import autograd as A
import nn
import optim
from autograd.data import DataLoader, TensorDataset, datasets
from nn.callbacks import EarlyStopping
from nn.trainer import History, Trainer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _loaders():
    X, y = datasets.make_moons(200, noise=0.15, random_state=0)
    tr = TensorDataset(A.tensor(X[:150]), A.tensor(y[:150]))
    va = TensorDataset(A.tensor(X[150:]), A.tensor(y[150:]))
    return DataLoader(tr, batch_size=8, shuffle=True, generator=0), DataLoader(va, batch_size=64)


def test_non_terminal_output_is_one_line_per_epoch():
    # a real process with stdout and stderr going to pipes, as under CI, nohup or `> log`
    script = textwrap.dedent("""
        import autograd as A, nn, optim
        from autograd.data import DataLoader, TensorDataset, datasets
        X, y = datasets.make_moons(176, noise=0.15, random_state=0)
        loader = DataLoader(TensorDataset(A.tensor(X), A.tensor(y)), batch_size=8)   # 22 batches
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
        nn.Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.1)).fit(loader, epochs=50)
    """)
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 50 and lines[0].startswith("epoch 1: loss=") and lines[-1].startswith("epoch 50: loss=")
    assert "\r" not in r.stdout and r.stderr == ""  # no progress bar redraws
    assert len(r.stdout) + len(r.stderr) < 50 * 60  # was 82 KB with the bar


def test_progress_false_prints_nothing(capsys):
    tr, va = _loaders()
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.1), progress=False,
            callbacks=[EarlyStopping(patience=0, restore_best_weights=True)]).fit(tr, 3, val_loader=va)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_early_stopping_says_when_it_stopped_and_what_it_restored(capsys):
    tr, va = _loaders()
    A.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    es = EarlyStopping("val_loss", patience=2, restore_best_weights=True)
    # a learning rate this large makes the validation loss climb after the first epochs
    h = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 5.0), callbacks=[es]).fit(
        tr, 30, val_loader=va)
    lines = capsys.readouterr().out.splitlines()
    assert es.stopped_epoch is not None and len(h) == es.stopped_epoch + 1 < 30
    stop = f"EarlyStopping: stopped after epoch {es.stopped_epoch + 1}: val_loss did not improve for 2 epochs " \
           f"(best {es.best:.4g} at epoch {es.best_epoch + 1})"
    restored = f"EarlyStopping: restored the weights of epoch {es.best_epoch + 1} (val_loss={es.best:.4g})"
    assert lines[-2:] == [stop, restored]
    assert lines[-3].startswith(f"epoch {es.stopped_epoch + 1}: ")
    assert min(h["val_loss"]) == pytest.approx(es.best)


def test_history_repr():
    h = History()
    assert repr(h) == "History(no epochs)"
    for e, (loss, vl, acc) in enumerate([(0.9, 0.8, 0.5), (0.5, 0.4, 0.8), (0.3, 0.6, 0.7)]):
        h.append(e, {"loss": loss, "val_loss": vl, "val_accuracy": acc, "lr": 0.01})
    assert repr(h) == ("History(3 epochs; loss 0.9 -> 0.3; val_loss 0.8 -> 0.6 (best 0.4 at epoch 2); "
                       "val_accuracy 0.5 -> 0.7 (best 0.8 at epoch 2); lr 0.01)")
    assert len(h) == 3 and str(h) == repr(h)


def test_history_plot_counts_epochs_from_one():
    pytest.importorskip("matplotlib")
    h = History()
    for e in range(4):
        h.append(e, {"loss": 1.0 / (e + 1), "val_loss": 1.2 / (e + 1)})
    fig = h.plot()
    try:
        xs = [list(line.get_xdata()) for line in fig.axes[0].get_lines()]
        assert xs == [[1, 2, 3, 4], [1, 2, 3, 4]]
        assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
