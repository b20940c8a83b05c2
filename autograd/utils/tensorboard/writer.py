"""``SummaryWriter``, as ``torch.utils.tensorboard``: event files TensorBoard reads, written with the
``tensorboard`` package (``pip install numbagrad[tensorboard]``; imported when a writer is made).

Supported: ``add_scalar``, ``add_scalars`` (one sub-run per key, as PyTorch), ``add_histogram``, ``add_text``,
``flush``, ``close`` and use as a context manager. ``add_graph``, ``add_image`` and the other media summaries
raise NotImplementedError naming the method.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

import numpy as np

from ...tensor import Tensor

__all__ = ["SummaryWriter"]


def _tb():
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as e:
        raise ImportError("SummaryWriter needs the tensorboard package: pip install tensorboard (or "
                          "numbagrad[tensorboard])") from e
    return event_pb2, summary_pb2, EventFileWriter


def _number(x) -> float:
    if isinstance(x, Tensor):
        if x.numel() != 1:
            raise ValueError(f"add_scalar: expected a one-element tensor, got shape {tuple(x.shape)}")
        return float(x.item())
    return float(np.asarray(x).reshape(-1)[0]) if np.ndim(x) else float(x)


def _default_bucket_limits() -> np.ndarray:
    """TensorFlow's default histogram buckets: +-1e-12 * 1.1^k up to 1e20, and 0."""
    pos, v = [], 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    pos = np.array(pos)
    return np.concatenate([-pos[::-1], [0.0], pos, [np.finfo(np.float64).max]])


class SummaryWriter:
    """Writes summaries to an event file under ``log_dir`` (default ``runs/<date>_<host><comment>``)."""

    def __init__(self, log_dir: str | None = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = "") -> None:
        self._event_pb2, self._summary_pb2, self._writer_cls = _tb()
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._writer = self._writer_cls(self.log_dir, max_queue, flush_secs, filename_suffix)
        self._scalar_writers: dict = {}
        self._closed = False

    def get_logdir(self) -> str:
        return self.log_dir

    def _event(self, values: list, global_step, walltime, writer=None) -> None:
        if self._closed:
            raise RuntimeError("SummaryWriter: the writer is closed; make a new one to write more")
        summary = self._summary_pb2.Summary(value=values)
        event = self._event_pb2.Event(summary=summary, wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            event.step = int(global_step)
        (writer or self._writer).add_event(event)

    def add_scalar(self, tag: str, scalar_value, global_step: int | None = None, walltime: float | None = None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """Record ``scalar_value`` (a number or one-element tensor) under ``tag`` at ``global_step``."""
        value = self._summary_pb2.Summary.Value(tag=tag, simple_value=_number(scalar_value))
        self._event([value], global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Several scalars on one chart: each key goes to the run ``log_dir/<main_tag>_<key>``, tag ``main_tag``."""
        for tag, v in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            writer = self._scalar_writers.get(path)
            if writer is None:
                writer = self._scalar_writers[path] = self._writer_cls(path, self.max_queue, self.flush_secs,
                                                                       self.filename_suffix)
            value = self._summary_pb2.Summary.Value(tag=main_tag, simple_value=_number(v))
            self._event([value], global_step, walltime, writer)

    def add_histogram(self, tag: str, values, global_step: int | None = None, bins="tensorflow",
                      walltime: float | None = None, max_bins: int | None = None) -> None:
        """A histogram of ``values`` (``bins``: 'tensorflow' for TensorFlow's buckets, or numpy's ``bins``)."""
        v = (values.numpy() if isinstance(values, Tensor) else np.asarray(values)).astype(np.float64).reshape(-1)
        if v.size == 0:
            raise ValueError("add_histogram: the input has no elements")
        edges = _default_bucket_limits() if isinstance(bins, str) and bins == "tensorflow" else bins
        counts, limits = np.histogram(v, bins=edges)
        nonzero = np.flatnonzero(counts)
        lo, hi = nonzero[0], nonzero[-1] + 1
        counts, limits = counts[lo:hi], limits[lo + 1:hi + 1]  # a bucket is named by its right edge
        proto = self._summary_pb2.HistogramProto(min=float(v.min()), max=float(v.max()), num=int(v.size),
                                                 sum=float(v.sum()), sum_squares=float(v @ v),
                                                 bucket_limit=limits.tolist(), bucket=counts.tolist())
        self._event([self._summary_pb2.Summary.Value(tag=tag, histo=proto)], global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Text (markdown) shown in TensorBoard's text tab."""
        from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2

        meta = self._summary_pb2.SummaryMetadata(
            plugin_data=self._summary_pb2.SummaryMetadata.PluginData(plugin_name="text"))
        tensor = tensor_pb2.TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
                                        tensor_shape=tensor_shape_pb2.TensorShapeProto(
                                            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)]))
        value = self._summary_pb2.Summary.Value(tag=tag + "/text_summary", metadata=meta, tensor=tensor)
        self._event([value], global_step, walltime)

    def _unsupported(self, name: str):
        def method(*args, **kwargs):
            raise NotImplementedError(f"SummaryWriter.{name} is not supported by numbagrad (supported: add_scalar, "
                                      f"add_scalars, add_histogram, add_text)")
        return method

    def __getattr__(self, name: str):
        if name.startswith("add_"):
            return self._unsupported(name)
        raise AttributeError(f"'SummaryWriter' object has no attribute {name!r}")

    def flush(self) -> None:
        self._writer.flush()
        for w in self._scalar_writers.values():
            w.flush()

    def close(self) -> None:
        if self._closed:
            return
        self.flush()
        self._writer.close()
        for w in self._scalar_writers.values():
            w.close()
        self._closed = True

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
