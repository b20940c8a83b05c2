"""Make ``import torch`` resolve to this library, for the process that installs the hook and nothing else.

``install()`` puts a meta-path finder first in ``sys.meta_path``. Every module named ``torch`` or
``torch.<sub>`` is an alias module whose attributes are read from (and written to) the library module it
maps to: ``torch -> autograd``, ``torch.nn -> nn``, ``torch.optim -> optim``, ``torch.utils.data ->
autograd.data``, ``torch.autograd -> autograd``, ``torch.<sub> -> autograd.<sub>``. Nothing named ``torch``
exists on disk, so a real PyTorch installed beside the library is untouched in every other process.
A name the library lacks raises ``ImportError``/``AttributeError`` saying ``torch.X is not supported by
numbagrad``, never a stand-in that computes something else.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

# Longest prefix first; a target of None is a namespace whose children alone resolve.
_PREFIXES = (
    ("torch.utils.data", "autograd.data"),
    ("torch.utils", None),
    ("torch.autograd", "autograd"),
    ("torch.nn", "nn"),
    ("torch.optim", "optim"),
    ("torch", "autograd"),
)

# Subjects the library decides not to cover, with the reason (the README's "Not supported" list says the same).
UNSUPPORTED = {
    "torch.fx": "graph capture and rewriting of Python code; numbagrad has no graph IR to rewrite",
    "torch.distributed.rpc": "remote procedure calls between processes; numbagrad's distributed package is "
                             "collective communication over MPI only",
    "torch.sparse": "sparse tensor layouts; numbagrad tensors are dense numpy arrays",
    "torch.quantization": "integer quantized kernels; numbagrad computes in float32/float64",
    "torch.ao": "quantization and pruning toolkits; numbagrad computes in float32/float64",
    "torch.hub": "downloading models from the network; load local state dicts with torch.load",
    "torch.amp": "mixed precision on accelerators; numbagrad runs on the CPU in float32/float64",
    "torch.cuda.amp": "mixed precision on CUDA; numbagrad runs on the CPU in float32/float64",
    "torch.export": "ahead-of-time graph export; use torch.onnx.export",
    "torch.mps": "Apple GPUs; numbagrad runs on the CPU",
}


def target_name(name: str) -> str | None:
    """The library module that ``torch`` module ``name`` maps to (None: a namespace with children only)."""
    for prefix, target in _PREFIXES:
        if name == prefix:
            return target
        if name.startswith(prefix + "."):
            rest = name[len(prefix) + 1:]
            base = "autograd.utils" if target is None else target
            return f"{base}.{rest}"
    raise ValueError(f"{name!r} is not a torch module name")


def not_supported(name: str) -> str:
    """The message for a torch name the library lacks."""
    for prefix in sorted(UNSUPPORTED, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return f"{name} is not supported by numbagrad: {UNSUPPORTED[prefix]}"
    return f"{name} is not supported by numbagrad (run the program with PyTorch, or write it without {name})"


def _import_target(name: str):
    """The library module behind torch module ``name``, or None when it does not exist."""
    target = target_name(name)
    if target is None:
        return None
    for prefix in sorted(UNSUPPORTED, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            raise ModuleNotFoundError(not_supported(name), name=name)
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        # only the missing target itself means "not supported"; a missing dependency inside it is a real error
        if e.name is not None and (target == e.name or target.startswith(e.name + ".")):
            raise ModuleNotFoundError(not_supported(name), name=name) from None
        raise


_SHARED_DUNDERS = frozenset({"__version__", "__all__"})


class TorchAlias(types.ModuleType):
    """A ``torch`` module: reads and writes go to the library module it stands for."""

    def __init__(self, name: str, target) -> None:
        super().__init__(name)
        object.__setattr__(self, "_numbagrad_target", target)
        if target is not None and target.__doc__:
            object.__setattr__(self, "__doc__", target.__doc__)

    def __getattr__(self, attr: str):
        target = object.__getattribute__(self, "_numbagrad_target")
        if attr.startswith("__") and attr.endswith("__"):
            if target is not None and attr in _SHARED_DUNDERS:
                return getattr(target, attr)
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        child = f"{self.__name__}.{attr}"
        if target is not None:
            try:
                value = getattr(target, attr)
            except AttributeError:
                pass
            else:
                # a submodule is reached through its alias, so that its own missing names are reported too
                if not isinstance(value, types.ModuleType) or value.__name__ != f"{target.__name__}.{attr}":
                    return value
        try:
            return _alias(child)
        except ModuleNotFoundError:
            raise AttributeError(not_supported(child)) from None

    def __setattr__(self, attr: str, value) -> None:
        target = object.__getattribute__(self, "_numbagrad_target")
        # import machinery sets dunders and child modules on the alias; user settings go to the library
        if target is None or (attr.startswith("__") and attr.endswith("__")) or isinstance(value, TorchAlias):
            object.__setattr__(self, attr, value)
        else:
            setattr(target, attr, value)

    def __dir__(self):
        target = object.__getattribute__(self, "_numbagrad_target")
        return sorted(set(super().__dir__()) | set(dir(target) if target is not None else ()))

    def __repr__(self) -> str:
        target = object.__getattribute__(self, "_numbagrad_target")
        where = target.__name__ if target is not None else "a namespace"
        return f"<module {self.__name__!r} (numbagrad: {where})>"


class _Loader(importlib.abc.Loader):
    def __init__(self, target) -> None:
        self.target = target

    def create_module(self, spec):
        return TorchAlias(spec.name, self.target)

    def exec_module(self, module) -> None:
        pass


class TorchFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch`` and ``torch.*`` as aliases of the library's modules."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        module = _import_target(fullname)
        spec = importlib.machinery.ModuleSpec(fullname, _Loader(module), is_package=True)
        spec.submodule_search_locations = []
        return spec


_finder = TorchFinder()


def _alias(name: str) -> TorchAlias:
    """The alias module ``name``: imported through the hook when it is installed, else made unregistered (so that
    ``resolve`` never reaches a real PyTorch through ``sys.modules``)."""
    if _finder in sys.meta_path:
        return importlib.import_module(name)
    return TorchAlias(name, _import_target(name))


def resolve(name: str):
    """The object PyTorch name ``name`` (``torch.nn.functional.relu``) stands for here, without installing the
    hook; raises AttributeError/ImportError saying what is not supported."""
    parts = name.split(".")
    if parts[0] != "torch":
        raise ValueError(f"{name!r} is not a torch name")
    obj = _alias("torch")
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


def install() -> None:
    """Route ``import torch`` to this library in this process (idempotent). A torch already imported stays."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Remove the hook and forget the alias modules it made."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n, m in sys.modules.items() if isinstance(m, TorchAlias)]:
        del sys.modules[name]
