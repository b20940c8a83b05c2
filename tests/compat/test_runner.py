"""``python -m autograd run SCRIPT``: the script runs as ``python SCRIPT`` would, with ``import torch`` resolving
to this library in that process only."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_script(tmp_path, body: str, *args: str, name: str = "prog.py"):
    script = tmp_path / name
    script.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, "-m", "autograd", "run", str(script), *args], capture_output=True,
                          text=True, env=_env(), cwd=tmp_path, timeout=120)


def test_script_sees_argv_main_and_its_folder_first(tmp_path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 41\n")
    r = run_script(tmp_path, """
        import sys, os
        import helper_mod  # found because sys.path[0] is the script's folder
        print(sys.argv[1:], __name__, os.path.basename(sys.argv[0]), sys.path[0] == os.path.dirname(__file__),
              helper_mod.VALUE + 1)
    """, "--epochs", "3", "x")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['--epochs', '3', 'x'] __main__ prog.py True 42"


def test_torch_and_submodules_resolve_to_the_library(tmp_path):
    r = run_script(tmp_path, """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import DataLoader, TensorDataset
        from torch.autograd import Variable
        import torch.backends.cudnn as cudnn
        import autograd, nn as real_nn, optim as real_optim
        import autograd.data
        assert torch.Tensor is autograd.Tensor and nn.Linear is real_nn.Linear and optim.Adam is real_optim.Adam
        assert F.relu is real_nn.functional.relu and DataLoader is autograd.data.DataLoader
        assert torch.nn.Module is real_nn.Module and torch.utils.data.Dataset is autograd.data.Dataset
        assert StepLR is real_optim.lr_scheduler.StepLR and torch.autograd.grad is autograd.grad
        assert torch.nn.init.xavier_uniform_ is real_nn.init.xavier_uniform_
        cudnn.benchmark = True  # a setting written through the alias lands in the library's module
        assert autograd.backends.cudnn.benchmark is True and torch.backends.cudnn.benchmark is True
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        x = torch.randn(4, 3, device=device)
        model = nn.Linear(3, 2).to(device)
        print(device, tuple(model(x).shape), torch.__version__ == autograd.__version__)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "cpu (4, 2) True"


def test_missing_names_say_not_supported(tmp_path):
    r = run_script(tmp_path, """
        import torch
        for stmt in ("import torch.fx", "torch.fx", "torch.nn.NoSuchLayer", "import torch.no_such_module",
                     "from torch.nn import NoSuchLayer"):
            try:
                exec(stmt)
            except (ImportError, AttributeError) as e:
                print(type(e).__name__, e)
    """)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("ModuleNotFoundError torch.fx is not supported by numbagrad: graph capture")
    assert lines[1].startswith("AttributeError torch.fx is not supported by numbagrad")
    assert lines[2].startswith("AttributeError torch.nn.NoSuchLayer is not supported by numbagrad")
    assert lines[3].startswith("ModuleNotFoundError torch.no_such_module is not supported by numbagrad")
    assert lines[4].startswith("ImportError") and "NoSuchLayer" in lines[4]


def test_errors_and_exit_codes_pass_through(tmp_path):
    r = run_script(tmp_path, "import sys\nprint('before')\nsys.exit(3)\n")
    assert r.returncode == 3 and r.stdout.strip() == "before"
    r = run_script(tmp_path, "raise ValueError('boom from the script')\n")
    assert r.returncode == 1 and "ValueError: boom from the script" in r.stderr
    r = run_script(tmp_path, "import torch\ntorch.zeros(2).cuda()\n")
    assert r.returncode == 1
    assert "RuntimeError: CUDA is not available: numbagrad runs on the CPU; use device='cpu'" in r.stderr


def test_run_module_and_usage(tmp_path):
    (tmp_path / "progmod.py").write_text("import sys, torch\nprint(__name__, sys.argv[1:], torch.ones(2).sum().item())\n")
    r = subprocess.run([sys.executable, "-m", "autograd", "run", "-m", "progmod", "a"], capture_output=True,
                       text=True, env=_env(), cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "__main__ ['a'] 2.0"
    r = subprocess.run([sys.executable, "-m", "autograd"], capture_output=True, text=True, env=_env(), timeout=120)
    assert r.returncode == 2 and "usage: python -m autograd run SCRIPT" in r.stdout
    r = run_script(tmp_path, "pass\n")
    missing = subprocess.run([sys.executable, "-m", "autograd", "run", str(tmp_path / "nope.py")],
                             capture_output=True, text=True, env=_env(), timeout=120)
    assert r.returncode == 0 and missing.returncode != 0 and "no such file" in missing.stderr


def test_hook_stays_in_the_runner_process():
    """Nothing named torch exists on disk, and this (pytest) process never had the hook installed."""
    from autograd import torch_alias

    assert torch_alias._finder not in sys.meta_path
    assert not (ROOT / "torch").exists() and not (ROOT / "torch.py").exists()
    real = sys.modules.get("torch")
    assert real is None or not isinstance(real, torch_alias.TorchAlias)


def test_real_torch_is_untouched_beside_the_library():
    torch = pytest.importorskip("torch")
    assert "site-packages" in (torch.__file__ or "") or "dist-packages" in (torch.__file__ or "")
    r = subprocess.run([sys.executable, "-c", "import autograd, nn, torch; print(type(torch.ones(1)).__module__)"],
                       capture_output=True, text=True, env=_env(), timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "torch"


def test_resolve_without_installing_the_hook():
    import autograd
    import nn
    from autograd import torch_alias

    assert torch_alias.resolve("torch.nn.functional.relu") is nn.functional.relu
    assert torch_alias.resolve("torch.utils.data.DataLoader") is autograd.data.DataLoader
    assert torch_alias.resolve("torch.cuda.is_available")() is False
    with pytest.raises(AttributeError, match="torch.fx is not supported by numbagrad"):
        torch_alias.resolve("torch.fx")
    assert torch_alias.target_name("torch.nn.utils.rnn") == "nn.utils.rnn"
    assert torch_alias.target_name("torch.utils.checkpoint") == "autograd.utils.checkpoint"
    assert torch_alias.target_name("torch.optim.lr_scheduler") == "optim.lr_scheduler"
    assert torch_alias.target_name("torch.autograd") == "autograd"
