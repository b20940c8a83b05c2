"""Atomic saves: a save killed with SIGKILL leaves its temporary file, and the next save of the same target
removes it (temporaries of live processes are kept); checkpoints get the mode a plain write would give (umask
default, or the replaced file's mode), and the directory is fsynced after the rename."""

import os
import signal
import stat
import subprocess
import sys

import pytest

import autograd
from autograd.serialization import _atomic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KILLED_SAVE = r"""
import os, signal, sys
import autograd
from autograd import serialization

def dying_write(obj, fh):
    fh.write(b"PK\x03\x04" + b"x" * 100000)  # half a checkpoint...
    fh.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # ...and the process is killed: no except, no finally runs

serialization._write = dying_write
autograd.save({"w": autograd.ones(3)}, sys.argv[1])
"""


def temps(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith(".autograd-tmp"))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_save_leaves_a_temp_that_the_next_save_removes(tmp_path):
    target = tmp_path / "ckpt.pt"
    autograd.save({"version": 1}, target)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    left = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(target)], env=env, capture_output=True,
                              timeout=300)
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        left.append(temps(tmp_path))
    assert len(left[0]) == 1 and len(left[1]) == 1 and left[0] != left[1]  # the second save removed the first's

    assert autograd.load(target) == {"version": 1}  # ...while the checkpoint itself is intact
    other = tmp_path / "other.pt"
    autograd.save({}, other)
    assert temps(tmp_path) == left[1]  # only the same target's temporaries are touched
    autograd.save({"version": 2}, target)
    assert temps(tmp_path) == [] and autograd.load(target) == {"version": 2}


def test_temp_files_of_live_processes_are_kept(tmp_path):
    target = tmp_path / "ckpt.pt"
    live = tmp_path / f".ckpt.pt.{os.getpid()}.abcd{_atomic._SUFFIX}"
    live.write_bytes(b"being written")
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout.strip()
    dead = tmp_path / f".ckpt.pt.{dead_pid}.abcd{_atomic._SUFFIX}"
    dead.write_bytes(b"left by a killed save")
    unrelated = tmp_path / ".ckpt.pt.notes"
    unrelated.write_bytes(b"not ours")
    autograd.save({"a": 1}, target)
    assert live.exists() and unrelated.exists() and not dead.exists()


def test_mode_follows_umask_or_the_replaced_file(tmp_path):
    old = os.umask(0o022)
    try:
        autograd.save({"a": 1}, tmp_path / "new.pt")
        assert stat.S_IMODE(os.stat(tmp_path / "new.pt").st_mode) == 0o644
        os.umask(0o027)
        autograd.save({"a": 1}, tmp_path / "new2.pt", )
        assert stat.S_IMODE(os.stat(tmp_path / "new2.pt").st_mode) == 0o640
        os.chmod(tmp_path / "new.pt", 0o600)
        autograd.save({"a": 2}, tmp_path / "new.pt")
        assert stat.S_IMODE(os.stat(tmp_path / "new.pt").st_mode) == 0o600
        autograd.save({"a": autograd.ones(2)}, tmp_path / "new.safetensors")
        assert stat.S_IMODE(os.stat(tmp_path / "new.safetensors").st_mode) == 0o640
    finally:
        os.umask(old)


def test_file_then_directory_fsynced_after_rename(tmp_path, monkeypatch):
    target = tmp_path / "ckpt.pt"
    calls = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        calls.append(("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file", target.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    autograd.save({"a": 1}, target)
    assert calls == [("file", False), ("dir", True)]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_saving_through_a_symlink_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "ckpt-7.pt"
    autograd.save({"v": 1}, real)
    link = tmp_path / "latest.pt"
    os.symlink(real, link)
    autograd.save({"v": 2}, link)
    assert os.path.islink(link) and autograd.load(real) == {"v": 2} and temps(tmp_path / "runs") == []
