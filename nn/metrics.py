"""Evaluation metrics, with scikit-learn's names, argument order ``(y_true, y_pred)`` and results.

Inputs may be Tensors, numpy arrays or lists. Classification metrics take labels; a 2-D float ``y_pred``
of shape (N, C) (logits or probabilities) is turned into labels by argmax, so a model's output can be passed
as it is. Results are Python floats (or numpy arrays where scikit-learn returns arrays).
"""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor

__all__ = [
    "accuracy", "accuracy_score", "precision", "precision_score", "recall", "recall_score", "f1", "f1_score",
    "precision_recall_fscore_support", "confusion_matrix", "roc_curve", "roc_auc_score", "mean_absolute_error",
    "mean_squared_error", "root_mean_squared_error", "r2_score",
]


def _np(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def _labels(y_pred) -> np.ndarray:
    y = _np(y_pred)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return y.reshape(-1) if y.ndim == 2 else y


def _check_same_length(y_true, y_pred) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"Found input variables with inconsistent numbers of samples: [{len(y_true)}, {len(y_pred)}]")


def accuracy_score(y_true, y_pred, normalize: bool = True) -> float:
    """Fraction (or count, ``normalize=False``) of exact matches."""
    t, p = _np(y_true).reshape(-1), _labels(y_pred)
    _check_same_length(t, p)
    correct = float((t == p).sum())
    return correct / len(t) if normalize else correct


def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """C[i, j] = number of samples of true class labels[i] predicted as labels[j]."""
    t, p = _np(y_true).reshape(-1), _labels(y_pred)
    _check_same_length(t, p)
    labels = np.unique(np.concatenate([t, p])) if labels is None else np.asarray(labels)
    index = {v: i for i, v in enumerate(labels.tolist())}
    cm = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for a, b in zip(t.tolist(), p.tolist()):
        if a in index and b in index:
            cm[index[a], index[b]] += 1
    return cm


def _divide(num, den, zero_division):
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(num.shape, np.nan if zero_division == "nan" else float(zero_division == 1.0), dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def precision_recall_fscore_support(y_true, y_pred, beta: float = 1.0, labels=None, pos_label=1,
                                    average: str | None = None, zero_division=0.0):
    """Per-class or averaged precision, recall, F-beta and support (scikit-learn's definitions)."""
    if zero_division == "warn":
        zero_division = 0.0
    t, p = _np(y_true).reshape(-1), _labels(y_pred)
    _check_same_length(t, p)
    present = np.unique(np.concatenate([t, p]))
    if average == "binary":
        if len(present) > 2:
            raise ValueError(
                f"Target is multiclass but average='binary'. Please choose another average setting, one of "
                f"[None, 'micro', 'macro', 'weighted'] (labels present: {present.tolist()})"
            )
        labels = np.array([pos_label])
    elif labels is None:
        labels = present
    labels = np.asarray(labels)
    tp = np.array([np.sum((t == c) & (p == c)) for c in labels], dtype=np.float64)
    pred_pos = np.array([np.sum(p == c) for c in labels], dtype=np.float64)
    true_pos = np.array([np.sum(t == c) for c in labels], dtype=np.float64)
    if average == "micro":
        tp, pred_pos, true_pos = tp.sum(keepdims=True), pred_pos.sum(keepdims=True), true_pos.sum(keepdims=True)
    precision = _divide(tp, pred_pos, zero_division)
    recall = _divide(tp, true_pos, zero_division)
    b2 = beta * beta
    denom = b2 * precision + recall
    f = _divide((1 + b2) * precision * recall, denom, zero_division)
    f = np.where((precision + recall) == 0, float(zero_division) if zero_division != "nan" else np.nan, f)
    if average is None:
        return precision, recall, f, true_pos.astype(np.int64)
    if average == "weighted":
        w = true_pos
        if w.sum() == 0:
            return float(zero_division), float(zero_division), float(zero_division), None
        avg = lambda v: float(np.average(v, weights=w))  # noqa: E731
    elif average in ("macro", "micro", "binary"):
        avg = lambda v: float(np.mean(v))  # noqa: E731
    else:
        raise ValueError(f"average has to be one of (None, 'micro', 'macro', 'weighted', 'binary'), got {average!r}")
    return avg(precision), avg(recall), avg(f), None


def precision_score(y_true, y_pred, labels=None, pos_label=1, average: str | None = "binary", zero_division=0.0):
    """tp / (tp + fp)"""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
                                           zero_division=zero_division)[0]


