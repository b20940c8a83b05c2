"""``autograd.func``, as ``torch.func``: ``functional_call`` (run a module with other parameters and buffers),
``vmap`` (map a function over a batch dim) and ``grad`` (the gradient of a scalar function as a function).

``vmap`` calls the function once per batch entry and stacks the results: the values and gradients are those
of ``torch.func.vmap`` for functions without side effects, without its speed.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import engine
from .grad_mode import enable_grad
from .ops.indexing import select
from .ops.shape import stack
from .tensor import Tensor

__all__ = ["functional_call", "vmap", "grad"]


def _slot(module, name: str):
    """(owning module, attribute name, kind) of the parameter or buffer ``name`` ('layer.0.weight')."""
    path, _, attr = name.rpartition(".")
    try:
        owner = module.get_submodule(path) if path else module
    except AttributeError as e:
        raise AttributeError(f"functional_call: {name!r} names no submodule of {type(module).__name__} ({e})") \
            from None
    if attr in owner._parameters:
        return owner, attr, "_parameters"
    if attr in owner._buffers:
        return owner, attr, "_buffers"
    return owner, attr, None


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """``module(*args, **kwargs)`` with its parameters and buffers named in ``parameter_and_buffer_dicts`` (a
    dict, or a tuple of dicts) replaced by the given tensors for this call only; gradients flow to them."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, Mapping):
        dicts = (dicts,)
    values: dict = {}
    for d in dicts:
        for k, v in d.items():
            if k in values:
                raise ValueError(f"functional_call: {k!r} appeared in multiple dictionaries; behavior of "
                                 f"functional call is ambiguous")
            values[k] = v
    if strict:
        names = {n for n, _ in module.named_parameters(remove_duplicate=False)} | \
                {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(names - set(values)), sorted(set(values) - names)
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: missing keys "
                               f"{missing}, unexpected keys {unexpected}")
    if tie_weights:  # a tensor shared under several names is replaced under all of them
        named = list(module.named_parameters(remove_duplicate=False)) + \
            list(module.named_buffers(remove_duplicate=False))
        by_id: dict = {}
        for n, t in named:
            by_id.setdefault(id(t), []).append(n)
        for n, t in named:
            if n in values:
                for other in by_id[id(t)]:
                    values.setdefault(other, values[n])
    saved = []
    try:
        for name, value in values.items():
            owner, attr, kind = _slot(module, name)
            if kind is None:
                if strict:
                    raise AttributeError(f"functional_call: {type(module).__name__} has no parameter or buffer "
                                         f"{name!r}")
                saved.append((owner, attr, None, owner.__dict__.get(attr, _MISSING)))
                object.__setattr__(owner, attr, value)
                continue
            table = getattr(owner, kind)
            saved.append((owner, attr, kind, table[attr]))
            table[attr] = value
        args = () if args is None else (args if isinstance(args, tuple) else (args,))
        return module(*args, **(kwargs or {}))
    finally:
        for owner, attr, kind, old in reversed(saved):
            if kind is None:
                if old is _MISSING:
                    object.__delattr__(owner, attr)
                else:
                    object.__setattr__(owner, attr, old)
            else:
                getattr(owner, kind)[attr] = old


_MISSING = object()


def _split(x, dim, i):
    return select(x, dim, i) if dim is not None and isinstance(x, Tensor) else x


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``vmap(f)(*xs)`` = stack([f(*(x[i] along its in_dim)) for i], out_dims): ``f`` mapped over a batch dim."""
    def mapped(*args):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries but the function got {len(args)} arguments")
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None and isinstance(a, Tensor)}
        if len(sizes) != 1:
            raise ValueError(f"vmap: expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sorted(sizes)} for in_dims={dims}")
        n = sizes.pop()
        outs = [func(*(_split(a, d, i) for a, d in zip(args, dims))) for i in range(n)]
        if isinstance(outs[0], tuple):
            od = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(outs[0])
            return tuple(stack([o[k] for o in outs], od[k]) for k in range(len(outs[0])))
        return stack(outs, out_dims)
    return mapped


def grad(func, argnums=0, has_aux: bool = False):
    """``grad(f)(*xs)``: d f(*xs) / d xs[argnums] for a function returning a 0-d tensor (differentiable again)."""
    def gradient(*args):
        nums = argnums if isinstance(argnums, tuple) else (argnums,)
        args = list(args)
        with enable_grad():
            for i in nums:  # an input already in a graph stays in it, so the gradient is differentiable again
                if not args[i].requires_grad:
                    args[i] = args[i].detach().requires_grad_(True)
            out = func(*args)
            aux = None
            if has_aux:
                out, aux = out
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError(f"grad: expected f(*args) to return a tensor with a single element, got "
                                   f"{getattr(out, 'shape', type(out).__name__)}")
            gs = engine.grad(out, [args[i] for i in nums], create_graph=True)
        res = gs if isinstance(argnums, tuple) else gs[0]
        return (res, aux) if has_aux else res
    return gradient
