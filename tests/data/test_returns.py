"""Trade-to-trade returns on a tiny hand-worked series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.returns import benchmark_returns, returns_panel, security_returns
from eventstudy.errors import DataError

AXIS = pd.DatetimeIndex(pd.bdate_range("2020-01-06", periods=6), name="date")  # Mon 6 .. Mon 13 Jan


def history(rows):
    frame = pd.DataFrame(rows, columns=["date", "close", "prev_close", "volume", "traded"])
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("date")), name="date")
    frame["traded"] = frame["traded"].astype(bool)
    return frame


# Day 1 trades, days 2-3 halted, day 4 resumes after a 1.0 dividend (prev_close adjusted to 10.0 from 11.0).
HALTED = history(
    [
        ("2020-01-06", 10.0, 9.0, 100, 1),
        ("2020-01-07", 11.0, 10.0, 100, 1),
        ("2020-01-08", 11.0, 11.0, 0, 0),
        ("2020-01-09", 11.0, 11.0, 0, 0),
        ("2020-01-10", 12.0, 10.0, 100, 1),
    ]
)


def test_halt_gives_no_return_and_the_next_trade_spans_the_halt():
    out = security_returns(HALTED, AXIS, "X")
    # Hand-worked: base (the first row has no return), 11/10-1, none, none, 12/10-1 over 3 sessions;
    # 13 Jan is after the data.
    assert np.isnan(out["returns"].iloc[0])
    assert out["returns"].iloc[1] == pytest.approx(0.1)
    assert np.isnan(out["returns"].iloc[2]) and np.isnan(out["returns"].iloc[3])
    assert out["returns"].iloc[4] == pytest.approx(0.2)
    assert list(out["span"]) == [0, 1, 0, 0, 3, 0]
    assert list(out["traded"]) == [True, True, False, False, True, False]
    assert list(out["covered"]) == [True, True, True, True, True, False]
    expected_level = [1.0, 1.1, 1.1, 1.1, 1.1 * 1.2]
    assert out["level"].iloc[:5].to_numpy() == pytest.approx(expected_level)
    assert np.isnan(out["level"].iloc[5])


def test_missing_row_inside_the_range_is_a_halt():
    gappy = HALTED.drop(pd.Timestamp("2020-01-08"))
    out = security_returns(gappy, AXIS, "X")
    assert list(out["span"]) == [0, 1, 0, 0, 3, 0]
    assert not out["traded"].iloc[2]


def test_trade_on_a_non_session_is_an_error():
    bad = pd.concat([HALTED, history([("2020-01-11", 12.0, 12.0, 5, 1)])])  # a Saturday
    with pytest.raises(DataError, match="X: traded on 2020-01-11, which is not an exchange session"):
        security_returns(bad, AXIS, "X")


def test_benchmark_on_another_calendar_is_carried_forward():
    index = history([("2020-01-06", 100.0, 99.0, 1, 1), ("2020-01-08", 110.0, 100.0, 1, 1)])
    out = benchmark_returns(index, AXIS)
    assert out["level"].iloc[:3].to_numpy() == pytest.approx([1.0, 1.0, 1.1])
    assert out["returns"].iloc[2] == pytest.approx(0.1)
    assert out["returns"].iloc[1] == pytest.approx(0.0)  # the index did not move on the firm's extra session


def test_panel_collects_matrices():
    panel = returns_panel({"X": HALTED}, AXIS)
    assert panel.span["X"].tolist() == [0, 1, 0, 0, 3, 0]
    assert panel.status("X").tolist() == ["traded", "traded", "suspended", "suspended", "traded", "no data"]
    assert panel.position(pd.Timestamp("2020-01-10")) == 4
    with pytest.raises(DataError, match="2020-01-11 is not a session"):
        panel.position(pd.Timestamp("2020-01-11"))
