"""Trainer, callbacks, History, fine-tuning helpers and the scikit-learn wrapper; the seed notes' workflows."""

import os

import numpy as np
import pytest

import autograd as A
import nn
import optim
from autograd.data import DataLoader, TensorDataset, datasets
from nn import metrics
from nn.callbacks import EarlyStopping, ModelCheckpoint
from nn.finetune import freeze, param_groups, unfreeze
from nn.trainer import Trainer


def _loaders(n=200, batch=32, seed=0):
    X, y = datasets.make_moons(n, noise=0.15, random_state=seed)
    tr = TensorDataset(A.tensor(X[: n * 3 // 4]), A.tensor(y[: n * 3 // 4]))
    va = TensorDataset(A.tensor(X[n * 3 // 4:]), A.tensor(y[n * 3 // 4:]))
    return DataLoader(tr, batch_size=batch, shuffle=True, generator=seed), DataLoader(va, batch_size=64)


def _mlp():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))


def test_fit_logs_history_and_learns():
    A.manual_seed(0)
    model = _mlp()
    tr, va = _loaders()
    t = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05),
                metrics={"accuracy": metrics.accuracy}, progress=False)
    h = t.fit(tr, epochs=15, val_loader=va)
    assert set(h.keys()) >= {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert len(h["loss"]) == 15 and h["loss"][-1] < h["loss"][0]
    assert h["val_accuracy"][-1] > 0.85
    ev = t.evaluate(va)
    assert ev["accuracy"] == pytest.approx(h["val_accuracy"][-1])
    pred = t.predict(va)
    assert pred.shape == (50, 2) and not pred.requires_grad and model.training


def test_matches_a_hand_written_loop_exactly():
    tr, _ = _loaders()
    A.manual_seed(1)
    m1 = _mlp()
    A.manual_seed(1)
    m2 = _mlp()
    Trainer(m1, nn.CrossEntropyLoss(), optim.SGD(m1.parameters(), lr=0.1), progress=False).fit(tr, epochs=2)
    opt = optim.SGD(m2.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    tr1, _ = _loaders()  # a loader seeded alike replays the same shuffles
    for _ in range(2):
        for xb, yb in tr1:
            opt.zero_grad()
            loss_fn(m2(xb), yb).backward()
            opt.step()
    for (n1, p1), (_, p2) in zip(m1.named_parameters(), m2.named_parameters()):
        np.testing.assert_array_equal(p1.numpy(), p2.numpy(), err_msg=n1)


def test_early_stopping_restores_best_weights_exactly():
    A.manual_seed(0)
    model = _mlp()
    tr, va = _loaders()
    snapshots = {}

    class Snap(nn.callbacks.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots[epoch] = {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}

    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # a learning rate far too high makes validation loss bounce, so the best epoch is not the last
    t = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=3.0), callbacks=[Snap(), es],
                progress=False)
    h = t.fit(tr, epochs=30, val_loader=va)
    best = int(np.argmin(h["val_loss"]))
    assert es.best_epoch == best
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), snapshots[best][k])
    if es.stopped_epoch is not None:
        assert len(h["loss"]) == es.stopped_epoch + 1 < 30


def test_early_stopping_modes_and_errors():
    es = EarlyStopping(monitor="val_accuracy")
    assert es._m.mode == "max"
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")
    model = _mlp()
    tr, _ = _loaders()
    t = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                callbacks=[EarlyStopping(monitor="val_loss")], progress=False)
    with pytest.raises(KeyError, match="val_loss"):
        t.fit(tr, epochs=1)


