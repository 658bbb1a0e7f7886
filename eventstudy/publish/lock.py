"""The reports directory's lock: one build or rebuild at a time per reports directory.

``<reports>/.lock`` is a regular file held with an exclusive, non-blocking lock for the whole run; a second
run exits at once (code 75) naming the holder's pid, which the holder writes into the file. The file is opened
without following symbolic links (``O_NOFOLLOW``) and must be a regular file with no other name, so a ``.lock``
link — symbolic or hard — (or a FIFO, or a directory) planted in the reports folder is refused (code 2) instead of
being truncated, written or followed.

On POSIX the lock is ``flock(2)`` (``fcntl`` imported only there); elsewhere (Windows) it is the ``filelock``
package's lock, after the same link check. A process forked while the lock is held (the workers of a study's
tests, of its report: :mod:`eventstudy.inference.processes`) closes its copy of the lock's descriptor at once: an
``flock`` belongs to the open file, which a fork shares, so a worker still exiting after the build would otherwise
hold the lock past its release and refuse the next run.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import EventStudyError

LOCK_NAME = ".lock"
_HELD: set[int] = set()  # descriptors of the locks this process holds (POSIX)


def _close_held_in_child() -> None:
    """In a forked child: close the inherited descriptors of the parent's locks (the parent's stay open)."""
    for fd in _HELD:
        with suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_in_child)


class ReportsLocked(EventStudyError):
    """Another process is rebuilding into the same reports directory."""

    exit_code = 75


class LockPathError(EventStudyError):
    """The lock path exists but is not a regular file (a link, a directory, a FIFO...)."""

    exit_code = 2


def _refuse_non_regular(path: Path) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise LockPathError(f"{path}: the reports lock is {kind}; remove it and run again")


@contextmanager
def hold_lock(out_dir: Path) -> Iterator[Path]:
    """Hold ``out_dir/.lock`` exclusively for the duration, or raise :class:`ReportsLocked` at once."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    _refuse_non_regular(path)
    if os.name == "posix":
        with _posix_lock(path):
            yield path
    else:  # pragma: no cover - exercised on Windows only
        with _filelock_lock(path):
            yield path


@contextmanager
def _posix_lock(path: Path) -> Iterator[None]:
    import fcntl

    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LockPathError(f"{path}: the reports lock is a symbolic link; remove it and run again") from None
        raise EventStudyError(f"{path}: cannot open the reports lock: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LockPathError(f"{path}: the reports lock is not a regular file; remove it and run again")
        if info.st_nlink > 1:  # a hard link: the pid written below would overwrite another file's content
            raise LockPathError(
                f"{path}: the reports lock is a hard link to another file ({info.st_nlink} names); remove it and "
                "run again"
            )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise ReportsLocked(
                f"{path}: another rebuild is running ({' '.join(holder.split())}); try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        _HELD.add(fd)
        yield
    finally:
        _HELD.discard(fd)
        os.close(fd)


@contextmanager
def _filelock_lock(path: Path) -> Iterator[None]:
    import filelock  # type: ignore[import-not-found, unused-ignore]  # a dependency on Windows only

    lock = filelock.FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ReportsLocked(f"{path}: another rebuild is running; try again when it has finished") from None
    try:
        yield
    finally:
        lock.release()
