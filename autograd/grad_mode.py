"""Thread-local gradient mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``is_grad_enabled``."""

from __future__ import annotations

import functools
import threading


class _Mode(threading.local):
    enabled = True


_mode = _Mode()


def is_grad_enabled() -> bool:
    return _mode.enabled


class set_grad_enabled:
    """Set grad mode on or off; usable as a function call, a context manager, or a decorator."""

    def __init__(self, mode: bool) -> None:
        self.prev = _mode.enabled
        self.mode = bool(mode)
        _mode.enabled = self.mode

    def __enter__(self) -> None:
        _mode.enabled = self.mode

    def __exit__(self, *exc) -> None:
        _mode.enabled = self.prev

    def __call__(self, fn):
        mode = self.mode
        _mode.enabled = self.prev  # used as a decorator: the constructor call must not change the mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class _GradModeContext:
    mode = True

    def __new__(cls, orig_func=None):
        if orig_func is not None:  # bare @no_grad (without parentheses), which PyTorch accepts
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None) -> None:
        pass

    def __enter__(self) -> None:
        self.prev = _mode.enabled
        _mode.enabled = self.mode

    def __exit__(self, *exc) -> None:
        _mode.enabled = self.prev

    def __call__(self, fn):
        cls = type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Context manager / decorator: ops inside record no graph."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager / decorator: re-enable graph recording inside a ``no_grad`` block."""

    mode = True


def is_inference_mode_enabled() -> bool:
    return getattr(_mode, "inference", False)


class inference_mode:
    """Context manager / decorator: like ``no_grad`` (no graph is recorded) and reported by
    ``is_inference_mode_enabled()``; ``inference_mode(False)`` changes nothing, as in PyTorch."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # bare @inference_mode: decorate with the default mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self.prev = (_mode.enabled, getattr(_mode, "inference", False))
        if self.mode:
            _mode.enabled = False
            _mode.inference = True

    def __exit__(self, *exc) -> None:
        _mode.enabled, _mode.inference = self.prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)
