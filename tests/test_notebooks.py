"""The notebooks' code cells run top to bottom (plots to a non-interactive backend)."""

import json
import os

import pytest

NOTEBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "notebooks")


@pytest.mark.parametrize("name", sorted(f for f in os.listdir(NOTEBOOKS) if f.endswith(".ipynb")))
def test_notebook_runs(name, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    with open(os.path.join(NOTEBOOKS, name)) as f:
        nb = json.load(f)
    env: dict = {}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            exec(compile(src, f"{name}[cell {i}]", "exec"), env)
