"""Transfer-learning helpers: freeze and unfreeze by module or name pattern, per-group learning rates."""

from __future__ import annotations

from fnmatch import fnmatchcase

__all__ = ["freeze", "unfreeze", "param_groups"]


def _select(module, patterns):
    if patterns is None:
        return list(module.named_parameters())
    if isinstance(patterns, str):
        patterns = [patterns]
    return [(n, p) for n, p in module.named_parameters() if any(fnmatchcase(n, pat) for pat in patterns)]


def freeze(module, patterns=None) -> list[str]:
    """Stop gradients to ``module``'s parameters (all, or those whose names match a glob such as
    ``"features.*"`` or ``["0.*", "2.weight"]``). Returns the names frozen."""
    chosen = _select(module, patterns)
    if patterns is not None and not chosen:
        raise ValueError(f"no parameter name matches {patterns!r}; names are e.g. "
                         f"{[n for n, _ in module.named_parameters()][:5]}")
    for _, p in chosen:
        p.requires_grad_(False)
        p.grad = None
    return [n for n, _ in chosen]


def unfreeze(module, patterns=None) -> list[str]:
    """Let gradients flow to ``module``'s parameters again (all, or those matching the globs)."""
    chosen = _select(module, patterns)
    for _, p in chosen:
        p.requires_grad_(True)
    return [n for n, _ in chosen]


def param_groups(module, lrs: dict, default_lr: float | None = None, trainable_only: bool = True) -> list[dict]:
    """Optimizer parameter groups with a learning rate per name pattern, e.g. a small lr for a pretrained
    backbone and a larger one for a new head: ``param_groups(model, {"backbone.*": 1e-4, "head.*": 1e-2})``.
    A parameter takes the first matching pattern; the rest go in a ``default_lr`` group (or an error)."""
    groups = {pat: [] for pat in lrs}
    rest = []
    for name, p in module.named_parameters():
        if trainable_only and not p.requires_grad:
            continue
        for pat in lrs:
            if fnmatchcase(name, pat):
                groups[pat].append(p)
                break
        else:
            rest.append((name, p))
    out = [{"params": ps, "lr": lrs[pat]} for pat, ps in groups.items() if ps]
    if rest:
        if default_lr is None:
            raise ValueError(f"parameters {[n for n, _ in rest][:5]} match no pattern in {list(lrs)}; "
                             "pass default_lr")
        out.append({"params": [p for _, p in rest], "lr": default_lr})
    return out
