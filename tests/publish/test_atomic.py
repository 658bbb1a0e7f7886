"""Atomic file replacement."""

from __future__ import annotations

import os
import stat

import pytest

from eventstudy.publish.atomic import umask_modes, write_atomic


def test_replaces_content_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "index.json"
    write_atomic(path, "old")
    write_atomic(path, b"new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["index.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "index.html"
    write_atomic(path, "good")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("eventstudy.publish.atomic.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "half")
    assert path.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_written_files_get_the_mode_the_umask_implies(tmp_path, umask_027):
    """mkstemp alone leaves 0600; the index files must be readable as any other file the umask allows."""
    path = tmp_path / "index.json"
    write_atomic(path, "{}")
    write_atomic(path, "{}")  # replacing keeps the mode too
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert umask_modes() == (0o640, 0o750)
