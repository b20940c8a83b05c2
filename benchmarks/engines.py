"""Which engines are installed: ours always; PyTorch, micrograd, tinygrad and JAX when they import.

PyTorch runs with ``torch.set_num_threads(2)`` (the machine's cores; the same as numpy's OpenBLAS pool).
With ``python -m benchmarks --threads N`` both engines run on N threads: PyTorch through ``torch_threads`` and ours
through ``autograd.set_num_threads(N)``, read from the environment variable ``THREADS_ENV`` names, so that worker
processes started by the suite inherit it. An engine that is not installed is simply absent from the returned
dict, and every workload skips it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os

__all__ = ["available", "versions", "TORCH_THREADS"]

TORCH_THREADS = 2
THREADS_ENV = "AUTOGRAD_BENCH_THREADS"
OPTIONAL = ("torch", "micrograd", "tinygrad", "jax")


def _try_import(name: str, torch_threads: int = TORCH_THREADS):
    if importlib.util.find_spec(name) is None:
        return None
    try:
        mod = importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a broken install counts as not installed
        return None
    if name == "torch":
        mod.set_num_threads(torch_threads)
    if name == "jax":
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    return mod


def available(only: tuple[str, ...] | None = None, torch_threads: int = TORCH_THREADS) -> dict:
    """``{"ours": autograd, "numpy": numpy, "torch": torch, ...}`` for the engines that import here."""
    import numpy

    import autograd

    if os.environ.get(THREADS_ENV):
        autograd.set_num_threads(int(os.environ[THREADS_ENV]))
    found = {"ours": autograd, "numpy": numpy}
    for name in OPTIONAL:
        if only is not None and name not in only:
            continue
        mod = _try_import(name, torch_threads)
        if mod is not None:
            found[name] = mod
    return found


def versions(engines: dict) -> dict:
    import numba
    import numpy

    out = {"numpy": numpy.__version__, "numba": numba.__version__}
    for name, mod in engines.items():
        if name in ("ours", "numpy"):
            continue
        version = getattr(mod, "__version__", None)
        if version is None:
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = "?"
        out[name] = version
    return out
