"""Run several tutorial-style programs in one interpreter and print each one's ``METRIC name=value`` as JSON.

``python tests/compat/run_programs.py WORKDIR PROG [PROG ...]`` runs them on whatever ``import torch`` gives;
``python -m autograd run tests/compat/run_programs.py WORKDIR PROG ...`` runs them on this library through the
runner's import hook. Each program runs as ``python PROG --seed S`` would (``sys.argv``, ``__main__``, its folder
first on ``sys.path``, the working directory WORKDIR); one interpreter for all of them saves an import of the
library (and of PyTorch) per program. A PROG may carry arguments after a colon: ``mlp_digits.py:--seed 3``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import runpy
import sys
import time
import traceback


def run_one(path: str, argv: list[str]) -> dict:
    out = io.StringIO()
    old_argv, old_path0 = sys.argv, sys.path[0]
    sys.argv = [path, *argv]
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    start = time.process_time()
    error = None
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
    except BaseException:  # a program's failure is its result, not the driver's
        error = traceback.format_exc(limit=-8)
    finally:
        sys.argv, sys.path[0] = old_argv, old_path0
    metrics = dict(re.findall(r"^METRIC (\w+)=(\S+)$", out.getvalue(), flags=re.M))
    return {"metrics": {k: float(v) for k, v in metrics.items()}, "error": error,
            "cpu_s": round(time.process_time() - start, 2), "stdout_tail": out.getvalue()[-600:]}


def main() -> None:
    workdir, progs = sys.argv[1], [os.path.abspath(p) for p in sys.argv[2:]]
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    results = {}
    for spec in progs:
        path, _, extra = spec.partition(":")
        results[spec] = run_one(path, extra.split())
    print(json.dumps(results))


if __name__ == "__main__":
    main()
