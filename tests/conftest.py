import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("default")
except ImportError:  # pragma: no cover
    pass


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seed():
    import autograd

    autograd.manual_seed(0)
    np.random.seed(0)


# ---- the oracle: say loudly, as the very last line, when the PyTorch comparisons did not run ----
# PyTorch's own CPU index: its Linux/Windows wheels there are the +cpu builds (PyPI's Linux wheel pulls CUDA)
TORCH_INSTALL = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
_torch_skips = {"tests": 0, "files": 0}


def _skipped_for_torch(report) -> bool:
    longrepr = getattr(report, "longrepr", None)
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return "could not import 'torch'" in reason


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if _skipped_for_torch(r)]
    _torch_skips["files"] = sum(1 for r in skipped if r.when == "collect")  # a module-level importorskip
    _torch_skips["tests"] = len(skipped) - _torch_skips["files"]


def pytest_unconfigure(config):
    """After pytest's own "N passed, M skipped" line: how many oracle tests were skipped, and the command that
    runs them."""
    tests, files = _torch_skips["tests"], _torch_skips["files"]
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not (tests or files):
        return
    what = " and ".join(_count(n, w) for n, w in ((tests, "test"), (files, "whole test file")) if n)
    reporter.write_line(
        f"PYTORCH COMPARISONS NOT RUN: {what} skipped (torch is not installed). Run them: {TORCH_INSTALL} "
        f"&& python -m pytest -q",
        red=True, bold=True,
    )
