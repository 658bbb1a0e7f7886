"""The reports lock: exclusive, never following links, refusing what is not a regular file (issues 13.2, 14.4)."""

from __future__ import annotations

import os

import pytest

from eventstudy.publish.lock import LockPathError, ReportsLocked, _filelock_lock, hold_lock


def test_a_second_holder_is_refused_naming_the_first(tmp_path):
    with hold_lock(tmp_path) as path:
        assert path.read_text() == f"pid {os.getpid()}\n"
        with pytest.raises(ReportsLocked, match=rf"another rebuild is running \(pid {os.getpid()}\)"):
            with hold_lock(tmp_path):
                pass
    with hold_lock(tmp_path):  # released
        pass


def test_a_dangling_link_is_refused_and_nothing_is_created(tmp_path):
    (tmp_path / ".lock").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(LockPathError, match="the reports lock is a symbolic link; remove it and run again"):
        with hold_lock(tmp_path):
            pass
    assert not (tmp_path / "elsewhere").exists()


def test_the_lock_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        with hold_lock(tmp_path) as path:
            assert path.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)


def test_filelock_variant_used_off_posix(tmp_path):
    pytest.importorskip("filelock")  # a dependency on Windows only
    path = tmp_path / ".lock"
    with _filelock_lock(path):
        with pytest.raises(ReportsLocked):
            with _filelock_lock(path):
                pass


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_process_forked_under_the_lock_does_not_keep_it(tmp_path):
    """A study's or a report's forked worker may still be exiting when the build releases the lock: it closed its
    copy of the lock's descriptor when it was forked, so the next run is not refused because of it."""
    wake_read, wake_write = os.pipe()
    ready_read, ready_write = os.pipe()
    with hold_lock(tmp_path):
        child = os.fork()
        if child == 0:  # the worker: its fork hooks have run; alive until told to go
            os.write(ready_write, b"r")
            os.read(wake_read, 1)
            os._exit(0)
        assert os.read(ready_read, 1) == b"r"
    try:
        with hold_lock(tmp_path) as path:  # the child still lives
            assert path.read_text() == f"pid {os.getpid()}\n"
    finally:
        os.write(wake_write, b"x")
        os.waitpid(child, 0)
        for fd in (wake_read, wake_write, ready_read, ready_write):
            os.close(fd)
