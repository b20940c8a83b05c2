"""The test run ends with one loud line when PyTorch (the oracle) is absent (issue 17 item 1): how many tests
were skipped for it, and the command that installs it."""

import os
import shutil
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_pytest(tmp_path) -> str:
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(os.path.join(ROOT, "tests", "conftest.py"), suite / "conftest.py")
    (suite / "test_module_level.py").write_text('import pytest\ntorch = pytest.importorskip("torch")\n'
                                                "def test_a():\n    pass\n")
    (suite / "test_in_tests.py").write_text(textwrap.dedent("""
        import pytest
        def test_b():
            pytest.importorskip("torch")
        def test_c():
            pytest.importorskip("torch")
        def test_d():
            pytest.skip("something else")
        def test_e():
            pass
    """))
    fake = tmp_path / "fake" / "torch"  # a stand-in package that behaves as a missing module
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'torch\'", name="torch")\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "fake"), ROOT]))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_last_line_counts_oracle_skips_and_gives_the_command(tmp_path):
    out = _run_pytest(tmp_path)
    lines = out.strip().splitlines()
    assert "1 passed, 4 skipped" in lines[-2]
    assert lines[-1] == ("PYTORCH COMPARISONS NOT RUN: 2 tests and 1 whole test file skipped (torch is not "
                         "installed). Run them: pip install torch==2.13.0 --index-url "
                         "https://download.pytorch.org/whl/cpu && python -m pytest -q")


def test_no_notice_without_oracle_skips():
    from tests import conftest

    class Report:
        def __init__(self, reason, when="call"):
            self.longrepr, self.when = ("x.py", 1, reason), when

    class Reporter:
        def __init__(self, skipped):
            self.stats, self.lines = {"skipped": skipped}, []

        def write_line(self, line, **markup):
            self.lines.append(line)

    class Config:
        def __init__(self, reporter):
            self.pluginmanager = type("PM", (), {"get_plugin": staticmethod(lambda name: reporter)})()

    quiet = Reporter([Report("Skipped: could not import 'sklearn': No module named 'sklearn'"), Report("other")])
    conftest.pytest_terminal_summary(quiet, 0, None)
    conftest.pytest_unconfigure(Config(quiet))
    assert quiet.lines == []
    loud = Reporter([Report("Skipped: could not import 'torch': No module named 'torch'", when="collect")])
    conftest.pytest_terminal_summary(loud, 0, None)
    conftest.pytest_unconfigure(Config(loud))
    assert len(loud.lines) == 1 and loud.lines[0].startswith("PYTORCH COMPARISONS NOT RUN: 1 whole test file skipped")
    conftest.pytest_terminal_summary(Reporter([]), 0, None)  # reset for this process's own summary
