"""The layers' rule, made executable: ``nn`` and ``optim`` use only autograd's public surface, and ``autograd``
imports neither ``nn`` nor ``optim``.

Public means: a name without a leading underscore, in a module whose dotted path has no component with one, and
never ``autograd.kernels`` (the numeric kernels are the engine's business; a layer that needs one calls the op
built on it). The Tensor's own storage fields (``_data``, ``_grad``, ...) are private too; the documented way to
the array is ``Tensor.numpy()`` (it shares memory) and back is ``autograd.from_numpy``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The Tensor's storage and bookkeeping fields, and the engine's private helpers that callers used to reach for.
PRIVATE_ATTRIBUTES = {
    "_data", "_requires_grad", "_grad", "_version", "_accum", "_hooks", "_base", "_out_idx", "_name",
    "_make", "_init", "_mode", "_inplace",
}

def _layer_files() -> list[Path]:
    return sorted(p for pkg in ("nn", "optim") for p in (ROOT / pkg).rglob("*.py"))


def _is_private_path(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "autograd" and (any(p.startswith("_") for p in parts[1:]) or "kernels" in parts[1:])


def violations(path: Path) -> list[str]:
    """Every place in ``path`` that reaches past autograd's public surface, as 'line: what'."""
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_private_path(alias.name):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _is_private_path(node.module):
                found.append(f"{node.lineno}: from {node.module} import ...")
            elif node.module.split(".")[0] == "autograd":
                for alias in node.names:
                    if alias.name.startswith("_") or alias.name == "kernels":
                        found.append(f"{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Attribute):
            if node.attr in PRIVATE_ATTRIBUTES:
                found.append(f"{node.lineno}: .{node.attr}")
            elif (isinstance(node.value, ast.Name) and node.value.id == "autograd"
                  and (node.attr.startswith("_") or node.attr == "kernels")):
                found.append(f"{node.lineno}: autograd.{node.attr}")
    return found


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", _layer_files(), ids=_rel)
def test_layers_use_only_public_autograd(path: Path) -> None:
    found = violations(path)
    assert not found, f"{_rel(path)} reaches into autograd's private parts:\n  " + "\n  ".join(found)



def test_autograd_imports_no_layer() -> None:
    bad = []
    for path in sorted((ROOT / "autograd").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            bad += [f"{_rel(path)}:{node.lineno}: {n}" for n in names if n.split(".")[0] in ("nn", "optim")]
    assert not bad, "autograd imports a layer above it:\n  " + "\n  ".join(bad)


def _backwards_consulting_grad_mode() -> set[str]:
    """'file:Class' for every ``backward`` that reads the grad mode (``_mode`` or ``is_grad_enabled``)."""
    found = set()
    for pkg in ("autograd", "nn"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            for cls in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not isinstance(cls, ast.ClassDef):
                    continue
                for fn in cls.body:
                    if isinstance(fn, ast.FunctionDef) and fn.name == "backward":
                        names = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
                        names |= {n.attr for n in ast.walk(fn) if isinstance(n, ast.Attribute)}
                        if names & {"_mode", "is_grad_enabled"}:
                            found.add(f"{_rel(path)}:{cls.name}")
    return found


# Backwards that must read it: checkpoint's backward reruns the forward and records it only under create_graph.
ALLOWED_BACKWARDS = {"autograd/utils/checkpoint.py:_Checkpoint"}


def test_no_backward_consults_the_grad_mode() -> None:
    """A backward is written once, in Tensor ops; a fused backward kernel is an op of its own."""
    found = _backwards_consulting_grad_mode() - ALLOWED_BACKWARDS
    assert not found, "these backwards branch on the grad mode:\n  " + "\n  ".join(sorted(found))
