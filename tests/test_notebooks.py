"""The notebooks: committed in a readable state (cell ids, outputs, a figure, an assertion) and executed fresh,
top to bottom, in a Jupyter kernel that imports this checkout, failing on any error."""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
NAMES = sorted(f for f in os.listdir(NOTEBOOKS) if f.endswith(".ipynb"))
CELL_TIMEOUT_S = 120
NOTEBOOK_TIMEOUT_S = 600
# Echoes of Python objects (e.g. `<autograd.random.Generator at 0x7f...>`) in committed outputs.
OBJECT_ECHO = re.compile(r"<[\w.]+ (object )?at 0x[0-9a-fA-F]+>")


def _load(name: str) -> dict:
    with open(os.path.join(NOTEBOOKS, name), encoding="utf-8") as f:
        return json.load(f)


def _code_cells(nb: dict) -> list:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_notebooks():
    numbers = [int(n[:2]) for n in NAMES if re.match(r"\d\d_", n)]
    assert numbers == list(range(1, len(numbers) + 1)), f"numbered notebooks with gaps: {NAMES}"
    assert len(numbers) >= 17, f"expected the 17 numbered notebooks of issue 15, found {NAMES}"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_readable(name):
    nbformat = pytest.importorskip("nbformat")
    nb = _load(name)
    assert nb["nbformat"] == 4
    nbformat.validate(nbformat.reads(json.dumps(nb), as_version=4))
    ids = [c.get("id") for c in nb["cells"]]
    assert all(ids), f"{name}: cells without an id (nbformat 4.5 wants one per cell)"
    assert len(set(ids)) == len(ids), f"{name}: duplicate cell ids"
    code = _code_cells(nb)
    assert code, f"{name}: no code cells"
    unrun = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unrun, f"{name}: code cells {unrun} committed without being executed (no outputs for readers)"
    outputs = [o for c in code for o in c["outputs"]]
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert not errors, f"{name}: committed with errors: {[o['ename'] + ': ' + o['evalue'] for o in errors]}"
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{name}: no inline PNG figure"
    assert any(re.search(r"^\s*assert\b", "".join(c["source"]), re.M) for c in code), \
        f"{name}: no cell asserts an outcome"
    for o in outputs:
        text = "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        if o["output_type"] == "execute_result" and "image/png" not in o.get("data", {}) \
                and "image/svg+xml" not in o.get("data", {}):
            assert not OBJECT_ECHO.search(text), f"{name}: an output echoes an object: {text[:200]!r}"


# Runs one notebook fresh in a Jupyter kernel (a child process, which inherits PYTHONPATH and so imports this
# checkout); exits non-zero with the failing cell's traceback on stderr.
_RUNNER = """
import sys, nbclient, nbformat
path, cwd, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(path, as_version=4)
nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                        resources={"metadata": {"path": cwd}}).execute()
"""


def _execute(name: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)}
    # run where a reader runs them; they keep scratch files (checkpoints) in temporary directories
    return subprocess.run([sys.executable, "-c", _RUNNER, os.path.join(NOTEBOOKS, name), NOTEBOOKS,
                           str(CELL_TIMEOUT_S)], env=env, capture_output=True, text=True, timeout=NOTEBOOK_TIMEOUT_S)


@pytest.fixture(scope="module")
def executions(request):
    """Start every selected notebook at once, two at a time: each kernel is mostly one busy core."""
    for module in ("nbclient", "nbformat", "ipykernel", "matplotlib", "sklearn"):
        pytest.importorskip(module)
    names = [item.callspec.params["name"] for item in request.session.items
             if getattr(item, "originalname", None) == "test_notebook_executes"]
    pool = ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1))
    yield {name: pool.submit(_execute, name) for name in names}
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name, executions):
    proc = executions[name].result()
    report = re.sub(r"\x1b\[[0-9;]*m", "", proc.stderr or proc.stdout)  # the kernel's traceback, uncoloured
    assert proc.returncode == 0, f"{name} failed when run fresh:\n{report[-4000:]}"
