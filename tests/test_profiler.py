"""autograd.profiler.profile: per-op forward and backward events with self/total times, record_function
ranges, key_averages().table(), the chrome trace, and nothing left patched afterwards."""

import json

import autograd as A
import nn
from autograd.function import Function
from autograd.profiler import ProfilerActivity, profile, record_function


def test_profile_records_forward_and_backward_ops(tmp_path):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    x = A.randn(16, 4)
    from autograd.ops import elementwise, shape

    apply_before, add_before = Function.__dict__["apply"], A.Tensor.__add__
    view_before = shape._view_op
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("train_step"):
            loss = (model(x) + 1).pow(2).mean()
            loss.backward()
        prof.step()
        with A.no_grad():
            _ = x + x  # the inline fast path is recorded too
    assert Function.__dict__["apply"] is apply_before and A.Tensor.__add__ is add_before
    assert elementwise._fast_path is True and shape._view_op is view_before
    avg = {e.key: e for e in prof.key_averages()}
    for name in ("train_step", "Linear", "Pow", "Mean", "Add", "LinearBackward", "PowBackward"):
        assert name in avg, (name, sorted(avg))
    assert avg["Add"].count == 2 and avg["Linear"].count == 2
    step = avg["train_step"]
    assert step.cpu_time_total >= sum(e.cpu_time_total for k, e in avg.items() if k != "train_step" and
                                      k != "Add") * 0.5
    assert step.self_cpu_time_total < step.cpu_time_total
    assert all(e.self_cpu_time_total <= e.cpu_time_total + 1e-6 for e in prof.events())
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=5)
    assert "Self CPU %" in table and "# of Calls" in table and len(table.strip().splitlines()) == 3 + 5 + 2
    shapes = prof.key_averages(group_by_input_shape=True)
    assert any(e.key == "Linear" and "[16, 4]" in e.input_shapes for e in shapes)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    assert {e["name"] for e in json.loads(path.read_text())["traceEvents"]} >= {"Linear", "train_step"}


def test_profile_refuses_cuda_and_records_nothing_when_disabled():
    import pytest

    with pytest.raises(RuntimeError, match="CPU only"):
        profile(activities=[ProfilerActivity.CUDA])
    with profile(enabled=False) as prof:
        A.ones(2) * 2
    assert len(prof.events()) == 0


def test_tensorboard_trace_handler_writes_a_trace(tmp_path):
    from autograd.profiler import schedule, tensorboard_trace_handler

    with profile(schedule=schedule(wait=1, warmup=1, active=2), on_trace_ready=tensorboard_trace_handler(str(tmp_path))):
        A.ones(3).exp()
    (trace,) = list(tmp_path.iterdir())
    assert trace.name.endswith(".pt.trace.json") and "Exp" in trace.read_text()
