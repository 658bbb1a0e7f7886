"""Atomic file replacement."""

from __future__ import annotations

import pytest

from eventstudy.atomic import write_atomic


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

    monkeypatch.setattr("eventstudy.atomic.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "half")
    assert path.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]
