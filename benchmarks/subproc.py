"""Run a function of this package in a fresh Python process and read back the JSON it prints last."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_child(code: str, env: dict | None = None, timeout: float = 600) -> dict:
    """``python -c code`` from the repository root; ``code`` prints one JSON object as its last stdout line."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = ROOT + (os.pathsep + full_env["PYTHONPATH"] if full_env.get("PYTHONPATH") else "")
    full_env.update(env or {})
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"child process failed (exit {p.returncode}): {tail[0]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def rss_now() -> int:
    """Current resident set size of this process, in bytes (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        return 0


def rss_peak() -> int:
    """Peak resident set size of this process so far, in bytes.

    Linux's ``VmHWM`` (the high-water mark of this address space). Not ``ru_maxrss``: Linux carries that
    across ``execve``, so a child started by a big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
