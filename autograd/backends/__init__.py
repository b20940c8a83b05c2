"""``autograd.backends``: PyTorch's ``torch.backends`` flags. Settable and read back; no backend here uses them
(cuDNN and MPS do not exist on this CPU library, float32 matmuls always run in full precision)."""

from . import cuda, cudnn, mkldnn, mps
