"""SummaryWriter writes real event files: read back with TensorBoard's own EventAccumulator."""

import os

import numpy as np
import pytest

import autograd as A
from autograd.utils.tensorboard import SummaryWriter

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def _load(path):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_scalars_histograms_text_round_trip(tmp_path):
    with SummaryWriter(log_dir=str(tmp_path)) as w:
        for step in range(5):
            w.add_scalar("loss/train", 1.0 / (step + 1), step)
        w.add_scalar("acc", A.tensor(0.75), global_step=7)
        w.add_scalars("run", {"a": 1.5, "b": A.tensor([2.5])}, 3)
        values = np.random.default_rng(0).standard_normal(1000)
        w.add_histogram("weights", A.tensor(values), 2)
        w.add_histogram("np_bins", values, 2, bins=10)
        w.add_text("note", "hello **tensorboard**", 1)
        with pytest.raises(NotImplementedError, match="SummaryWriter.add_image is not supported by numbagrad"):
            w.add_image("img", A.zeros(3, 4, 4))
    acc = _load(tmp_path)
    tags = acc.Tags()
    assert {"loss/train", "acc"} <= set(tags["scalars"])
    loss = acc.Scalars("loss/train")
    assert [e.step for e in loss] == list(range(5))
    np.testing.assert_allclose([e.value for e in loss], [1 / (s + 1) for s in range(5)], rtol=1e-6)
    assert acc.Scalars("acc")[0].value == 0.75 and acc.Scalars("acc")[0].step == 7
    h = acc.Histograms("weights")[0]
    assert h.step == 2 and h.histogram_value.num == 1000
    assert sum(h.histogram_value.bucket) == 1000
    np.testing.assert_allclose(h.histogram_value.sum, values.sum(), rtol=1e-9)
    assert sum(acc.Histograms("np_bins")[0].histogram_value.bucket) == 1000
    assert "note/text_summary" in tags["tensors"]
    text = acc.Tensors("note/text_summary")[0].tensor_proto.string_val[0].decode()
    assert text == "hello **tensorboard**"
    for key, value in (("a", 1.5), ("b", 2.5)):
        sub = _load(os.path.join(tmp_path, f"run_{key}"))
        assert sub.Scalars("run")[0].value == value and sub.Scalars("run")[0].step == 3


def test_closed_writer_and_default_logdir(tmp_path, monkeypatch):
    from autograd.utils.tensorboard.writer import SummaryWriter as W

    assert W is SummaryWriter
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_x")
    assert w.get_logdir().startswith("runs") and w.get_logdir().endswith("_x")
    w.close()
    with pytest.raises(RuntimeError, match="closed"):
        w.add_scalar("a", 1.0)
