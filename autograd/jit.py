"""``autograd.jit``: TorchScript's entry points as documented pass-throughs.

numbagrad has no graph compiler yet, so ``script`` and ``trace`` return the function or module they are given,
unchanged (it runs eagerly, with the same results); ``ignore``/``unused``/``export`` are identity decorators.
Saving or loading a TorchScript archive cannot be done without TorchScript and raises NotImplementedError.
"""

from __future__ import annotations

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting", "is_tracing",
           "annotate", "save", "load", "freeze", "optimize_for_inference"]


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a function or module) unchanged: a pass-through until the library has a compiler."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True, check_inputs=None,
          check_tolerance: float = 1e-5, strict: bool = True, _force_outplace: bool = False,
          _module_class=None, _compilation_unit=None, example_kwarg_inputs=None, _store_inputs: bool = True):
    """Return ``func`` (a function or module) unchanged; ``example_inputs`` are not run."""
    return func


def trace_module(mod, inputs=None, **kwargs):
    """Return ``mod`` unchanged (see ``trace``)."""
    return mod


def freeze(mod, preserved_attrs=None, optimize_numerics: bool = True):
    """Return ``mod`` unchanged (see ``script``)."""
    return mod


def optimize_for_inference(mod, other_methods=None):
    """Return ``mod`` unchanged (see ``script``)."""
    return mod


def ignore(drop=False, **kwargs):
    """Identity decorator (``@jit.ignore`` or ``@jit.ignore(drop=True)``)."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """Identity decorator."""
    return fn


def export(fn):
    """Identity decorator."""
    return fn


def is_scripting() -> bool:
    """False: code never runs as TorchScript here."""
    return False


def is_tracing() -> bool:
    """False: code never runs under a tracer here."""
    return False


def annotate(the_type, the_value):
    """Return ``the_value`` (a type hint for TorchScript)."""
    return the_value


def save(m, f, _extra_files=None) -> None:
    raise NotImplementedError("torch.jit.save is not supported by numbagrad (no TorchScript); save the state dict "
                              "with autograd.save(model.state_dict(), f) instead")


def load(f, map_location=None, _extra_files=None):
    raise NotImplementedError("torch.jit.load is not supported by numbagrad (no TorchScript); rebuild the module and "
                              "load its state dict with autograd.load instead")
