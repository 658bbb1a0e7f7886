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
