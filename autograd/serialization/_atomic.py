"""Atomic replacement of a file: write a temporary file beside the target, fsync it, rename it over the target,
fsync the directory. A reader sees the old file or the new one, never a mixture.

A process killed mid-write (SIGKILL, power loss) cannot clean up after itself, so temporary files are named
``.<target>.<pid>.<random>.autograd-tmp`` and each save removes those of the same target whose process is gone.
The new file gets the mode a plain ``open(target, "w")`` would give: the existing target's mode, or the umask's
default for a new one.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat

_SUFFIX = ".autograd-tmp"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale(directory: str, base: str) -> list[str]:
    """Remove the temporary files of ``base`` in ``directory`` left by processes that no longer run."""
    prefix = f".{base}."
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_SUFFIX)):
            continue
        pid_text = name[len(prefix): -len(_SUFFIX)].split(".")[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        try:
            os.remove(os.path.join(directory, name))
            removed.append(name)
        except OSError:
            pass
    return removed


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:  # some filesystems cannot fsync a directory
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def write_atomically(path, write) -> None:
    """Call ``write(fh)`` on a temporary binary file beside ``path`` and rename it over ``path`` once complete."""
    path = os.path.realpath(os.fspath(path))  # through a symlink, as open(path, "w") would: the link stays a link
    directory, base = os.path.split(path)
    remove_stale(directory, base)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.chmod(tmp, mode)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)
