"""CSV price folders: the size limit on one price file (issue 14.3)."""

from __future__ import annotations

import os
import shutil

import pytest

from eventstudy.data import local_csv
from eventstudy.data.local_csv import MAX_PRICE_FILE_BYTES, CsvFolderProvider
from eventstudy.errors import DataError

from ..conftest import SNAPSHOT_CSV


def test_a_price_file_above_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """A 201 MB file (sparse: no disk used) is refused from its size alone, in one line naming it."""
    path = tmp_path / "002415.SZ.csv"
    shutil.copy(SNAPSHOT_CSV / "002415.SZ.csv", path)
    os.truncate(path, MAX_PRICE_FILE_BYTES + 1)
    assert MAX_PRICE_FILE_BYTES == 200 * 1024 * 1024

    def never(*args, **kwargs):
        raise AssertionError("read_csv was called on an oversized file")

    monkeypatch.setattr(local_csv.pd, "read_csv", never)
    with pytest.raises(DataError) as err:
        CsvFolderProvider(tmp_path).history("002415.SZ")
    assert (
        str(err.value)
        == f"{path}: 209,715,201 bytes is more than the 209,715,200-byte limit for one ticker's price file"
    )


def test_a_file_at_the_limit_is_read(tmp_path):
    path = tmp_path / "002415.SZ.csv"
    shutil.copy(SNAPSHOT_CSV / "002415.SZ.csv", path)
    assert len(CsvFolderProvider(tmp_path).history("002415.SZ")) > 100
