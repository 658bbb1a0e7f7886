"""eventstudy.claims.measures: each quantity and anchor on tiny constructed series (dividend, halt, holiday)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from eventstudy import claims as C

from .conftest import frame, steady


def test_price_total_and_index_returns_on_a_tiny_series_with_a_dividend_and_a_halt():
    # 100 → halt → 110 (ex-dividend of 2: prev_close 98 after a 100 close) → 121
    f = frame(
        {
            "2019-09-27": (100.0, 99.0, True),
            "2019-09-30": (100.0, 100.0, True),
            "2019-10-08": (100.0, 100.0, False),  # suspended: no return
            "2019-10-09": (98.0 * 1.1, 98.0, True),  # ex-dividend day, +10% on the adjusted reference
            "2019-10-10": (98.0 * 1.1 * 1.1, 98.0 * 1.1, True),
        }
    )
    base, end = pd.Timestamp("2019-09-30"), pd.Timestamp("2019-10-10")
    assert C.price_return(f, "T", base, end) == pytest.approx(98.0 * 1.21 / 100.0 - 1.0, abs=1e-15)
    assert C.total_return(f, "T", base, end) == pytest.approx(0.21, abs=1e-15)
    assert C.index_return(f, "T", base, end) == pytest.approx(0.21, abs=1e-15)
    # a halted anchor uses the last traded close (the exchange's reference price)
    assert C.last_traded_close(f, "T", pd.Timestamp("2019-10-08")) == (100.0, pd.Timestamp("2019-09-30"))
    assert C.total_return(f, "T", pd.Timestamp("2019-10-08"), end) == pytest.approx(0.21, abs=1e-15)
    with pytest.raises(C.Undetermined, match="no data: T has prices from 2019-09-27 to 2019-10-10, not on 2019-10-11"):
        C.total_return(f, "T", base, pd.Timestamp("2019-10-11"))


def test_session_return_and_traded_flag():
    f = frame(
        {
            "2019-09-30": (31.86, 32.64, True),
            "2019-10-08": (31.01, 31.86, True),
            "2019-10-09": (31.01, 31.01, False),
            "2019-10-11": (32.00, 31.01, True),  # 2019-10-10 has no row: not traded
        }
    )
    assert C.session_return(f, "T", pd.Timestamp("2019-10-08")) == 31.01 / 31.86 - 1.0
    with pytest.raises(C.Undetermined, match="did not trade on 2019-10-09"):
        C.session_return(f, "T", pd.Timestamp("2019-10-09"))
    assert C.traded_flag(f, "T", pd.Timestamp("2019-10-08")) == 1
    assert C.traded_flag(f, "T", pd.Timestamp("2019-10-09")) == 0
    assert C.traded_flag(f, "T", pd.Timestamp("2019-10-10")) == 0
    with pytest.raises(C.Undetermined, match="no data"):
        C.traded_flag(f, "T", pd.Timestamp("2019-10-14"))


def test_anchors_follow_the_exchange_calendar_and_the_halt():
    rows = steady("2019-09-02", "2019-10-31", first=10.0, step=0.1)
    for d in ("2019-10-08", "2019-10-09"):  # halted on the first two sessions after the announcement
        close = rows["2019-09-30"][0]
        rows[d] = (close, close, False)
    rows["2019-10-10"] = (rows["2019-10-10"][0], rows["2019-09-30"][0], True)
    f = frame(rows)
    announced = pd.Timestamp("2019-10-07T18:00:00", tz="America/New_York")
    kw = {"frame": f, "ticker": "T", "mic": "XSHE", "announced": announced}
    b = C.resolve_anchor("last_close_before_announcement", document_date=date(2019, 10, 18), **kw)
    assert b.session == pd.Timestamp("2019-09-30")  # 1-7 October: National Day holiday
    first = C.resolve_anchor("first_traded_close_after_announcement", document_date=date(2019, 10, 18), **kw)
    assert first.session == pd.Timestamp("2019-10-10")
    last = C.resolve_anchor("last_close_before_document", document_date=date(2019, 10, 19), **kw)  # a Saturday
    assert last.session == pd.Timestamp("2019-10-18")
    on = C.resolve_anchor("close_on_document_date", document_date=date(2019, 10, 18), **kw)
    assert on.session == pd.Timestamp("2019-10-18")
    with pytest.raises(C.Undetermined, match=r"2019-10-19 \(Saturday\) is not a XSHE session"):
        C.resolve_anchor("close_on_document_date", document_date=date(2019, 10, 19), **kw)
    # an announcement during a session: the last close before it is the previous session's
    intraday = pd.Timestamp("2019-10-15T10:30:00", tz="Asia/Shanghai")
    kw["announced"] = intraday
    assert C.resolve_anchor("last_close_before_announcement", document_date=date(2019, 10, 18), **kw).session == (
        pd.Timestamp("2019-10-14")
    )
    assert C.resolve_anchor(
        "first_traded_close_after_announcement", document_date=date(2019, 10, 18), **kw
    ).session == (pd.Timestamp("2019-10-15"))
