"""Tensor.register_post_accumulate_grad_hook and autograd.engine.queue_callback (what DistributedDataParallel
builds on), against PyTorch's."""

import numpy as np
import pytest

import autograd
from autograd.engine import queue_callback


def _run(lib, seen, twice=False):
    w = lib.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = lib.tensor(np.array([0.5]), requires_grad=True)

    def hook(p):
        seen.append(("w" if p is w else "b", p.grad.numpy().copy()))

    w.register_post_accumulate_grad_hook(hook)
    handle = b.register_post_accumulate_grad_hook(hook)
    for _ in range(2 if twice else 1):
        ((w * w).sum() + (w * b).sum()).backward()
    handle.remove()
    (w * b).sum().backward()
    return w, b


def test_post_accumulate_grad_hook_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = [], []
    _run(autograd, ours, twice=True)
    _run(torch, theirs, twice=True)
    assert [k for k, _ in sorted(ours, key=lambda e: e[0])] == [k for k, _ in sorted(theirs, key=lambda e: e[0])]
    for name in ("w", "b"):
        a = [g for k, g in ours if k == name]
        t = [g for k, g in theirs if k == name]
        assert len(a) == len(t)  # once per backward, not after the removed handle's backward
        for x, y in zip(a, t):
            np.testing.assert_allclose(x, y)  # the hook sees the accumulated .grad


def test_post_accumulate_grad_hook_rejects_non_leaves():
    x = autograd.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        autograd.ones(2).register_post_accumulate_grad_hook(lambda p: None)


def test_queue_callback_runs_once_after_the_whole_pass():
    x = autograd.ones(3, requires_grad=True)
    y = autograd.ones(3, requires_grad=True)
    log = []

    def at_end():
        log.append(("end", x.grad is not None and y.grad is not None))

    def hook(p):
        log.append("hook")
        if len(log) == 1:
            queue_callback(at_end)
            queue_callback(lambda: queue_callback(lambda: log.append("nested")))

    x.register_post_accumulate_grad_hook(hook)
    y.register_post_accumulate_grad_hook(hook)
    (x * y).sum().backward()
    assert log == ["hook", "hook", ("end", True), "nested"]
    (x * y).sum().backward()  # a later pass does not rerun the callbacks of the first
    assert log.count(("end", True)) == 1


def test_queue_callback_outside_backward_raises():
    with pytest.raises(RuntimeError, match="while a backward pass is running"):
        queue_callback(lambda: None)


def test_queue_callback_belongs_to_the_pass_of_its_own_thread():
    import threading

    results, errors = {}, []

    def work(k):
        try:
            for _ in range(20):
                x = autograd.ones(50, requires_grad=True)
                seen = []
                x.register_post_accumulate_grad_hook(lambda p: queue_callback(lambda: seen.append(threading.get_ident())))
                (x * k).sum().backward()
                assert seen == [threading.get_ident()], seen
                assert float(x.grad[0]) == k
            results[k] = True
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in (2.0, 3.0, 5.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 3, errors
