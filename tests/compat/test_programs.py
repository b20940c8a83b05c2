"""The corpus: every program of tests/programs runs unchanged under ``python -m autograd run`` and prints the
metric PyTorch's run of the same program prints, within a tolerance calibrated over seeds.

Both libraries run the whole corpus in one interpreter each (tests/compat/run_programs.py), side by side, so the
corpus costs one import of each library, not one per program. Seeds do not carry across libraries (each has its
own generator; the data come from numpy's, so they are the same), and the two runs differ by seed noise.
``TOLERANCE`` is that noise, measured: 1.5 times the range of each program's metric over seeds 0-4 of both
libraries (seeds 0-3 for the programs whose data moved to numpy), so any two runs fall within it, with a floor
where every run printed the same value.
"""

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAM_DIR = ROOT / "tests" / "programs"
PROGRAMS = sorted(p.name for p in PROGRAM_DIR.glob("*.py"))
DRIVER = ROOT / "tests" / "compat" / "run_programs.py"

# metric -> allowed |ours - PyTorch's| (see the module docstring for how these were measured)
TOLERANCE = {
    "autoencoder.py": 0.03,
    "bag_of_embeddings.py": 0.02,
    "char_gpt.py": 0.15,
    "checkpoint_resume.py": 0.02,
    "cnn_digits.py": 0.08,
    "conv_autoencoder.py": 0.025,
    "custom_autograd_function.py": 0.01,
    "custom_dataset_split.py": 0.03,
    "gan_1d.py": 1.0,
    "gru_classifier.py": 0.06,
    "lbfgs_fit.py": 0.001,
    "linear_regression.py": 0.0001,
    "logistic_regression.py": 0.01,
    "lstm_forecast.py": 0.004,
    "lstm_word_lm.py": 0.9,
    "mha_set_sum.py": 0.002,
    "mlp_digits.py": 0.03,
    "mlp_regression_scheduler.py": 0.045,
    "resnet_tiny.py": 0.3,
    "rnn_char_lm.py": 0.05,
    "seq2seq_attention.py": 0.11,
    "sgd_schedulers.py": 0.02,
    "transformer_classifier.py": 0.1,
    "vae.py": 2.7,
    "word2vec_skipgram.py": 0.14,
}


def _env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _start(cmd, workdir, env):
    return subprocess.Popen([*cmd, str(DRIVER), str(workdir), *(str(PROGRAM_DIR / p) for p in PROGRAMS)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=workdir)


def _collect(proc, what):
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, f"the {what} driver failed:\n{err[-3000:]}"
    return {Path(k).name: v for k, v in json.loads(out).items()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    ours_dir, torch_dir = tmp_path_factory.mktemp("ours"), tmp_path_factory.mktemp("torch")
    ours = _start([sys.executable, "-m", "autograd", "run"], ours_dir, _env())
    theirs = None
    if importlib.util.find_spec("torch") is not None:
        # one thread: the two drivers share the machine, and PyTorch's pools would only contend for it
        theirs = _start([sys.executable], torch_dir, _env(OMP_NUM_THREADS="1"))
    return _collect(ours, "runner"), (_collect(theirs, "PyTorch") if theirs else None)


def test_the_corpus_is_complete():
    assert len(PROGRAMS) >= 25 and set(PROGRAMS) == set(TOLERANCE)
    for name in PROGRAMS:
        src = (PROGRAM_DIR / name).read_text()
        assert "import torch" in src and "argparse" in src and "METRIC " in src, name
        assert "torch.save(" in src and "device" in src, name
        assert not re.search(r"^(import|from) (autograd|nn|optim)\b", src, flags=re.M), name  # PyTorch's names only


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_runs_under_the_runner(runs, name):
    ours, _ = runs
    r = ours[name]
    assert r["error"] is None, f"{name} failed under the runner:\n{r['error']}"
    (value,) = r["metrics"].values()
    assert math.isfinite(value), r["stdout_tail"]


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_matches_pytorch(runs, name):
    ours, theirs = runs
    if theirs is None:
        pytest.skip("PyTorch is not installed: pip install 'torch==2.13.0+cpu' to compare")
    assert theirs[name]["error"] is None, f"{name} failed under PyTorch:\n{theirs[name]['error']}"
    assert ours[name]["metrics"].keys() == theirs[name]["metrics"].keys()
    (metric, value), = ours[name]["metrics"].items()
    expected = theirs[name]["metrics"][metric]
    assert abs(value - expected) <= TOLERANCE[name], f"{name}: {metric} {value} here, {expected} with PyTorch"
