"""Exclusive locks on files that several processes update (model and population files).

Every read-modify-write of a file (storing an evaluation, a fixed-point result, replacing a
model) runs under :func:`file_lock`, so two analyses started together on one model both keep
their results instead of the later rename silently dropping the earlier one.

The lock is a POSIX record lock (``fcntl.lockf``) on one hidden lock file per folder,
``.rnntool.lock`` (a lock per folder rather than per file: writes are short, the analyses
run outside the lock, and folders of figures do not fill up with lock files). Record locks, unlike ``flock``, are forwarded to the server by NFS (lockd /
NFSv4), Lustre and GPFS, the file systems clusters share. Where the file system refuses
record locks (``ENOLCK``, ``EOPNOTSUPP``; some FUSE mounts), the lock falls back to creating
``.rnntool.lock.excl`` with ``O_CREAT | O_EXCL``, which is atomic even on NFSv3; such a lock
left by a killed process is broken when its process no longer runs on this host, or when it
is older than :data:`STALE_SECONDS`. Lock files are never deleted in the fcntl mode: deleting
one while another process waits on it would let two processes hold "the" lock.

Locks are re-entrant within a process (POSIX record locks belong to the process, so a
nested lock must not close the first descriptor, which would release it).
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rnntool.errors import RnnToolError

#: An O_EXCL lock file older than this is taken to be left by a dead process on another host.
STALE_SECONDS = 3600.0
#: How long to wait for a lock before giving up with a clear message.
TIMEOUT_SECONDS = 3600.0

_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}
_held: dict[Path, int] = {}
_threads: dict[Path, threading.RLock] = {}
_guard = threading.Lock()


class LockTimeoutError(RnnToolError):
    """Another process held a file's lock for longer than the timeout."""


def real_target(path: str | os.PathLike) -> Path:
    """The file a path finally names: symlinks are written through, never replaced."""
    return Path(os.path.realpath(path))


LOCK_NAME = ".rnntool.lock"


def lock_path(target: str | os.PathLike) -> Path:
    """The lock file guarding ``target`` (``.rnntool.lock`` in its real folder)."""
    return real_target(target).parent / LOCK_NAME


@contextmanager
def file_lock(target: str | os.PathLike, timeout: float = TIMEOUT_SECONDS) -> Iterator[Path]:
    """Hold the exclusive lock of ``target`` (its real path) for the block; yields that path."""
    real = real_target(target)
    real.parent.mkdir(parents=True, exist_ok=True)
    lock = lock_path(real)
    with _guard:
        thread_lock = _threads.setdefault(lock, threading.RLock())
    with thread_lock:
        if _held.get(lock):
            _held[lock] += 1
            try:
                yield real
            finally:
                _held[lock] -= 1
            return
        release = _acquire(lock, timeout)
        _held[lock] = 1
        try:
            yield real
        finally:
            _held[lock] = 0
            release()


def _acquire(lock: Path, timeout: float):
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno in _UNSUPPORTED:
                    os.close(fd)
                    return _acquire_exclusive_file(lock.with_name(lock.name + ".excl"), timeout)
                if err.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
            if time.monotonic() > deadline:
                raise LockTimeoutError(f"{lock}: another rnntool process held this lock for "
                                       f"more than {timeout:.0f} s")
            time.sleep(0.05)
    except BaseException:
        os.close(fd)
        raise

    def release() -> None:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        os.close(fd)

    return release


def _acquire_exclusive_file(lock: Path, timeout: float):
    """The fallback: a lock file created with O_EXCL that holds ``host pid``."""
    me = f"{socket.gethostname()} {os.getpid()}\n"
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            if _stale(lock):
                lock.unlink(missing_ok=True)
                continue
            if time.monotonic() > deadline:
                raise LockTimeoutError(f"{lock}: another rnntool process held this lock for "
                                       f"more than {timeout:.0f} s") from None
            time.sleep(0.05)
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(me)
        return lambda: lock.unlink(missing_ok=True)


def _stale(lock: Path) -> bool:
    """Whether an O_EXCL lock file was left by a process that no longer runs."""
    try:
        host, pid = lock.read_text().split()
        age = time.time() - lock.stat().st_mtime
    except (OSError, ValueError):
        return False
    if host == socket.gethostname():
        return not process_alive(int(pid))
    return age > STALE_SECONDS


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
