"""Every metric equals scikit-learn's on random cases."""

import numpy as np
import pytest

import autograd as A
from nn import metrics as M

skm = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_classes", [2, 4])
def test_classification_metrics_match_sklearn(seed, n_classes):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, n_classes, 60)
    p = np.where(rng.random(60) < 0.6, t, rng.integers(0, n_classes, 60))
    assert M.accuracy_score(t, p) == pytest.approx(skm.accuracy_score(t, p))
    assert M.accuracy_score(t, p, normalize=False) == skm.accuracy_score(t, p, normalize=False)
    np.testing.assert_array_equal(M.confusion_matrix(t, p), skm.confusion_matrix(t, p))
    averages = ["macro", "micro", "weighted", None] + (["binary"] if n_classes == 2 else [])
    for avg in averages:
        for ours, theirs in [(M.precision_score, skm.precision_score), (M.recall_score, skm.recall_score),
                             (M.f1_score, skm.f1_score)]:
            np.testing.assert_allclose(ours(t, p, average=avg), theirs(t, p, average=avg, zero_division=0),
                                       err_msg=f"{ours.__name__} average={avg}")


def test_zero_division_and_missing_classes():
    t = np.array([0, 0, 1, 1])
    p = np.array([0, 0, 0, 0])
    for avg in ["binary", "macro", "weighted", "micro"]:
        assert M.precision_score(t, p, average=avg) == pytest.approx(skm.precision_score(t, p, average=avg, zero_division=0))
        assert M.f1_score(t, p, average=avg) == pytest.approx(skm.f1_score(t, p, average=avg, zero_division=0))
    with pytest.raises(ValueError, match="multiclass"):
        M.f1_score([0, 1, 2], [0, 1, 2])


def test_tensors_and_logits_accepted():
    logits = A.tensor([[2.0, 0.1], [0.2, 1.0], [3.0, -1.0]])
    y = A.tensor([0, 1, 1])
    assert M.accuracy(y, logits) == pytest.approx(2 / 3)
    np.testing.assert_array_equal(M.confusion_matrix(y, logits), [[1, 0], [1, 1]])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        M.accuracy([0, 1], [0, 1, 1])


@pytest.mark.parametrize("seed", range(5))
def test_roc_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, 50)
    s = np.round(rng.random(50) + 0.3 * t, 1)  # rounding makes ties
    for drop in (True, False):
        fpr, tpr, thr = M.roc_curve(t, s, drop_intermediate=drop)
        sfpr, stpr, sthr = skm.roc_curve(t, s, drop_intermediate=drop)
        np.testing.assert_allclose(fpr, sfpr)
        np.testing.assert_allclose(tpr, stpr)
        np.testing.assert_allclose(thr[1:], sthr[1:])
    assert M.roc_auc_score(t, s) == pytest.approx(skm.roc_auc_score(t, s))
    scores = rng.random((50, 3))
    scores /= scores.sum(1, keepdims=True)
    y3 = rng.integers(0, 3, 50)
    for avg in ("macro", "weighted"):
        assert M.roc_auc_score(y3, scores, multi_class="ovr", average=avg) == pytest.approx(
            skm.roc_auc_score(y3, scores, multi_class="ovr", average=avg))
    with pytest.raises(ValueError, match="Only one class"):
        M.roc_auc_score([1, 1], [0.2, 0.3])


@pytest.mark.parametrize("seed", range(5))
def test_regression_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    for shape in [(40,), (40, 3)]:
        t = rng.standard_normal(shape)
        p = t + rng.standard_normal(shape) * 0.5
        assert M.mean_absolute_error(t, p) == pytest.approx(skm.mean_absolute_error(t, p))
        assert M.mean_squared_error(t, p) == pytest.approx(skm.mean_squared_error(t, p))
        assert M.root_mean_squared_error(t, p) == pytest.approx(skm.root_mean_squared_error(t, p))
        assert M.r2_score(t, p) == pytest.approx(skm.r2_score(t, p))
    assert M.r2_score([1.0, 1.0], [1.0, 1.0]) == skm.r2_score([1.0, 1.0], [1.0, 1.0])
    assert M.r2_score([1.0, 1.0], [1.0, 2.0]) == skm.r2_score([1.0, 1.0], [1.0, 2.0])
    assert M.mean_squared_error(A.tensor([1.0, 2.0]), A.tensor([[1.0], [4.0]])) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="different shapes"):
        M.r2_score([1.0, 2.0], [1.0, 2.0, 3.0])
