"""``Tensor``: a numpy array, a gradient, and the node of the graph that produced it.

Every math method here is a one-line call into ``autograd.ops``, where each op's forward and backward stand
together. What lives here is only what a tensor *is*: its array, ``grad``, ``requires_grad``, ``grad_fn``,
a version counter (bumped by in-place ops, checked by backward), conversions, and the in-place machinery.
"""

from __future__ import annotations

import builtins
import copy

import numpy as np

from . import _device, dtypes


def _make(data: np.ndarray, requires_grad: bool = False, grad_fn=None) -> Tensor:
    """Wrap an ndarray without copying or checking (the library's internal constructor)."""
    t = object.__new__(Tensor)
    _init(t, data, requires_grad, grad_fn)
    return t


def _init(t: Tensor, data: np.ndarray, requires_grad: bool, grad_fn) -> None:
    t._data = data
    t._requires_grad = requires_grad
    t._grad = None
    t.grad_fn = grad_fn
    t._out_idx = 0
    t._version = [0]
    t._accum = None
    t._hooks = None
    t._base = None
    t._name = None


def _shape_args(args) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(int(a) for a in args)


class Tensor:
    """An n-dimensional array that records the ops applied to it so that gradients can flow back.

    Attributes follow PyTorch: ``shape``, ``ndim``, ``dtype``, ``data`` (a detached Tensor sharing memory),
    ``grad``, ``requires_grad``, ``grad_fn``, ``is_leaf``.
    """

    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_out_idx", "_version", "_accum", "_hooks",
                 "_base", "_name", "__weakref__")
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray + Tensor -> Tensor
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad: bool = False) -> None:
        from .creation import _to_array

        _init(self, _to_array(data, dtype), False, None)
        if requires_grad:
            self.requires_grad_(True)

    # ---- what a tensor is ----
    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> _device.device:
        return _device.CPU

    is_cuda = False
    is_cpu = True

    def get_device(self) -> int:
        """-1: the tensor is on the CPU (as PyTorch answers for CPU tensors)."""
        return -1

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: grad shape {tuple(value.shape)}, "
                    f"tensor shape {tuple(self.shape)}"
                )
        self._grad = value

    @property
    def data(self) -> Tensor:
        return _make(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def T(self) -> Tensor:
        return _shape.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return _shape.transpose(self, -2, -1)

    def numpy(self) -> np.ndarray:
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar; "
                               f"use .tolist() for all its values, or reduce it first (.sum(), .mean())")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def size(self, dim: int | None = None):
        if dim is None:
            return self._data.shape
        return self._data.shape[_shape.canonical_dim(dim, self.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A copy of a leaf's data, ``requires_grad`` and ``grad`` (graph nodes are not copied, as in torch)."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol; "
                "detach() first"
            )
        if id(self) in memo:
            return memo[id(self)]
        out = object.__new__(type(self))
        _init(out, self._data.copy(), self._requires_grad, None)
        memo[id(self)] = out
        if self._grad is not None:
            out._grad = _make(self._grad._data.copy())
        for cls in type(self).__mro__:  # slots a subclass adds (e.g. a Buffer's `persistent`)
            if cls is Tensor:
                break
            for slot in cls.__dict__.get("__slots__", ()):
                if hasattr(self, slot):
                    object.__setattr__(out, slot, copy.deepcopy(getattr(self, slot), memo))
        return out

    def __repr__(self) -> str:
        return _format.tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 or (self._data.size == 1 and spec):
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous; use .any() or .all()"
            )
        return builtins.bool(self._data.item())

    def __int__(self) -> int:
        return int(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be converted to an index "
                f"(got dtype {self.dtype}, shape {tuple(self.shape)})"
            )
        return int(self._data.item())

    # ---- autodiff ----
    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``gradient`` seeds non-scalar outputs)."""
        _engine.run_backward((self,), () if gradient is None else (gradient,),
                             create_graph if retain_graph is None else retain_graph, create_graph)

    def detach(self) -> Tensor:
        """A tensor sharing this one's memory (and version counter), cut from the graph."""
        t = _make(self._data)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def as_subclass(self, cls: type) -> Tensor:
        """A ``cls`` instance (``cls`` a subclass of Tensor) sharing this tensor's memory and version counter, as
        PyTorch's; when this tensor requires grad the result is a view of it in the graph, so gradients reach it.
        Subclasses such as ``nn.Parameter`` build their instances with it."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError(f"as_subclass: cls must be a subclass of Tensor, got {cls!r}")
        src = self.view_as(self) if self._requires_grad else self
        out = object.__new__(cls)
        _init(out, src._data, src._requires_grad, src.grad_fn)
        out._out_idx, out._version, out._base = src._out_idx, src._version, src._base
        return out

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        requires_grad = builtins.bool(requires_grad)
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (got dtype {self.dtype})"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use detach() to get a "
                "tensor that does not require grad"
            )
        self._requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn.retain(self._out_idx, self)

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return fn is not None and builtins.bool(fn._retained) and self._out_idx in fn._retained

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            self.grad_fn.register_hook(self._out_idx, hook)
            hooks = self.grad_fn._hooks[self._out_idx]
        else:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            hooks = self._hooks
        from .utils.hooks import RemovableHandle  # here: autograd.utils imports Tensor

        return RemovableHandle(hooks, hook=hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` on a leaf after backward has added its gradient into ``self.grad``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .function import _edge

        node = _edge(self)[0]
        if node._post_hooks is None:
            node._post_hooks = []
        node._post_hooks.append(hook)
        from .utils.hooks import RemovableHandle  # here: autograd.utils imports Tensor

        return RemovableHandle(node._post_hooks, hook=hook)

    # ---- conversions ----
    def to(self, *args, device=None, dtype=None, non_blocking: bool = False, copy: bool = False,
           memory_format=None) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``, with ``non_blocking``/``copy``;
        returns self when nothing changes and ``copy`` is False, as in PyTorch."""
        device, dtype, copy = _device.parse_to_args(args, device, dtype, non_blocking, copy)
        _device.require_cpu(device)
        if dtype is not None and dtypes.as_dtype(dtype) != self._data.dtype:
            return _elementwise.cast(self, dtype)
        return _elementwise.clone(self) if copy else self

    def astype(self, dtype) -> Tensor:
        return _elementwise.cast(self, dtypes.as_dtype(dtype))

    def type(self, dtype=None):
        if dtype is None:
            return _format.type_name(self.dtype)
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool)

    def cpu(self, memory_format=None) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
        raise _device.cuda_unavailable()

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def clone(self) -> Tensor:
        return _elementwise.clone(self)

    def contiguous(self) -> Tensor:
        return self if self._data.flags.c_contiguous else _elementwise.clone(self)

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    def new_tensor(self, data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
        _device.require_cpu(device)
        return _creation.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
        _device.require_cpu(device)
        return _creation.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
        _device.require_cpu(device)
        return _creation.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
        _device.require_cpu(device)
        return _creation.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
        _device.require_cpu(device)
        return _creation.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    # ---- operators ----
    def __add__(self, other): return _add(self, other)
    def __radd__(self, other): return _elementwise.add(other, self)
    def __sub__(self, other): return _sub(self, other)
    def __rsub__(self, other): return _elementwise.sub(other, self)
    def __mul__(self, other): return _mul(self, other)
    def __rmul__(self, other): return _elementwise.mul(other, self)
    def __truediv__(self, other): return _elementwise.div(self, other)
    def __rtruediv__(self, other): return _elementwise.div(other, self)
    def __floordiv__(self, other): return _elementwise.floor_divide(self, other)
    def __rfloordiv__(self, other): return _elementwise.floor_divide(other, self)
    def __mod__(self, other): return _elementwise.remainder(self, other)
    def __rmod__(self, other): return _elementwise.remainder(other, self)
    def __pow__(self, other): return _elementwise.pow(self, other)
    def __rpow__(self, other): return _elementwise.pow(other, self)
    def __matmul__(self, other): return _linalg.matmul(self, other)
    def __rmatmul__(self, other): return _linalg.matmul(other, self)
    def __neg__(self): return _elementwise.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _elementwise.abs(self)
    def __invert__(self): return _elementwise.bitwise_not(self)
    def __and__(self, other): return _elementwise.logical_and(self, other)
    def __rand__(self, other): return _elementwise.logical_and(other, self)
    def __or__(self, other): return _elementwise.logical_or(self, other)
    def __ror__(self, other): return _elementwise.logical_or(other, self)
    def __xor__(self, other): return _elementwise.logical_xor(self, other)
    def __rxor__(self, other): return _elementwise.logical_xor(other, self)
    def __lt__(self, other): return _elementwise.lt(self, other)
    def __le__(self, other): return _elementwise.le(self, other)
    def __gt__(self, other): return _elementwise.gt(self, other)
    def __ge__(self, other): return _elementwise.ge(self, other)
    def __eq__(self, other): return _elementwise.eq(self, other)  # type: ignore[override]
    def __ne__(self, other): return _elementwise.ne(self, other)  # type: ignore[override]
    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)
    def __getitem__(self, index): return _indexing.getitem(self, index)
    def __setitem__(self, index, value): _indexing.setitem(self, index, value)

    # ---- elementwise math ----
    def add(self, other, alpha=1): return _elementwise.add(self, other, alpha=alpha)
    def sub(self, other, alpha=1): return _elementwise.sub(self, other, alpha=alpha)
    subtract = sub
    def mul(self, other): return _elementwise.mul(self, other)
    multiply = mul
    def div(self, other, rounding_mode=None): return _elementwise.div(self, other, rounding_mode=rounding_mode)
    divide = div
    true_divide = div
    def floor_divide(self, other): return _elementwise.floor_divide(self, other)
    def remainder(self, other): return _elementwise.remainder(self, other)
    def pow(self, exponent): return _elementwise.pow(self, exponent)
    def neg(self): return _elementwise.neg(self)
    negative = neg
    def exp(self): return _elementwise.exp(self)
    def expm1(self): return _elementwise.expm1(self)
    def log(self): return _elementwise.log(self)
    def log1p(self): return _elementwise.log1p(self)
    def log2(self): return _elementwise.log2(self)
    def log10(self): return _elementwise.log10(self)
    def sqrt(self): return _elementwise.sqrt(self)
    def rsqrt(self): return _elementwise.rsqrt(self)
    def square(self): return _elementwise.square(self)
    def reciprocal(self): return _elementwise.reciprocal(self)
    def abs(self): return _elementwise.abs(self)
    def sign(self): return _elementwise.sign(self)
    def sin(self): return _elementwise.sin(self)
    def cos(self): return _elementwise.cos(self)
    def tan(self): return _elementwise.tan(self)
    def tanh(self): return _elementwise.tanh(self)
    def sigmoid(self): return _elementwise.sigmoid(self)
    def relu(self): return _elementwise.relu(self)
    def floor(self): return _elementwise.floor(self)
    def ceil(self): return _elementwise.ceil(self)
    def round(self, decimals=0): return _elementwise.round(self, decimals=decimals)
    def trunc(self): return _elementwise.trunc(self)
    def clamp(self, min=None, max=None): return _elementwise.clamp(self, min, max)  # noqa: A002
    clip = clamp
    def maximum(self, other): return _elementwise.maximum(self, other)
    def minimum(self, other): return _elementwise.minimum(self, other)
    def where(self, condition, other): return _elementwise.where(condition, self, other)
    def lerp(self, end, weight): return _elementwise.lerp(self, end, weight)
    def isnan(self): return _elementwise.isnan(self)
    def isinf(self): return _elementwise.isinf(self)
    def isfinite(self): return _elementwise.isfinite(self)
    def logical_not(self): return _elementwise.logical_not(self)
    def logical_and(self, other): return _elementwise.logical_and(self, other)
    def logical_or(self, other): return _elementwise.logical_or(self, other)
    def eq(self, other): return _elementwise.eq(self, other)
    def ne(self, other): return _elementwise.ne(self, other)
    def lt(self, other): return _elementwise.lt(self, other)
    def le(self, other): return _elementwise.le(self, other)
    def gt(self, other): return _elementwise.gt(self, other)
    def ge(self, other): return _elementwise.ge(self, other)
    def equal(self, other): return builtins.bool(self.shape == other.shape and np.array_equal(self._data, other._data))
    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return builtins.bool(np.allclose(self._data, getattr(other, "_data", other), rtol, atol, equal_nan))

    # ---- reductions ----
    def sum(self, dim=None, keepdim=False, dtype=None): return _reduce.sum(self, dim, keepdim, dtype=dtype)
    def mean(self, dim=None, keepdim=False, dtype=None): return _reduce.mean(self, dim, keepdim, dtype=dtype)
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _reduce.var(self, dim, unbiased, keepdim, correction=correction)
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _reduce.std(self, dim, unbiased, keepdim, correction=correction)
    def prod(self, dim=None, keepdim=False, dtype=None): return _reduce.prod(self, dim, keepdim, dtype=dtype)
    def max(self, dim=None, keepdim=False): return _reduce.max(self, dim, keepdim)
    def min(self, dim=None, keepdim=False): return _reduce.min(self, dim, keepdim)
    def amax(self, dim=(), keepdim=False): return _reduce.amax(self, dim, keepdim)
    def amin(self, dim=(), keepdim=False): return _reduce.amin(self, dim, keepdim)
    def argmax(self, dim=None, keepdim=False): return _reduce.argmax(self, dim, keepdim)
    def argmin(self, dim=None, keepdim=False): return _reduce.argmin(self, dim, keepdim)
    def all(self, dim=None, keepdim=False): return _reduce.all(self, dim, keepdim)
    def any(self, dim=None, keepdim=False): return _reduce.any(self, dim, keepdim)
    def logsumexp(self, dim, keepdim=False): return _reduce.logsumexp(self, dim, keepdim)
    def softmax(self, dim): return _reduce.softmax(self, dim)
    def log_softmax(self, dim): return _reduce.log_softmax(self, dim)
    def cumsum(self, dim): return _reduce.cumsum(self, dim)
    def cumprod(self, dim): return _reduce.cumprod(self, dim)
    def norm(self, p="fro", dim=None, keepdim=False): return _reduce.norm(self, p, dim, keepdim)

    # ---- shape ----
    def reshape(self, *shape): return _shape.reshape(self, _shape_args(shape))
    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
            return self.to(shape[0])  # view(dtype) of PyTorch is a reinterpretation; we only allow same-size casts
        return _shape.view(self, _shape_args(shape))
    def view_as(self, other): return _shape.view(self, other.shape)
    def reshape_as(self, other): return _shape.reshape(self, other.shape)
    def flatten(self, start_dim=0, end_dim=-1): return _shape.flatten(self, start_dim, end_dim)
    def unflatten(self, dim, sizes): return _shape.unflatten(self, dim, sizes)
    def squeeze(self, dim=None): return _shape.squeeze(self, dim)
    def unsqueeze(self, dim): return _shape.unsqueeze(self, dim)
    def transpose(self, dim0, dim1): return _shape.transpose(self, dim0, dim1)
    swapaxes = transpose
    def t(self): return _shape.t(self)
    def permute(self, *dims): return _shape.permute(self, _shape_args(dims))
    def movedim(self, source, destination): return _shape.movedim(self, source, destination)
    def expand(self, *sizes): return _shape.expand(self, _shape_args(sizes))
    def expand_as(self, other): return _shape.expand(self, other.shape)
    def broadcast_to(self, shape): return _shape.expand(self, _shape_args((shape,)))
    def split(self, split_size_or_sections, dim=0): return _shape.split(self, split_size_or_sections, dim)
    def chunk(self, chunks, dim=0): return _shape.chunk(self, chunks, dim)
    def unbind(self, dim=0): return _shape.unbind(self, dim)
    def narrow(self, dim, start, length): return _shape.narrow(self, dim, start, length)
    def repeat(self, *sizes): return _shape.repeat(self, _shape_args(sizes))
    def tile(self, *dims): return _shape.tile(self, _shape_args(dims))
    def flip(self, *dims): return _shape.flip(self, _shape_args(dims))
    def roll(self, shifts, dims=None): return _shape.roll(self, shifts, dims)
    def tril(self, diagonal=0): return _shape.tril(self, diagonal)
    def triu(self, diagonal=0): return _shape.triu(self, diagonal)
    def diagonal(self, offset=0, dim1=0, dim2=1): return _shape.diagonal(self, offset, dim1, dim2)

    # ---- indexing ----
    def gather(self, dim, index): return _indexing.gather(self, dim, index)
    def scatter(self, dim, index, src=None, value=None, reduce=None):
        return _indexing.scatter(self, dim, index, src if src is not None else value, reduce=reduce)
    def scatter_add(self, dim, index, src): return _indexing.scatter_add(self, dim, index, src)
    def index_select(self, dim, index): return _indexing.index_select(self, dim, index)
    def masked_fill(self, mask, value): return _indexing.masked_fill(self, mask, value)
    def masked_select(self, mask): return _indexing.masked_select(self, mask)
    def topk(self, k, dim=-1, largest=True, sorted=True): return _indexing.topk(self, k, dim, largest, sorted)  # noqa: A002
    def sort(self, dim=-1, descending=False, stable=False): return _indexing.sort(self, dim, descending, stable)
    def argsort(self, dim=-1, descending=False, stable=False): return _indexing.argsort(self, dim, descending, stable)
    def nonzero(self, as_tuple=False): return _indexing.nonzero(self, as_tuple)

    # ---- linear algebra ----
    def matmul(self, other): return _linalg.matmul(self, other)
    def mm(self, other): return _linalg.mm(self, other)
    def bmm(self, other): return _linalg.bmm(self, other)
    def dot(self, other): return _linalg.dot(self, other)
    def outer(self, other): return _linalg.outer(self, other)

    # ---- in place: every one goes through _inplace (version counter, leaf checks, graph rebase) ----
    def add_(self, other, alpha=1): return _inplace.apply(self, _elementwise.add, other, alpha=alpha)
    def sub_(self, other, alpha=1): return _inplace.apply(self, _elementwise.sub, other, alpha=alpha)
    def mul_(self, other): return _inplace.apply(self, _elementwise.mul, other)
    def div_(self, other, rounding_mode=None):
        return _inplace.apply(self, _elementwise.div, other, rounding_mode=rounding_mode)
    def pow_(self, exponent): return _inplace.apply(self, _elementwise.pow, exponent)
    def neg_(self): return _inplace.apply(self, _elementwise.neg)
    def exp_(self): return _inplace.apply(self, _elementwise.exp)
    def log_(self): return _inplace.apply(self, _elementwise.log)
    def sqrt_(self): return _inplace.apply(self, _elementwise.sqrt)
    def abs_(self): return _inplace.apply(self, _elementwise.abs)
    def tanh_(self): return _inplace.apply(self, _elementwise.tanh)
    def sigmoid_(self): return _inplace.apply(self, _elementwise.sigmoid)
    def relu_(self): return _inplace.apply(self, _elementwise.relu)
    def clamp_(self, min=None, max=None): return _inplace.apply(self, _elementwise.clamp, min, max)  # noqa: A002
    clip_ = clamp_
    def addcmul_(self, tensor1, tensor2, value=1):
        return _inplace.apply(self, _elementwise.addcmul, tensor1, tensor2, value=value)
    def addcdiv_(self, tensor1, tensor2, value=1):
        return _inplace.apply(self, _elementwise.addcdiv, tensor1, tensor2, value=value)
    def lerp_(self, end, weight): return _inplace.apply(self, _elementwise.lerp, end, weight)
    def masked_fill_(self, mask, value): return _inplace.apply(self, _indexing.masked_fill, mask, value)
    def copy_(self, src): return _inplace.copy_(self, src)
    def fill_(self, value): return _inplace.fill_(self, value)
    def zero_(self): return _inplace.fill_(self, 0)
    def uniform_(self, a=0.0, b=1.0, generator=None): return _random.uniform_(self, a, b, generator=generator)
    def normal_(self, mean=0.0, std=1.0, generator=None): return _random.normal_(self, mean, std, generator=generator)
    def bernoulli_(self, p=0.5, generator=None): return _random.bernoulli_(self, p, generator=generator)
    def exponential_(self, lambd=1.0, generator=None):
        return _random.exponential_(self, lambd, generator=generator)

    # ---- counting, median, repeat_interleave, in-place scatter/index_add (ops/counting, median, repeat, index_add)
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        return _counting.unique(self, sorted, return_inverse, return_counts, dim)
    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _counting.unique_consecutive(self, return_inverse, return_counts, dim)
    def bincount(self, weights=None, minlength=0): return _counting.bincount(self, weights, minlength)
    def median(self, dim=None, keepdim=False): return _median.median(self, dim, keepdim)
    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        if repeats is None:
            return _repeat.repeat_interleave(self, output_size=output_size)
        return _repeat.repeat_interleave(self, repeats, dim, output_size=output_size)
    def index_add(self, dim, index, source, *, alpha=1):
        return _index_add.index_add(self, dim, index, source, alpha=alpha)
    def index_add_(self, dim, index, source, *, alpha=1):
        return _inplace.apply(self, _index_add.index_add, dim, index, source, alpha=alpha)
    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return _inplace.apply(self, _indexing.scatter, dim, index, src if src is not None else value, reduce=reduce)
    def scatter_add_(self, dim, index, src): return _inplace.apply(self, _indexing.scatter_add, dim, index, src)
    # ---- names real PyTorch programs use (issue 11) ----
    @property
    def name(self) -> None:
        return None  # PyTorch's Tensor.name: None unless a compiler names the tensor

    def random_(self, from_=0, to=None, *, generator=None): return _random.random_(self, from_, to, generator)
    def byte(self): return self.to(dtypes.uint8)
    def ravel(self): return _shape.reshape(self, (-1,))
    less = lt
    def data_ptr(self) -> int: return self._data.ctypes.data  # the address of the first element
    def pin_memory(self, device=None): return self  # pinned host memory only speeds up copies to a GPU
    def trace(self): return _shape.diagonal(self).sum()
    def unfold(self, dimension, size, step): return _misc.unfold(self, dimension, size, step)
    def logaddexp(self, other): return _misc.logaddexp(self, other)


# The modules below need Tensor defined, so they are imported after it.
from . import _format, _inplace  # noqa: E402
from . import creation as _creation  # noqa: E402
from . import engine as _engine  # noqa: E402
from . import random as _random  # noqa: E402
from .ops import counting as _counting  # noqa: E402
from .ops import elementwise as _elementwise  # noqa: E402
from .ops import index_add as _index_add  # noqa: E402
from .ops import indexing as _indexing  # noqa: E402
from .ops import linalg as _linalg  # noqa: E402
from .ops import median as _median  # noqa: E402
from .ops import misc as _misc  # noqa: E402
from .ops import reduce as _reduce  # noqa: E402
from .ops import repeat as _repeat  # noqa: E402
from .ops import shape as _shape  # noqa: E402
from .ops.elementwise import add as _add  # noqa: E402
from .ops.elementwise import mul as _mul  # noqa: E402
from .ops.elementwise import sub as _sub  # noqa: E402
