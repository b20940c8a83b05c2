"""Process-wide switches PyTorch programs set: float32 matmul precision, deterministic algorithms, print options.

The first two are kept and read back: numpy's float32 matmul always runs in full precision, and every op here
is deterministic, so nothing changes with them. Print options go to ``tensor_repr``.
"""

from __future__ import annotations

import sys

_PRECISIONS = ("highest", "high", "medium")
_state = {"matmul_precision": "highest", "deterministic": False, "deterministic_warn_only": False}

# numpy.array2string's settings, with PyTorch's defaults; ``tensor_repr`` reads them
print_options = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": float("inf"), "edgeitems": 3, "linewidth": 80},
}


def set_float32_matmul_precision(precision: str) -> None:
    """Accepts 'highest', 'high' or 'medium'; float32 matmuls here always run in full precision ('highest')."""
    if precision not in _PRECISIONS:
        raise RuntimeError(f"set_float32_matmul_precision: expected one of {_PRECISIONS}, got {precision!r}")
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the setting; every op here is already deterministic for a given seed."""
    _state["deterministic"] = bool(mode)
    _state["deterministic_warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["deterministic_warn_only"]


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Tensor printing: digits after the point, element count above which a tensor is summarised, items shown
    at each end when summarised, line width, a ``profile`` ('default', 'short', 'full'), and ``sci_mode``
    (True/False forces scientific notation on/off; None decides from the values)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {tuple(_PROFILES)}, got {profile!r}")
        print_options.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            print_options[name] = value
    print_options["sci_mode"] = sci_mode


def array2string_options() -> dict:
    """``print_options`` as keyword arguments of ``numpy.array2string``."""
    o = print_options
    threshold = o["threshold"]
    out = {"precision": o["precision"], "edgeitems": o["edgeitems"], "max_line_width": o["linewidth"],
           "threshold": sys.maxsize if threshold == float("inf") else int(threshold)}
    if o["sci_mode"] is not None:
        p, style = o["precision"], ("e" if o["sci_mode"] else "f")
        out["formatter"] = {"float_kind": lambda x: f"{x:.{p}{style}}"}
    return out
