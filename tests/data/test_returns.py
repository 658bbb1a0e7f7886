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


def _security_columns(histories, axis):
    """The per-ticker definition, column by column (the reference for the panel built for all at once)."""
    return {t: security_returns(h, axis, t) for t, h in histories.items()}


def _assert_panel_is_security_returns(panel, histories, axis, benchmarks=()):
    reference = _security_columns({t: h for t, h in histories.items() if t not in benchmarks}, axis)
    for t, ref in reference.items():
        for name in ("returns", "level"):
            np.testing.assert_allclose(getattr(panel, name)[t].to_numpy(), ref[name].to_numpy(), rtol=1e-12, atol=0)
        for name in ("span", "traded", "covered", "present"):
            np.testing.assert_array_equal(getattr(panel, name)[t].to_numpy(), ref[name].to_numpy(), err_msg=name)


@pytest.mark.parametrize("chunk", [1 << 18, 700])  # one chunk of tickers, or several (eventstudy.data.returns)
def test_panel_of_the_snapshot_equals_security_returns_per_ticker(chunk, monkeypatch):
    from eventstudy.data import returns

    monkeypatch.setattr(returns, "CHUNK_ROWS", chunk)
    from eventstudy.data import open_provider
    from eventstudy.data.calendar import sessions

    provider = open_provider("snapshot")
    tickers = ["002415.SZ", "300188.SZ", "002230.SZ", "002236.SZ", "000001.SS", "000300.SS", "399106.SZ"]
    histories = {t: provider.history(t) for t in tickers}
    axis = sessions("XSHG", pd.Timestamp("2018-06-01"), pd.Timestamp("2020-12-31"))
    clipped = {t: h.loc[axis[0] : axis[-1]] for t, h in histories.items()}
    panel = returns_panel(clipped, axis, benchmarks=("399106.SZ",))
    _assert_panel_is_security_returns(panel, clipped, axis, ("399106.SZ",))
    assert list(panel.returns.columns) == tickers
    assert (panel.span.to_numpy() > 1).any() and (~panel.traded.to_numpy() & panel.covered.to_numpy()).any()


def test_panel_of_bad_shaped_data_equals_security_returns_per_ticker():
    # Halts, a missing row, a filler row on a holiday, a first row that is a suspension, a history that starts
    # and ends inside the axis, one without rows, one with only suspended rows: the columns of one panel.
    histories = {
        "HALTED": HALTED,
        "GAPPY": HALTED.drop(pd.Timestamp("2020-01-08")),
        "FILLER": pd.concat([HALTED.iloc[:2], history([("2020-01-11", 11.0, 11.0, 0, 0)]), HALTED.iloc[2:]]),
        "HALT-FIRST": history([("2020-01-07", 5.0, 5.0, 0, 0), ("2020-01-08", 5.5, 5.0, 10, 1), ("2020-01-09", 6.0, 5.5, 1, 1)]),
        "LATE": history([("2020-01-09", 20.0, 19.0, 1, 1), ("2020-01-10", 21.0, 20.0, 1, 1)]),
        "EMPTY": HALTED.iloc[:0],
        "ASLEEP": history([("2020-01-08", 7.0, 7.0, 0, 0), ("2020-01-09", 7.0, 7.0, 0, 0)]),
    }  # fmt: skip
    panel = returns_panel(histories, AXIS)
    _assert_panel_is_security_returns(panel, histories, AXIS)
    assert panel.span["FILLER"].tolist() == [0, 1, 0, 0, 3, 0]  # hand-worked: the holiday row is dropped


def test_the_first_firm_trading_off_the_calendar_is_named():
    bad = pd.concat([HALTED, history([("2020-01-11", 12.0, 12.0, 5, 1)])])  # a Saturday
    with pytest.raises(DataError, match="^Y: traded on 2020-01-11, which is not an exchange session$"):
        returns_panel(
            {"X": HALTED, "Y": bad, "Z": bad.rename(index={pd.Timestamp("2020-01-11"): pd.Timestamp("2020-01-04")})},
            AXIS,
        )


def test_trade_to_trade_refuses_out_matrices_it_cannot_write_flat():
    from eventstudy.data.returns import PANEL_DTYPES, trade_to_trade

    # every other column of a Fortran-ordered matrix is not one block of memory: written flat, the rows would be
    # lost in a copy, so it is an error rather than a silently empty panel
    out = {k: np.empty((5, 4), dtype=d, order="F")[:, ::2] for k, d in PANEL_DTYPES.items()}
    empty = np.zeros(0, dtype=np.int64)
    with pytest.raises(ValueError, match="contiguous"):
        trade_to_trade(empty, empty, np.zeros(0), np.zeros(0), np.zeros(0, bool), 5, 2, "F", out)
