"""Reads tests/data/TORCH-USAGE.md (names real PyTorch programs use, with counts) and the README's
"Not supported" list, and resolves each name against this library. ``python -m tests.compat.torch_usage``
prints the coverage figures."""

from __future__ import annotations

import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
USAGE = ROOT / "tests" / "data" / "TORCH-USAGE.md"
README = ROOT / "README.md"
PROGRAMS = 1126  # the corpus size stated in TORCH-USAGE.md

_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*(\d+)\s*\|")


def usage_rows() -> list[tuple[str, int]]:
    """(name, programs) for every row of both tables of TORCH-USAGE.md."""
    rows = []
    for line in USAGE.read_text().splitlines():
        m = _ROW.match(line)
        if m:
            rows.append((m.group(1), int(m.group(2))))
    return rows


def unsupported_list() -> dict[str, str]:
    """The README's "### Not supported" list: items ``- `name`, `name`: reason`` (continued on indented lines),
    name -> reason."""
    text = README.read_text()
    items: list[str] = []
    for line in text[text.index("### Not supported"):].splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("- "):
            items.append(line[2:])
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
    out = {}
    for item in items:
        head, sep, reason = item.partition(": ")
        if sep and head.startswith("`"):
            for name in re.findall(r"`([^`]+)`", head):
                out[name] = reason.strip()
    return out


def is_listed_unsupported(name: str, unsupported: dict[str, str]) -> bool:
    return any(name == u or name.startswith(u + ".") for u in unsupported)


def _instances():
    import autograd
    import nn
    import optim

    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    return {"Tensor": autograd.ones(2, 2), "Module": model, "Optimizer": opt,
            "LRScheduler": optim.lr_scheduler.StepLR(opt, 1)}


def present(name: str, instances: dict) -> bool:
    """Whether ``name`` resolves here (torch.X through the runner's mapping, Kind.X on an instance)."""
    from autograd import torch_alias

    head, _, rest = name.partition(".")
    try:
        if head in instances:
            getattr(instances[head], rest)
        else:
            torch_alias.resolve(name)
    except (AttributeError, ImportError):
        return False
    return True


def coverage(rows, is_covered) -> dict:
    """Share of name uses covered, share of distinct names, and the estimated share of programs with every name.

    The third is estimated as the product over uncovered names of (1 - programs using it / corpus size): the
    chance that a program avoids every missing name if names were independent (the file has no per-program sets).
    """
    uses = sum(p for _, p in rows)
    covered = [(n, p) for n, p in rows if is_covered(n)]
    missing = [(n, p) for n, p in rows if not is_covered(n)]
    all_names = math.prod(1 - p / PROGRAMS for _, p in missing)
    return {"uses": sum(p for _, p in covered) / uses, "names": len(covered) / len(rows), "programs": all_names,
            "missing": sorted(missing, key=lambda r: -r[1])}


if __name__ == "__main__":
    inst = _instances()
    rows = usage_rows()
    for label, sel in (("all listed (2+ programs)", rows), ("3+ programs", [r for r in rows if r[1] >= 3])):
        c = coverage(sel, lambda n: present(n, inst))
        print(f"{label}: {len(sel)} names; uses {c['uses']:.1%}, distinct names {c['names']:.1%}, "
              f"programs with every name (est.) {c['programs']:.1%}")
    print("missing (3+):", ", ".join(f"{n} ({p})" for n, p in coverage(
        [r for r in rows if r[1] >= 3], lambda n: present(n, inst))["missing"]))