def recall_score(y_true, y_pred, labels=None, pos_label=1, average: str | None = "binary", zero_division=0.0):
    """tp / (tp + fn)"""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
                                           zero_division=zero_division)[1]


def f1_score(y_true, y_pred, labels=None, pos_label=1, average: str | None = "binary", zero_division=0.0):
    """2 precision recall / (precision + recall)"""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
                                           zero_division=zero_division)[2]


def _binary_clf_curve(y_true, y_score, pos_label=None):
    t, s = _np(y_true).reshape(-1), _np(y_score).reshape(-1).astype(np.float64)
    _check_same_length(t, s)
    classes = np.unique(t)
    if pos_label is None:
        if not (np.array_equal(classes, [0, 1]) or np.array_equal(classes, [-1, 1]) or np.array_equal(classes, [0])
                or np.array_equal(classes, [1]) or np.array_equal(classes, [-1])):
            raise ValueError(f"y_true takes value in {classes.tolist()} and pos_label is not specified")
        pos_label = 1
    t = t == pos_label
    order = np.argsort(s, kind="mergesort")[::-1]
    s, t = s[order], t[order]
    distinct = np.where(np.diff(s))[0]
    idx = np.r_[distinct, t.size - 1]
    tps = np.cumsum(t)[idx].astype(np.float64)
    fps = 1 + idx - tps
    return fps, tps, s[idx]


def roc_curve(y_true, y_score, pos_label=None, drop_intermediate: bool = True):
    """False-positive rates, true-positive rates and the decreasing thresholds they are reached at."""
    fps, tps, thresholds = _binary_clf_curve(y_true, y_score, pos_label)
    if drop_intermediate and len(fps) > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, thresholds]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds


def roc_auc_score(y_true, y_score, average: str | None = "macro", multi_class: str = "raise", labels=None) -> float:
    """Area under the ROC curve; multi-class one-vs-rest (``multi_class='ovr'``) with (N, C) scores."""
    t, s = _np(y_true).reshape(-1), _np(y_score)
    if s.ndim == 2 and s.shape[1] > 1:
        if multi_class not in ("ovr",):
            raise ValueError("multi_class must be 'ovr' for (N, C) scores (one-vs-rest)")
        classes = np.asarray(labels) if labels is not None else np.unique(t)
        aucs = np.array([_binary_auc(t == c, s[:, i]) for i, c in enumerate(classes)])
        if average is None:
            return aucs
        if average == "weighted":
            return float(np.average(aucs, weights=[np.sum(t == c) for c in classes]))
        return float(np.mean(aucs))
    if len(np.unique(t)) != 2:
        raise ValueError("Only one class present in y_true. ROC AUC score is not defined in that case.")
    return _binary_auc(t == np.unique(t)[1], s.reshape(-1))


def _binary_auc(t, s) -> float:
    fpr, tpr, _ = roc_curve(t.astype(np.int64), s)
    return float(np.trapezoid(tpr, fpr))


def _regression(y_true, y_pred):
    t, p = _np(y_true).astype(np.float64), _np(y_pred).astype(np.float64)
    if t.ndim == 1 and p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred have different shapes: {t.shape} and {p.shape}")
    return t, p


def mean_absolute_error(y_true, y_pred) -> float:
    """mean |y - y_hat|"""
    t, p = _regression(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def mean_squared_error(y_true, y_pred) -> float:
    """mean (y - y_hat)^2"""
    t, p = _regression(y_true, y_pred)
    return float(np.mean((t - p) ** 2))


def root_mean_squared_error(y_true, y_pred) -> float:
    """sqrt(mean (y - y_hat)^2), averaged over outputs for 2-D targets (as scikit-learn)"""
    t, p = _regression(y_true, y_pred)
    return float(np.mean(np.sqrt(np.mean((t - p) ** 2, axis=0))))


def r2_score(y_true, y_pred) -> float:
    """1 - sum (y - y_hat)^2 / sum (y - mean y)^2 (1.0 for a perfect fit of a constant, else 0.0 there)"""
    t, p = _regression(y_true, y_pred)
    ss_res = np.sum((t - p) ** 2, axis=0)
    ss_tot = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot != 0, 1 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))


accuracy = accuracy_score
precision = precision_score
recall = recall_score
f1 = f1_score