def test_model_checkpoint_best_only_writes_atomically(tmp_path):
    A.manual_seed(0)
    model = _mlp()
    tr, va = _loaders()
    path = str(tmp_path / "ckpt" / "best.npz")
    ck = ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    t = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), callbacks=[ck],
                progress=False)
    t.fit(tr, epochs=5, val_loader=va)
    assert os.path.exists(path) and ck.saved
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["best.npz"]  # no temporary files left behind
    sd = A.load(path)
    m2 = _mlp()
    m2.load_state_dict(sd)
    per_epoch = ModelCheckpoint(str(tmp_path / "e{epoch:02d}-{val_loss:.3f}.npz"))
    Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01), callbacks=[per_epoch],
            progress=False).fit(tr, epochs=2, val_loader=va)
    assert len(per_epoch.saved) == 2 and os.path.basename(per_epoch.saved[0]).startswith("e00-")


def test_scheduler_plateau_and_batch_interval():
    A.manual_seed(0)
    model = _mlp()
    tr, va = _loaders()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    t = Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=sched, progress=False)
    h = t.fit(tr, epochs=6, val_loader=va)
    assert min(h["lr"]) <= 0.1 and opt.param_groups[0]["lr"] <= h["lr"][-1]
    opt2 = optim.SGD(model.parameters(), lr=0.1)
    one = optim.lr_scheduler.OneCycleLR(opt2, max_lr=0.5, total_steps=len(tr) * 2)
    Trainer(model, nn.CrossEntropyLoss(), opt2, scheduler=one, scheduler_interval="batch", progress=False).fit(tr, 2)
    assert one.last_epoch == len(tr) * 2


def test_gradient_clipping_is_applied():
    A.manual_seed(0)
    model = _mlp()
    tr, _ = _loaders()
    seen = []

    class Probe(optim.SGD):
        def step(self, closure=None):
            seen.append(float(np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in model.parameters()))))
            return super().step(closure)

    Trainer(model, nn.CrossEntropyLoss(), Probe(model.parameters(), lr=0.1), clip_grad_norm=0.01,
            progress=False).fit(tr, 1)
    assert max(seen) <= 0.01 * (1 + 1e-5)


def test_history_plot_png(tmp_path):
    A.manual_seed(0)
    model = _mlp()
    tr, va = _loaders()
    h = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), 0.01),
                metrics={"accuracy": metrics.accuracy}, progress=False).fit(tr, 3, val_loader=va)
    p = tmp_path / "curves.png"
    h.plot(str(p))
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_bar_runs(capsys):
    A.manual_seed(0)
    model = _mlp()
    tr, _ = _loaders()
    Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.1), progress=True).fit(tr, 1)
    assert "epoch 1:" in capsys.readouterr().out


def test_freeze_unfreeze_and_frozen_weights_stay_bit_identical():
    A.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    frozen = freeze(model, ["0.*", "2.weight"])
    assert frozen == ["0.weight", "0.bias", "2.weight"]
    before = {n: p.numpy().copy() for n, p in model.named_parameters()}
    groups = param_groups(model, {"4.*": 0.05}, default_lr=0.01)
    assert [g["lr"] for g in groups] == [0.05, 0.01] and len(groups[1]["params"]) == 1
    opt = optim.Adam(groups)
    tr, _ = _loaders()
    Trainer(model, nn.CrossEntropyLoss(), opt, progress=False).fit(tr, 2)
    after = dict(model.named_parameters())
    for n in frozen:
        np.testing.assert_array_equal(after[n].numpy(), before[n])
    assert not np.array_equal(after["4.weight"].numpy(), before["4.weight"])
    assert not np.array_equal(after["2.bias"].numpy(), before["2.bias"])
    unfreeze(model)
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match="no parameter name matches"):
        freeze(model, "head.*")
    with pytest.raises(ValueError, match="default_lr"):
        param_groups(model, {"4.*": 0.1})


class MLP(nn.Module):
    def __init__(self, n_in=2, hidden=16, n_out=2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))

    def forward(self, x):
        return self.net(x)


