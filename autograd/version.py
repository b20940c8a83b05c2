"""``autograd.version``: PyTorch's ``torch.version``; no CUDA or ROCm is built in (``cuda`` and ``hip`` are None,
as in a CPU build of PyTorch)."""

__version__ = "0.1.0"
cuda = None
hip = None
debug = False
