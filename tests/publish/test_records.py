"""records: CSV rows and JSON records written column by column are what pandas' to_csv and json.dumps write; a CSV
written alongside its study.json table is the same file as written on its own."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": pd.array(["a", "a", "b,c", 'say "x"', "line\nbreak", None, "a"], dtype="string"),
            "day": np.array([-1, 0, 1, 2, 3, 4, 5], dtype=np.int64),
            "car": [0.1, -0.0, float("nan"), 1e-20, 2.5, float("inf"), 1 / 3],
            "complete": [True, False, True, True, False, True, True],
            "n": pd.array([1, None, 3, 4, 5, 6, 7], dtype="Int64"),
        }
    )


def test_csv_rows_are_pandas_to_csv_across_chunks(tmp_path, monkeypatch):
    import eventstudy.publish.records as records

    monkeypatch.setattr(records, "CHUNK", 3)
    frame = _frame()
    records.write_csv_rows(frame, tmp_path / "mine.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False, lineterminator="\n")
    assert (tmp_path / "mine.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_a_csv_written_alongside_its_records_is_the_csv_on_its_own(tmp_path, monkeypatch):
    """The table in study.json (fewer columns) and its CSV (more) in one pass, 2 rows a chunk: each file is what it
    is when written alone; the records read back as json.dumps wrote the cells (NaN and inf as null)."""
    import eventstudy.publish.records as records

    monkeypatch.setattr(records, "CHUNK", 2)
    frame = _frame()
    table = frame[["event_id", "car", "n"]]
    records.write_json({"rows": records.Records(table, (frame, tmp_path / "both.csv")), "n": 1}, tmp_path / "s.json")
    frame.to_csv(tmp_path / "alone.csv", index=False, lineterminator="\n")
    assert (tmp_path / "both.csv").read_bytes() == (tmp_path / "alone.csv").read_bytes()
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["n"] == 1
    assert [r["car"] for r in doc["rows"]] == [0.1, -0.0, None, 1e-20, 2.5, None, 1 / 3]
    assert math.copysign(1.0, doc["rows"][1]["car"]) == -1.0  # -0.0 keeps its sign
    assert [r["event_id"] for r in doc["rows"]][2:6] == ["b,c", 'say "x"', "line\nbreak", None]
    assert [r["n"] for r in doc["rows"]][:3] == [1, None, 3]


def test_an_empty_table_writes_its_csv_header(tmp_path):
    import eventstudy.publish.records as records

    empty = _frame().iloc[:0]
    records.write_json({"rows": records.Records(empty, (empty, tmp_path / "e.csv"))}, tmp_path / "e.json")
    assert (tmp_path / "e.csv").read_text() == "event_id,day,car,complete,n\n"
    assert json.loads((tmp_path / "e.json").read_text()) == {"rows": []}


def test_float_text_is_reused_only_for_the_same_bits():
    from eventstudy.publish.records import FloatText

    texts = FloatText()
    first = texts(np.array([0.5, 0.1 + 0.2]))
    assert first == ["0.5", "0.30000000000000004"]
    assert texts(np.array([0.5, 0.1 + 0.2])) is first  # an equal array: formatted once
    assert texts(np.array([0.0])) == ["0.0"] and texts(np.array([-0.0])) == ["-0.0"]  # equal values, not equal bits
