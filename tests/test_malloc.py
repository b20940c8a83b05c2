"""glibc malloc thresholds set at import (autograd/_malloc.py): on, and off when the user asked."""

import os
import platform
import subprocess
import sys

import pytest

import autograd._malloc as M


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_thresholds_set_on_glibc_and_respect_opt_outs():
    assert M.TUNED is True
    code = "import autograd._malloc as m; print(m.TUNED)"
    for extra in ({"AUTOGRAD_NO_MALLOC_TUNING": "1"}, {"MALLOC_TRIM_THRESHOLD_": "1048576"}):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | extra
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(M.__file__))))
        assert out.stdout.strip() == "False", extra
