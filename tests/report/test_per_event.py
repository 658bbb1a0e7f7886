"""per_event: a table's rows per event, split once, are the rows a filter on the event id selects."""

from __future__ import annotations

import numpy as np
import pandas as pd


def test_rows_per_event_are_the_filtered_rows_in_order():
    from eventstudy.report.per_event import EventRows

    frame = pd.DataFrame(
        {"event_id": ["b", "a", "b", "c", "a", "b"], "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]},
        index=[10, 11, 12, 13, 14, 15],
    )
    rows = EventRows(frame)
    for event_id in ("a", "b", "c"):
        pd.testing.assert_frame_equal(rows[event_id], frame[frame["event_id"] == event_id])
    assert rows.positions("b").tolist() == [0, 2, 5]
    missing = rows["z"]
    assert missing.empty and list(missing.columns) == ["event_id", "x"]
    assert EventRows(frame.iloc[:0])["a"].empty
    assert rows.positions("z").dtype == np.intp


def test_records_per_event_are_each_events_to_dict():
    from eventstudy.report.per_event import EventRows

    frame = pd.DataFrame({"event_id": ["b", "a", "b", "c"], "x": [1.0, 2.0, 3.0, np.nan], "n": [1, 2, 3, 4]})
    rows = EventRows(frame)
    got = rows.records(["a", "b", "z", "c"], ["x", "n"])
    assert got["a"] == frame[frame["event_id"] == "a"][["x", "n"]].to_dict(orient="records")
    assert got["b"] == [{"x": 1.0, "n": 1}, {"x": 3.0, "n": 3}] and type(got["b"][0]["n"]) is int
    assert np.isnan(got["c"][0]["x"]) and got["c"][0]["n"] == 4
    assert got["z"] == [] and rows.records([]) == {}


def test_rows_in_windows():
    from eventstudy.report.per_event import in_windows

    frame = pd.DataFrame({"window_start": [-1, 0, 0, -1, 2], "window_end": [1, 0, 5, 1, 2], "x": [1, 2, 3, 4, 5]})
    assert in_windows(frame, [(-1, 1), (0, 5)])["x"].tolist() == [1, 3, 4]
    assert in_windows(frame, [])["x"].tolist() == []
