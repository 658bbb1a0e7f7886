"""Published files: exact columns, full precision, atomic swap that never loses the last good build."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from eventstudy.errors import EventStudyError
from eventstudy.publish import COLUMNS, publish, write_tables


def test_tables_have_the_exact_columns_and_full_precision(tmp_path, default_results):
    write_tables(default_results, tmp_path, "snapshot")
    for name, columns in COLUMNS.items():
        header = (tmp_path / name).read_text().splitlines()[0]
        assert header == ",".join(columns)
    car = pd.read_csv(tmp_path / "car.csv")
    original = default_results.car.reset_index(drop=True)
    assert (car["car"].dropna().to_numpy() == original["car"].dropna().to_numpy()).all()  # bit-identical round trip
    hik = car.query(
        "event_id == 'us-entity-list-2019-10-07' and window_start == 0 and window_end == 1 and ticker == '002415.SZ'"
    ).iloc[0]  # suspended on days 0 and +1: its return spanning 0..+2 counts in [0, 1]
    assert (hik["covered_start"], hik["covered_end"], hik["complete"]) == (0, 2, True) and pd.isna(hik["note"])
    assert car["covered_start"].dtype == "int64" and car["complete"].dtype == bool  # no NaN: every row has a return
    doc = json.loads((tmp_path / "study.json").read_text())
    assert doc["parameters"]["estimation_window"] == [-260, -11]
    assert doc["data"]["source"] == "snapshot" and doc["data"]["as_of"] == "2021-09-30"
    assert doc["events"][0]["day0"] == {"XSHE": "2019-10-08"}
    assert len(doc["car"]) == len(original) and doc["version"]


def test_publish_swaps_and_keeps_last_good(tmp_path):
    publish(tmp_path, "s", lambda d: (d / "index.html").write_text("one"))
    publish(tmp_path, "s", lambda d: (d / "index.html").write_text("two"))
    assert (tmp_path / "s" / "index.html").read_text() == "two"
    assert (tmp_path / "s.last-good" / "index.html").read_text() == "one"


def test_failed_write_leaves_the_published_report_untouched(tmp_path):
    publish(tmp_path, "s", lambda d: (d / "index.html").write_text("good"))

    def crash(directory):
        (directory / "index.html").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        publish(tmp_path, "s", crash)
    assert (tmp_path / "s" / "index.html").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]  # no temporary directory left behind


def test_study_id_cannot_escape_the_reports_directory(tmp_path):
    with pytest.raises(EventStudyError, match="would write outside"):
        publish(tmp_path / "reports", "../elsewhere", lambda d: None)
