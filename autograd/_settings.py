"""Process-wide switches PyTorch programs set: float32 matmul precision, deterministic algorithms, print options.

The first two are kept and read back: numpy's float32 matmul always runs in full precision, and every op here
is deterministic, so nothing changes with them. Print options go to ``tensor_repr``.
"""

from __future__ import annotations

_PRECISIONS = ("highest", "high", "medium")
_state = {"matmul_precision": "highest", "deterministic": False, "deterministic_warn_only": False}

_PROFILES = {
    "default": {"PRECISION": 4, "THRESHOLD": 1000, "EDGEITEMS": 3, "LINEWIDTH": 80},
    "short": {"PRECISION": 2, "THRESHOLD": 1000, "EDGEITEMS": 2, "LINEWIDTH": 80},
    "full": {"PRECISION": 4, "THRESHOLD": float("inf"), "EDGEITEMS": 3, "LINEWIDTH": 80},
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
    (True/False forces scientific notation on/off; None decides from the values). Sets ``_format``'s options."""
    from . import _format

    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {tuple(_PROFILES)}, got {profile!r}")
        for name, value in _PROFILES[profile].items():
            setattr(_format, name, value)
    for name, value in (("PRECISION", precision), ("THRESHOLD", threshold), ("EDGEITEMS", edgeitems),
                        ("LINEWIDTH", linewidth)):
        if value is not None:
            setattr(_format, name, value)
    _format.SCI_MODE = sci_mode
