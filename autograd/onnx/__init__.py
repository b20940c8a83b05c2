"""ONNX export, following ``torch.onnx``: ``autograd.onnx.export(model, args, f, ...)``.

The ``onnx`` package (the ``numbagrad[onnx]`` extra) is imported only when ``export`` runs.
"""

from .export import export
from .graph import UnsupportedOperatorError

__all__ = ["export", "UnsupportedOperatorError"]
