"""glibc malloc settings made at import (autograd/_malloc.py): on, off when the user asked, and what they buy."""

import os
import platform
import subprocess
import sys

import pytest

import autograd._malloc as M

glibc_only = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="glibc only")


@glibc_only
def test_thresholds_set_on_glibc_and_respect_opt_outs():
    assert M.TUNED is True
    code = "import autograd._malloc as m; print(m.TUNED)"
    for extra in ({"AUTOGRAD_NO_MALLOC_TUNING": "1"}, {"MALLOC_TRIM_THRESHOLD_": "1048576"},
                  {"MALLOC_MMAP_MAX_": "65536"}):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | extra
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(M.__file__))))
        assert out.stdout.strip() == "False", extra


REUSE = """
import resource, sys, numpy as np, autograd
n = (int(sys.argv[1]) << 20) // 4  # float32 elements of that many MiB
a = np.ones(n, np.float32)
del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
b = np.ones(n, np.float32)  # touches every page
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@glibc_only
@pytest.mark.parametrize("tuned", [True, False])
@pytest.mark.parametrize("mib", [48, 200])  # above glibc's largest mmap threshold; above its default trim threshold
def test_a_freed_buffer_above_the_mmap_threshold_is_reused_without_page_faults(tuned, mib):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "AUTOGRAD_NO_MALLOC_TUNING"}
    if not tuned:
        env["AUTOGRAD_NO_MALLOC_TUNING"] = "1"
    out = subprocess.run([sys.executable, "-c", REUSE, str(mib)], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(M.__file__))))
    faults = int(out.stdout.strip())
    # fresh pages fault in again: one fault per 4 KiB, or per 2 MiB huge page (24 for 48 MiB)
    assert (faults < 16) if tuned else (faults >= mib // 2), faults
