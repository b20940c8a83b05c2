"""scikit-learn compatible estimators wrapping an ``nn.Module``, so that ``GridSearchCV``,
``RandomizedSearchCV`` and ``cross_val_score`` tune and cross-validate models without re-writing them.

    clf = NeuralNetClassifier(MLP, module__hidden=32, lr=1e-2, max_epochs=20)
    GridSearchCV(clf, {"lr": [1e-3, 1e-2], "module__hidden": [16, 32]}, cv=3).fit(X, y)

``module`` is a class (or any callable) building the model; exactly the ``module__<name>`` arguments given are
passed to it (``optimizer__<name>`` ones to the optimizer). ``fit`` always builds a fresh model, seeded by
``random_state``, so cloned estimators in a search are independent and repeatable.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]

try:  # scikit-learn is optional: with it, the estimators carry its tags (classifier/regressor) and mixins
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
except ImportError:  # pragma: no cover
    BaseEstimator = ClassifierMixin = RegressorMixin = object


class _NeuralNet(BaseEstimator):
    _defaults = dict(criterion=None, optimizer="Adam", lr=1e-3, max_epochs=10, batch_size=32, random_state=0,
                     optimizer_kwargs=None, verbose=False)

    def __init__(self, module, **params) -> None:
        unknown = [k for k in params if k not in self._defaults and not k.startswith(("module__", "optimizer__"))]
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {unknown}; valid: "
                            f"{sorted(self._defaults)} and module__*/optimizer__* arguments")
        self.module = module
        for k, v in {**self._defaults, **params}.items():
            setattr(self, k, v)
        self._param_names = ["module", *self._defaults, *[k for k in params if k not in self._defaults]]

    # ---- scikit-learn's estimator protocol ----
    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in self._param_names}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self._param_names:
                if not k.startswith(("module__", "optimizer__")):
                    raise ValueError(f"Invalid parameter {k!r} for estimator {type(self).__name__}")
                self._param_names.append(k)
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._param_names if k != "module")
        return f"{type(self).__name__}(module={getattr(self.module, '__name__', self.module)!r}, {args})"

    def _sub(self, prefix: str) -> dict:
        return {k[len(prefix):]: getattr(self, k) for k in self._param_names if k.startswith(prefix)}

    # ---- training ----
    def _fit(self, X: np.ndarray, y: np.ndarray, criterion):
        import autograd
        import optim
        from autograd.data import DataLoader, TensorDataset

        autograd.manual_seed(self.random_state)
        self.module_ = self.module(**self._sub("module__"))
        opt_cls = getattr(optim, self.optimizer) if isinstance(self.optimizer, str) else self.optimizer
        self.optimizer_ = opt_cls(self.module_.parameters(), lr=self.lr, **(self.optimizer_kwargs or {}),
                                  **self._sub("optimizer__"))
        self.criterion_ = criterion
        loader = DataLoader(TensorDataset(autograd.tensor(X), autograd.tensor(y)), batch_size=self.batch_size,
                            shuffle=True, generator=self.random_state)
        self.module_.train()
        self.loss_curve_ = []
        for _ in range(self.max_epochs):
            total = 0.0
            for xb, yb in loader:
                self.optimizer_.zero_grad()
                loss = self.criterion_(self.module_(xb), yb)
                loss.backward()
                self.optimizer_.step()
                total += loss.item() * len(yb)
            self.loss_curve_.append(total / len(y))
            if self.verbose:
                print(f"epoch {len(self.loss_curve_)}: loss={self.loss_curve_[-1]:.4f}")
        return self

    def _forward(self, X) -> np.ndarray:
        import autograd

        if not hasattr(self, "module_"):
            raise RuntimeError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' first.")
        self.module_.eval()
        with autograd.no_grad():
            return self.module_(autograd.tensor(np.asarray(X, dtype=np.float32))).numpy()


class NeuralNetClassifier(ClassifierMixin, _NeuralNet):
    """Classifier: the module maps (N, n_features) to (N, n_classes) logits; loss CrossEntropyLoss."""

    def fit(self, X, y):
        from .modules.loss import CrossEntropyLoss

        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        criterion = self.criterion() if self.criterion is not None else CrossEntropyLoss()
        return self._fit(X, y_idx.astype(np.int64), criterion)

    def predict_proba(self, X) -> np.ndarray:
        logits = self._forward(X).astype(np.float64)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        logits = self._forward(X)
        return self.classes_[logits.argmax(axis=1)]

    def score(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))


class NeuralNetRegressor(RegressorMixin, _NeuralNet):
    """Regressor: the module maps (N, n_features) to (N,) or (N, 1) predictions; loss MSELoss; score R^2."""

    def fit(self, X, y):
        from .modules.loss import MSELoss

        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.float32)
        criterion = self.criterion() if self.criterion is not None else MSELoss()
        self._y_ndim = y.ndim
        return self._fit(X, y, _ShapeMatched(criterion))

    def predict(self, X) -> np.ndarray:
        out = self._forward(X)
        return out.reshape(-1) if self._y_ndim == 1 and out.ndim == 2 and out.shape[1] == 1 else out

    def score(self, X, y) -> float:
        from .metrics import r2_score

        return r2_score(np.asarray(y), self.predict(X))


class _ShapeMatched:
    """Reshape an (N, 1) prediction to a 1-D target's (N,) before the loss, as users expect."""

    def __init__(self, loss) -> None:
        self.loss = loss

    def __call__(self, out, y):
        if out.ndim == 2 and out.shape[1] == 1 and y.ndim == 1:
            out = out.reshape(-1)
        return self.loss(out, y)
