"""``device``: PyTorch's device objects (``'cpu'``, ``'cuda:1'``, ...). Every tensor here lives on the CPU.

``device('cuda')`` is a valid object, as in PyTorch; putting a tensor or module on it raises the one error
of ``require_cpu`` ("CUDA is not available: numbagrad runs on the CPU; use device='cpu'").
"""

from __future__ import annotations

_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
          "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:  # noqa: N801 - PyTorch's spelling
    """``device(type, index=None)`` or ``device('type:index')``; ``.type`` and ``.index`` (None if unset)."""

    __slots__ = ("_type", "_index")

    def __init__(self, type, index: int | None = None) -> None:  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): an index cannot be given with a device object")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, int) and not isinstance(type, bool):  # device(0): an accelerator ordinal
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string, a device or an int, got {builtins_type(type).__name__}")
        name = type
        if ":" in name:
            if index is not None:
                raise ValueError(f"device(): type {name!r} already names an index; do not pass index= too")
            name, _, idx = name.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r} (expected 'type' or 'type:index', e.g. 'cuda:0')")
            index = int(idx)
        if name not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self._type, self._index = name, index

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> int | None:
        return self._index

    def __eq__(self, other) -> bool:
        if not isinstance(other, device):  # as in PyTorch, device('cpu') == 'cpu' is False
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type={self._type!r})"
        return f"device(type={self._type!r}, index={self._index})"

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __reduce__(self):
        return (device, (self._type, self._index))


builtins_type = type
CPU = device("cpu")


def cuda_unavailable() -> RuntimeError:
    """The one error every use of a CUDA device raises."""
    return RuntimeError("CUDA is not available: numbagrad runs on the CPU; use device='cpu'")


def require_cpu(dev) -> device:
    """``dev`` (None, a string, an int or a device) as the CPU device; any other device raises RuntimeError."""
    if dev is None or dev is CPU:
        return CPU
    d = dev if isinstance(dev, device) else device(dev)
    if d._type == "cpu":
        return CPU
    if d._type == "cuda":
        raise cuda_unavailable()
    raise RuntimeError(f"device {str(d)!r} is not available: numbagrad runs on the CPU; use device='cpu'")


def is_device_like(obj) -> bool:
    """Whether ``obj`` names a device (a device object, or a string such as 'cpu' or 'cuda:0')."""
    if isinstance(obj, device):
        return True
    return isinstance(obj, str) and obj.partition(":")[0] in _TYPES


def parse_to_args(args: tuple, device_=None, dtype=None, non_blocking: bool = False, copy: bool = False):
    """``(device, dtype, copy)`` from the positional forms of ``Tensor.to``/``Module.to``: ``(dtype)``,
    ``(device)``, ``(device, dtype)``, ``(tensor)``, each followed by optional ``non_blocking, copy``."""
    flags = []
    for a in args:
        if isinstance(a, bool):
            flags.append(a)
        elif hasattr(a, "_data") and hasattr(a, "grad_fn"):  # a Tensor: its dtype and device
            dtype, device_ = a.dtype, CPU
        elif isinstance(a, device) or (isinstance(a, (str, int)) and is_device_like_arg(a)):
            device_ = a
        elif a is not None:
            dtype = a
    if len(flags) > 2:
        raise TypeError(f"to() takes at most two flags (non_blocking, copy), got {len(flags)}")
    if len(flags) == 2:
        copy = flags[1]
    return device_, dtype, bool(copy)


def is_device_like_arg(a) -> bool:
    if isinstance(a, int):
        return True  # to(0): device ordinal
    return is_device_like(a)


def set_default_device(device) -> None:
    """Only the CPU (or None) can be the default device here; anything else raises the library's device error."""
    require_cpu(device)


def get_default_device() -> device:
    return CPU