def test_sklearn_wrapper_in_grid_search_and_cross_val():
    model_selection = pytest.importorskip("sklearn.model_selection")
    from nn.sklearn import NeuralNetClassifier, NeuralNetRegressor

    X, y = datasets.make_moons(120, noise=0.1, random_state=0)
    clf = NeuralNetClassifier(MLP, module__hidden=8, lr=0.05, max_epochs=15, batch_size=16)
    gs = model_selection.GridSearchCV(clf, {"lr": [0.01, 0.05], "module__hidden": [8, 16]}, cv=3).fit(X, y)
    assert gs.best_score_ > 0.8 and set(gs.best_params_) == {"lr", "module__hidden"}
    scores = model_selection.cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    rs = model_selection.RandomizedSearchCV(clf, {"lr": [0.01, 0.03, 0.05]}, n_iter=2, cv=2, random_state=0)
    rs.fit(X, y)
    proba = gs.best_estimator_.predict_proba(X)
    assert proba.shape == (120, 2) and np.allclose(proba.sum(1), 1)
    Xr, yr = datasets.make_regression(150, n_features=5, noise=0.0, random_state=0)
    reg = NeuralNetRegressor(MLP, module__n_in=5, module__n_out=1, module__hidden=32, lr=0.01, max_epochs=30)
    r2 = model_selection.cross_val_score(reg, Xr, yr, cv=2)
    assert r2.mean() > 0.5
    with pytest.raises(TypeError, match="unexpected arguments"):
        NeuralNetClassifier(MLP, learning_rate=0.1)
    with pytest.raises(RuntimeError, match="not fitted"):
        NeuralNetClassifier(MLP).predict(X)


def test_seed_notes_digits_workflow_reaches_97_percent():
    pytest.importorskip("sklearn")
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = datasets.load_digits(scale=False)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=42)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr).astype(np.float32), scaler.transform(X_te).astype(np.float32)
    A.manual_seed(42)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    train = DataLoader(TensorDataset(A.tensor(X_tr), A.tensor(y_tr)), batch_size=32, shuffle=True, generator=42)
    test = DataLoader(TensorDataset(A.tensor(X_te), A.tensor(y_te)), batch_size=256)
    t = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                metrics={"accuracy": metrics.accuracy}, progress=False)
    t.fit(train, epochs=20)
    acc = t.evaluate(test)["accuracy"]
    assert acc >= 0.97, f"digits test accuracy {acc:.4f}"


def test_seed_notes_regression_workflow_end_to_end(tmp_path):
    X, y = datasets.make_regression(1200, n_features=8, noise=0.1, random_state=0)
    mu, sd = X[:900].mean(0), X[:900].std(0)
    X = (X - mu) / sd
    tr = DataLoader(TensorDataset(A.tensor(X[:900]), A.tensor(y[:900])), batch_size=32, shuffle=True, generator=0)
    va = DataLoader(TensorDataset(A.tensor(X[900:]), A.tensor(y[900:])), batch_size=300)

    def block(i, o):
        return [nn.Linear(i, o), nn.ReLU(), nn.BatchNorm1d(o), nn.Dropout(0.1)]

    A.manual_seed(0)

    class Regressor(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(*block(8, 64), *block(64, 32))
            self.head = nn.Linear(32, 1)

        def forward(self, x):
            return self.head(self.body(x)).squeeze(-1)

    model = Regressor()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    best_path = str(tmp_path / "best.npz")
    t = Trainer(model, nn.MSELoss(), opt, scheduler=optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5),
                metrics={"mae": metrics.mean_absolute_error, "r2": metrics.r2_score},
                callbacks=[EarlyStopping(patience=5, restore_best_weights=True),
                           ModelCheckpoint(best_path, save_best_only=True)], progress=False)
    h = t.fit(tr, epochs=40, val_loader=va)
    assert min(h["val_loss"]) < 0.5 * h["val_loss"][0]
    reloaded = Regressor()
    reloaded.load_state_dict(A.load(best_path))
    reloaded.eval()
    model.eval()
    xb = A.tensor(X[900:])
    np.testing.assert_array_equal(reloaded(xb).numpy(), model(xb).numpy())
    assert t.evaluate(va)["r2"] > 0.8
    png = tmp_path / "loss.png"
    h.plot(str(png), keys=["loss"])
    assert png.stat().st_size > 1000
