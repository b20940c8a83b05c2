"""``DistributedDataParallel``: one replica of the model per process; gradients averaged over processes during
backward, so every replica takes the same optimizer step: grad = (1/N) sum_r grad_r.

How the averaging overlaps backward (as PyTorch's reducer does):

* Parameters are packed, in reverse registration order (roughly the order backward produces their gradients),
  into buckets of at most ``bucket_cap_mb`` megabytes, each with one flat buffer.
* A post-accumulate-grad hook on every parameter counts the gradients that have arrived. When a bucket is full
  its gradients are copied into its buffer, scaled by 1/N, and a non-blocking all-reduce (MPI ``Iallreduce``)
  starts, while backward goes on with earlier layers. Buckets start strictly in index order, so every rank
  issues the same collectives in the same order. Later hooks test the pending requests, which lets MPI progress
  them without a helper thread.
* A callback queued on the engine runs when backward has finished: it starts any bucket not yet started, waits
  for all of them and copies the averaged buffers back into ``.grad``.
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import Iterator

import numpy as np

import autograd
import autograd.distributed as dist
from autograd.engine import queue_callback

from ..module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """Parameters whose gradients are reduced together through one flat buffer."""

    def __init__(self, params: list, dtype) -> None:
        self.params = params
        self.offsets = []
        n = 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        self.flat = np.zeros(n, dtype)
        self.tensor = autograd.from_numpy(self.flat)


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward`` averages its gradients over every process of the default group.

    ``dim``, ``gradient_as_bucket_view`` and ``static_graph`` are accepted, as in PyTorch, and change nothing
    here; ``device_ids``/``output_device`` may only name the CPU."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None, bucket_cap_mb: float = 25.0,
                 find_unused_parameters: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel needs the default process group: call "
                               "autograd.distributed.init_process_group() first (and launch with mpiexec or "
                               "python -m autograd.distributed.run)")
        if device_ids not in (None, [], ["cpu"]) or output_device not in (None, "cpu"):
            raise ValueError("device_ids/output_device name accelerators; this library runs on the CPU: omit them")
        if process_group is not None:
            raise ValueError("only the default process group is supported: omit process_group")
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.world_size = dist.get_world_size()

        # every replica starts from rank 0's weights
        for t in self._module_tensors(buffers=True):
            dist.broadcast(t.detach(), src=0)

        seen, params = set(), []
        for name, p in module.named_parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append((name, p))
        self._param_names = {id(p): name for name, p in params}
        self._buckets = self._make_buckets([p for _, p in reversed(params)], bucket_cap_mb * 2**20)
        self._where = {}  # id(param) -> bucket index
        for b, bucket in enumerate(self._buckets):
            for p in bucket.params:
                self._where[id(p)] = b
        self._pass = None  # the reduction of the backward pass in progress
        self._sync_this_backward = True
        # what the benchmark reports: seconds blocked on communication at the end of backward, and how many
        # bucket reductions were started / already finished when backward ended (summed over passes)
        self._wait_seconds = 0.0
        self._buckets_started = 0
        self._buckets_done_early = 0
        ref = weakref.ref(self)
        self._handles = [p.register_post_accumulate_grad_hook(_hook_for(ref)) for _, p in params]

    @staticmethod
    def _make_buckets(params: list, cap_bytes: float) -> list:
        buckets, current, size = [], [], 0
        for p in params:
            nbytes = p.numel() * p.dtype.itemsize
            if current and (size + nbytes > cap_bytes or p.dtype != current[0].dtype):
                buckets.append(_Bucket(current, current[0].dtype))
                current, size = [], 0
            current.append(p)
            size += nbytes
        if current:
            buckets.append(_Bucket(current, current[0].dtype))
        return buckets

    def _module_tensors(self, buffers: bool) -> Iterator:
        yield from self.module.parameters()
        if buffers:
            yield from self.module.buffers()

    def forward(self, *inputs, **kwargs):
        if self._pass is not None:  # a backward that failed half-way: its reduction is abandoned
            self._pass = None
        if self.broadcast_buffers and self.require_forward_param_sync and self.world_size > 1:
            for b in self.module.buffers():
                dist.broadcast(b.detach(), src=0)
        # as in PyTorch, the forward decides whether the backward of its graph synchronises (no_sync)
        self._sync_this_backward = self.require_backward_grad_sync and autograd.is_grad_enabled()
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes of forwards run inside this context only accumulate gradients locally; the first
        backward after it averages everything accumulated."""
        prev = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = prev

    # ---- the reducer ----
    def _on_grad(self, p) -> None:
        if not self._sync_this_backward:
            return
        state = self._pass
        if state is None:
            state = self._pass = {"ready": [0] * len(self._buckets), "fired": set(), "next": 0, "works": []}
            queue_callback(self._finalize)
        if id(p) in state["fired"]:
            return
        state["fired"].add(id(p))
        b = self._where[id(p)]
        state["ready"][b] += 1
        if state["ready"][b] == len(self._buckets[b].params):
            while state["next"] < len(self._buckets) and \
                    state["ready"][state["next"]] == len(self._buckets[state["next"]].params):
                self._launch(state, state["next"])
                state["next"] += 1
        else:
            for w in state["works"]:  # lets MPI progress the buckets in flight
                w.is_completed()

    def _launch(self, state: dict, b: int) -> None:
        bucket = self._buckets[b]
        flat = bucket.flat
        for p, off in zip(bucket.params, bucket.offsets):
            n = p.numel()
            if p.grad is None:
                flat[off:off + n] = 0
            else:
                flat[off:off + n] = p.grad.numpy().reshape(-1)
        flat *= 1.0 / self.world_size
        state["works"].append(dist.all_reduce(bucket.tensor, async_op=True))

    def _finalize(self) -> None:
        state, self._pass = self._pass, None
        if state is None:
            return
        missing = [self._param_names[id(p)] for bucket in self._buckets for p in bucket.params
                   if id(p) not in state["fired"]]
        while state["next"] < len(self._buckets):  # buckets holding parameters that got no gradient
            self._launch(state, state["next"])
            state["next"] += 1
        self._buckets_started += len(state["works"])
        self._buckets_done_early += sum(w.is_completed() for w in state["works"])
        t0 = time.perf_counter()
        for w in state["works"]:
            w.wait()
        self._wait_seconds += time.perf_counter() - t0
        with autograd.no_grad():
            for bucket in self._buckets:
                for p, off in zip(bucket.params, bucket.offsets):
                    avg = bucket.flat[off:off + p.numel()].reshape(p.shape)
                    if p.grad is None:
                        p.grad = autograd.from_numpy(avg.copy())
                    else:
                        p.grad.copy_(autograd.from_numpy(avg))
        if missing and not self.find_unused_parameters:
            raise RuntimeError(
                f"DistributedDataParallel: parameters {missing} received no gradient in this backward on rank "
                f"{dist.get_rank()}; if the forward does not use every parameter, pass "
                "find_unused_parameters=True (their gradient is then the average of the ranks that used them, "
                "counting this rank as zero)"
            )


def _hook_for(ref):
    """A hook that refers to its DistributedDataParallel weakly, so that the parameters do not keep it alive."""

    def hook(p) -> None:
        ddp = ref()
        if ddp is not None:
            ddp._on_grad(p)

    return hook
