"""Ex-dates and splits read from the price data (eventstudy/data/distributions.py), worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.distributions import DISTRIBUTIONS, distribution_dates
from eventstudy.data.local_csv import read_price_csv
from eventstudy.data.yahoo import convert


def snapshot_rows(tmp_path, rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    """A snapshot-schema price file (date, close, prev_close; volume 1000, traded) read as the provider reads it."""
    path = tmp_path / "600000.SS.csv"
    lines = ["date,close,prev_close,volume,traded", *(f"{d},{c},{p},1000,1" for d, c, p in rows)]
    path.write_text("\n".join(lines) + "\n")
    return read_price_csv(path)


def test_a_reference_close_below_the_previous_close_is_an_ex_date(tmp_path):
    history = snapshot_rows(
        tmp_path,
        [("2019-06-03", 10.00, 9.90), ("2019-06-04", 10.10, 10.00),
         # cash dividend of 0.25 on 10.10: the exchange's reference close is 9.85, a drop of 2.475 %
         ("2019-06-05", 9.90, 9.85),
         # ten bonus shares for every ten held: reference 9.90 / 2 = 4.95
         ("2019-06-06", 5.00, 4.95), ("2019-06-10", 5.05, 5.00)],
    )  # fmt: skip
    dated, recorded = distribution_dates(history)
    assert recorded
    assert [(d.date().isoformat(), k) for d, k, _ in dated] == [("2019-06-05", "distribution"), ("2019-06-06", "split")]
    assert "reference close 9.85 below the previous close 10.1 (-2.48%)" in dated[0][2]  # 9.85/10.10 − 1 = −2.4752 %
    assert "(≈0.5×)" in dated[1][2]


def test_yahoos_adjustment_factor_steps_by_the_dividend_yield():
    # Close 100 then 99 on the ex-date of a 1.00 dividend: Yahoo multiplies every Adj Close before the ex-date by
    # 1 − 1.00/100 = 0.99, so Adj/Close goes 0.99 → 1 and the step is 1 − 0.99/1 = 1 %.
    index = pd.DatetimeIndex(["2019-05-13", "2019-05-14", "2019-05-15", "2019-05-16"], name="Date")
    raw = pd.DataFrame(
        {"Close": [101.0, 100.0, 99.0, 99.5], "Adj Close": [101.0 * 0.99, 100.0 * 0.99, 99.0, 99.5],
         "Volume": [1e6] * 4, "Dividends": [0, 0, 1.0, 0], "Stock Splits": [0, 0, 0, 2.0]},
        index=index,
    )  # fmt: skip
    history = convert(raw, "ABC")
    assert history.attrs[DISTRIBUTIONS] == [
        ["2019-05-15", "distribution", pytest.approx(0.01, rel=1e-12)],
        ["2019-05-16", "split", 2.0],
    ]
    dated, recorded = distribution_dates(history)
    assert recorded and [k for _, k, _ in dated] == ["distribution", "split"]
    assert dated[0][2] == "ex-date: Adj Close/Close steps by 1.000% of the previous close (dividend)"


def test_data_without_a_record_say_so_and_still_check_unadjusted_splits():
    index = pd.date_range("2019-01-01", periods=30, freq="B", name="date")
    close = np.full(30, 20.0)
    close[25:] = 10.0  # halved on ordinary volume: a possible unadjusted split
    frame = pd.DataFrame({"close": close, "prev_close": np.r_[20.0, close[:-1]], "volume": 1e5, "traded": True},
                         index=index)  # fmt: skip
    dated, recorded = distribution_dates(frame)
    assert not recorded
    assert [(d.date().isoformat(), k) for d, k, _ in dated] == [("2019-02-05", "split")]
    assert "possible unadjusted split" in dated[0][2]


def test_an_incremental_cache_refresh_keeps_the_cached_ex_dates():
    from eventstudy.data.cache import extend

    index = pd.date_range("2019-05-13", periods=6, freq="B", name="date")
    frame = pd.DataFrame({"close": 10.0, "prev_close": 10.0, "volume": 1.0, "traded": True}, index=index)
    cached, fresh = frame.iloc[:4].copy(), frame.iloc[2:].copy()
    cached.attrs[DISTRIBUTIONS] = [["2019-05-14", "distribution", 0.01], ["2019-05-16", "distribution", 0.5]]
    fresh.attrs[DISTRIBUTIONS] = [["2019-05-17", "split", 2.0]]  # 16 May is re-read: its record is the fresh one's
    merged = extend(cached, fresh)
    assert merged is not None and merged.attrs[DISTRIBUTIONS] == [
        ["2019-05-14", "distribution", 0.01],
        ["2019-05-17", "split", 2.0],
    ]


def test_many_tickers_at_once_each_ticker_its_own_dates(tmp_path):
    from eventstudy.data.distributions import ex_date_words, ex_dates
    from eventstudy.data.histories import PriceHistories

    # A: a 2 % cash dividend on 2019-06-05 (reference 9.80 below the close 10.00). B: exchange prices whose first
    # row's reference close (5.00) lies below A's last close (9.90): not an ex-date — the rows are another
    # firm's — then ten bonus shares per ten on 2019-06-06 (reference 5.05 / 2 = 2.525 → 2.53).
    a = snapshot_rows(tmp_path, [("2019-06-04", 10.00, 10.00), ("2019-06-05", 9.90, 9.80)])
    b = snapshot_rows(tmp_path, [("2019-06-05", 5.05, 5.00), ("2019-06-06", 2.50, 2.53)])
    index = pd.date_range("2019-06-03", periods=3, freq="B", name="date")
    c = pd.DataFrame({"close": 1.0, "prev_close": 1.0, "volume": 1.0, "traded": True}, index=index)  # no record
    held = PriceHistories.from_frames({"A": a, "B": b, "C": c})
    found, unrecorded = ex_dates(held, ["C", "B", "A"])
    assert unrecorded == ["C"]
    got = [(t, d.date().isoformat(), k) for t, d, k in zip(found["ticker"], found["day"], found["kind"], strict=True)]
    assert sorted(got) == [("A", "2019-06-05", "distribution"), ("B", "2019-06-06", "split")]
    words = dict(zip(found["ticker"], ex_date_words(found), strict=True))
    assert words["A"] == (
        "ex-date (cash dividend, rights or bonus shares): reference close 9.8 below the previous close 10 (-2.00%)"
    )
    assert "(≈0.5×)" in words["B"] and "reference close 2.53 below the previous close 5.05" in words["B"]
    assert held.attrs("A")["prev_close"] == "exchange" and DISTRIBUTIONS not in held.attrs("C")
