"""``python -m autograd run SCRIPT [ARGS...]`` (also ``numbagrad run``): run a PyTorch program on this library.

The script runs as ``python SCRIPT ARGS`` would run it (``sys.argv``, ``__main__``, ``sys.path[0]`` the script's
folder), with ``import torch`` and its submodules resolving to this library in this process only
(``autograd.torch_alias``). ``run -m MODULE [ARGS...]`` runs a module as ``python -m MODULE`` would.
"""

from __future__ import annotations

import os
import runpy
import sys

_USAGE = """usage: python -m autograd run SCRIPT [ARGS...]
       python -m autograd run -m MODULE [ARGS...]

Runs a PyTorch program with `import torch` resolving to numbagrad (autograd, nn, optim) in this process only."""


def run(argv: list[str]) -> None:
    """Run ``argv[0]`` (a script path, or ``-m`` and a module name) with ``argv[1:]`` as its arguments."""
    from . import torch_alias

    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE)
        raise SystemExit(0 if argv else 2)
    torch_alias.install()
    if argv[0] == "-m":
        if len(argv) < 2:
            raise SystemExit("python -m autograd run -m: a module name is needed")
        sys.argv = argv[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    if not os.path.exists(script):
        raise SystemExit(f"python -m autograd run: can't open file {script!r}: no such file")
    sys.argv = list(argv)
    # python SCRIPT puts the script's folder first on sys.path; the runner's own entry moves to the end so that
    # the library (nn, optim) stays importable from a source checkout
    runner_entry = sys.path[0]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    if runner_entry not in sys.path:
        sys.path.append(runner_entry)
    runpy.run_path(script, run_name="__main__")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE)
        raise SystemExit(0 if argv else 2)
    if argv[0] != "run":
        raise SystemExit(f"unknown command {argv[0]!r}\n{_USAGE}")
    run(argv[1:])


if __name__ == "__main__":
    main()
