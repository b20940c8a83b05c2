"""The notebooks: committed in a readable state (cell ids, outputs, a figure, an assertion) and executed fresh,
top to bottom, in a Jupyter kernel that imports this checkout, failing on any error."""

import json
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
NAMES = sorted(f for f in os.listdir(NOTEBOOKS) if f.endswith(".ipynb"))
CELL_TIMEOUT_S = 120
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


@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    # The kernel is a child process: it inherits this environment, so it imports this checkout.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", record_timing=False,
        # run where a reader runs them; they keep scratch files (checkpoints) in temporary directories
        resources={"metadata": {"path": NOTEBOOKS}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{name} failed when run fresh:\n{str(e)[-4000:]}")
