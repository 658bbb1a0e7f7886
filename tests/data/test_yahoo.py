"""YahooProvider: conversion of yfinance-shaped frames to the provider contract (no network)."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from eventstudy.data import yahoo
from eventstudy.data.base import COLUMNS, PriceProvider
from eventstudy.data.yahoo import LOOKBACK_DAYS, YahooProvider
from eventstudy.errors import DataError, DataUnavailable

RAW_COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends", "Stock Splits"]


def raw_frame(rows: list[tuple[str, float, float, float, float]], tz: str = "Asia/Shanghai") -> pd.DataFrame:
    """A yfinance-shaped frame from (date, Close, Adj Close, Volume, Dividends) rows, midnight local time."""
    index = pd.DatetimeIndex([pd.Timestamp(d) for d, *_ in rows]).tz_localize(tz).rename("Date")
    data = [
        {
            "Open": close,
            "High": close,
            "Low": close,
            "Close": close,
            "Adj Close": adj,
            "Volume": volume,
            "Dividends": dividend,
            "Stock Splits": 0.0,
        }
        for _, close, adj, volume, dividend in rows
    ]
    return pd.DataFrame(data, index=index, columns=RAW_COLUMNS)


class FakeDownload:
    """Records calls and returns a fixed frame (or raises)."""

    def __init__(self, frame: pd.DataFrame | None = None, error: Exception | None = None) -> None:
        self.frame = frame
        self.error = error
        self.calls: list[tuple[str, date | None, date | None]] = []

    def __call__(self, ticker: str, start: date | None, end: date | None) -> pd.DataFrame:
        self.calls.append((ticker, start, end))
        if self.error is not None:
            raise self.error
        assert self.frame is not None
        return self.frame


SUSPENSION = raw_frame(
    [
        ("2024-03-01", 10.0, 10.0, 1000, 0.0),  # base row: only used as the first prev_close
        ("2024-03-04", 10.5, 10.5, 1200, 0.0),
        ("2024-03-05", 10.5, 10.5, 0, 0.0),  # halted: Yahoo repeats the price with zero volume
        ("2024-03-06", 10.5, 10.5, 0, 0.0),  # halted
        ("2024-03-07", 11.55, 11.55, 900, 0.0),  # first trade after the halt
    ]
)


def test_provider_satisfies_protocol() -> None:
    provider = YahooProvider(download=FakeDownload(SUSPENSION))
    assert isinstance(provider, PriceProvider)
    assert provider.name == "yahoo"


def test_suspension_marks_untraded_rows_and_spans_the_return() -> None:
    provider = YahooProvider(download=FakeDownload(SUSPENSION))
    out = provider.history("600000.SS")
    assert list(out.columns) == list(COLUMNS)
    assert out.index.name == "date"
    assert out.index.tz is None
    # The first Yahoo row (2024-03-01) is only the base of the first return.
    assert [d.date() for d in out.index] == [date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)]
    assert out["traded"].tolist() == [True, False, False, True]
    assert out["prev_close"].tolist() == [10.0, 10.5, 10.5, 10.5]
    assert out["close"].tolist() == [10.5, 10.5, 10.5, 11.55]
    assert out["volume"].tolist() == [1200.0, 0.0, 0.0, 900.0]
    # The return on 2024-03-07 spans the three sessions since the last trade: 11.55 / 10.5 - 1 = 10 %.
    last = out.loc["2024-03-07"]
    assert last["close"] / last["prev_close"] - 1 == pytest.approx(0.10)


def test_halt_across_an_ex_date_is_still_a_suspension() -> None:
    # The raw price repeats with zero volume, but a 0.50 dividend went ex during the halt, so the adjusted
    # series steps from 9.5 to 10.0. The session is untraded; the dividend shows in the next trade's return.
    frame = raw_frame(
        [
            ("2024-06-03", 10.0, 9.5, 100, 0.0),
            ("2024-06-04", 10.0, 9.5, 100, 0.0),
            ("2024-06-05", 10.0, 10.0, 0, 0.5),
            ("2024-06-06", 10.2, 10.2, 100, 0.0),
        ]
    )
    out = YahooProvider(download=FakeDownload(frame)).history("002236.SZ")
    assert out["traded"].tolist() == [True, False, True]
    assert out["close"].tolist() == [9.5, 9.5, 10.2]
    assert out["prev_close"].tolist() == [9.5, 9.5, 9.5]


def test_zero_volume_with_a_new_price_counts_as_traded() -> None:
    # Index series on Yahoo often report Volume 0; a changed price is still a trade.
    frame = raw_frame([("2024-03-01", 3000.0, 3000.0, 0, 0.0), ("2024-03-04", 3030.0, 3030.0, 0, 0.0)])
    out = YahooProvider(download=FakeDownload(frame)).history("000001.SS")
    assert out["traded"].tolist() == [True]
    assert out["prev_close"].tolist() == [3000.0]
    assert out["close"].tolist() == [3030.0]


def test_dividend_uses_adjusted_close() -> None:
    # A 1.00 dividend goes ex on 2024-06-05; Yahoo scales earlier closes by 1 - 1/20 = 0.95.
    frame = raw_frame(
        [
            ("2024-06-03", 20.0, 19.0, 500, 0.0),
            ("2024-06-04", 20.0, 19.0, 600, 0.0),
            ("2024-06-05", 19.5, 19.5, 700, 1.0),
        ]
    )
    out = YahooProvider(download=FakeDownload(frame)).history("002415.SZ")
    assert out["close"].tolist() == [19.0, 19.5]
    assert out["prev_close"].tolist() == [19.0, 19.0]
    assert out["traded"].tolist() == [True, True]
    # Total return on the ex-date: 19.5 / 19.0 - 1 = 0.0263..., not the raw 19.5 / 20 - 1 = -2.5 %.
    ex = out.loc["2024-06-05"]
    assert ex["close"] / ex["prev_close"] - 1 == pytest.approx(0.5 / 19.0)


def test_falls_back_to_close_without_adj_close() -> None:
    frame = raw_frame([("2024-03-01", 8.0, 99.0, 10, 0.0), ("2024-03-04", 8.8, 99.0, 10, 0.0)])
    frame = frame.drop(columns=["Adj Close"])
    out = YahooProvider(download=FakeDownload(frame)).history("300188.SZ")
    assert out["close"].tolist() == [8.8]
    assert out["prev_close"].tolist() == [8.0]


def test_index_keeps_exchange_local_date() -> None:
    # Midnight in Shanghai is 16:00 UTC the previous day; the session date must stay the local one.
    out = YahooProvider(download=FakeDownload(SUSPENSION)).history("600000.SS")
    assert out.index[0] == pd.Timestamp("2024-03-04")
    assert all(ts == ts.normalize() for ts in out.index)


def test_start_is_padded_so_the_first_requested_session_has_a_return() -> None:
    fake = FakeDownload(SUSPENSION)
    out = YahooProvider(download=fake).history("600000.SS", date(2024, 3, 4), date(2024, 3, 6))
    assert fake.calls == [("600000.SS", date(2024, 2, 19), date(2024, 3, 6))]
    assert LOOKBACK_DAYS == 14
    # Clipped to the request; 2024-03-04 keeps its return from 2024-03-01's close.
    assert [d.date() for d in out.index] == [date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)]
    assert out["prev_close"].iloc[0] == 10.0


def test_provenance_records_last_date_and_fetch_time() -> None:
    provider = YahooProvider(download=FakeDownload(SUSPENSION))
    assert provider.provenance("600000.SS").as_of is None
    provider.history("600000.SS")
    prov = provider.provenance("600000.SS")
    assert prov.source == "yahoo"
    assert prov.as_of == date(2024, 3, 7)
    assert prov.detail.startswith("fetched ") and prov.detail.endswith("+00:00")


class CurlError(Exception):
    """Stands in for curl_cffi / requests connection errors."""


def test_download_exception_becomes_one_line_data_unavailable() -> None:
    error = CurlError(
        "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com.\n"
        "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
    )
    provider = YahooProvider(download=FakeDownload(error=error))
    with pytest.raises(DataUnavailable) as info:
        provider.history("600000.SS", date(2024, 1, 2), date(2024, 3, 29))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("600000.SS: Yahoo download failed: CurlError: Failed to perform")
    assert "Could not resolve host: query2.finance.yahoo.com. See https://curl.se" in message
    assert isinstance(info.value.__cause__, CurlError)


def test_timeout_becomes_data_unavailable() -> None:
    provider = YahooProvider(download=FakeDownload(error=TimeoutError("timed out after 10.0 s")))
    with pytest.raises(DataUnavailable, match=r"^X: Yahoo download failed: TimeoutError: timed out after 10.0 s$"):
        provider.history("X")


def test_empty_frame_is_unavailable() -> None:
    empty = pd.DataFrame(columns=RAW_COLUMNS, index=pd.DatetimeIndex([], tz="Asia/Shanghai", name="Date"))
    provider = YahooProvider(download=FakeDownload(empty))
    with pytest.raises(DataUnavailable) as info:
        provider.history("600000.SS", date(2024, 3, 1), date(2024, 3, 31))
    assert str(info.value) == "600000.SS: Yahoo returned no rows for 2024-03-01..2024-03-31"


def test_duplicated_date_is_a_data_error() -> None:
    frame = raw_frame(
        [
            ("2024-03-01", 10.0, 10.0, 100, 0.0),
            ("2024-03-04", 10.1, 10.1, 100, 0.0),
            ("2024-03-04", 10.2, 10.2, 100, 0.0),
        ]
    )
    with pytest.raises(DataError, match="2024-03-04") as info:
        YahooProvider(download=FakeDownload(frame)).history("600000.SS")
    assert not isinstance(info.value, DataUnavailable)
    assert "600000.SS" in str(info.value)


@pytest.mark.parametrize(
    ("bad", "shown"),
    [(math.nan, "nan"), (-1.25, "-1.25"), (0.0, "0.0")],
)
def test_bad_adjusted_close_names_ticker_date_and_value(bad: float, shown: str) -> None:
    frame = raw_frame(
        [
            ("2024-03-01", 10.0, 10.0, 100, 0.0),
            ("2024-03-04", 10.1, 10.1, 100, 0.0),
            ("2024-03-05", 10.2, bad, 100, 0.0),
            ("2024-03-06", 10.3, 10.3, 100, 0.0),
        ]
    )
    with pytest.raises(DataError) as info:
        YahooProvider(download=FakeDownload(frame)).history("002230.SZ")
    message = str(info.value)
    assert not isinstance(info.value, DataUnavailable)
    assert "002230.SZ" in message and "2024-03-05" in message and shown in message


def test_default_download_asks_yfinance_with_exclusive_end(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, object]]] = []

    class FakeTicker:
        def __init__(self, ticker: str) -> None:
            self.ticker = ticker

        def history(self, **kwargs: object) -> pd.DataFrame:
            calls.append((self.ticker, kwargs))
            return SUSPENSION

    import yfinance

    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    provider = YahooProvider(timeout=3.5)
    out = provider.history("600000.SS", date(2024, 3, 4), date(2024, 3, 7))
    assert len(out) == 4
    ticker, kwargs = calls[0]
    assert ticker == "600000.SS"
    assert kwargs["start"] == date(2024, 2, 19)
    assert kwargs["end"] == date(2024, 3, 8)  # yfinance's end is exclusive
    assert kwargs["auto_adjust"] is False and kwargs["actions"] is True
    assert kwargs["raise_errors"] is True and kwargs["timeout"] == 3.5
    # Without a start, the whole history is requested.
    yahoo.yfinance_download("600000.SS", None, None)
    assert calls[1][1]["period"] == "max" and calls[1][1]["end"] is None and "start" not in calls[1][1]


def test_yfinance_log_lines_go_through_our_log_not_onto_stderr(monkeypatch, caplog) -> None:
    """Offline, yfinance logs "Cookie/crumb fetch failed" itself; only our one-line error may reach the user."""
    import io
    import logging
    import sys
    import types

    def ticker(symbol):
        def history(**kwargs):
            logging.getLogger("yfinance").error("%s: Cookie/crumb fetch failed; possibly delisted", symbol)
            raise ConnectionError("offline")

        return types.SimpleNamespace(history=history)

    monkeypatch.setitem(sys.modules, "yfinance", types.SimpleNamespace(Ticker=ticker))
    stream = io.StringIO()
    root = logging.getLogger()
    handler = logging.StreamHandler(stream)  # what logging.basicConfig(level=INFO) gives the command line
    monkeypatch.setattr(root, "level", logging.INFO)
    root.addHandler(handler)
    try:
        with pytest.raises(DataUnavailable, match="^002415.SZ: Yahoo download failed: ConnectionError: offline$"):
            YahooProvider().history("002415.SZ", date(2019, 1, 2), date(2019, 1, 10))
    finally:
        root.removeHandler(handler)
    assert stream.getvalue() == ""
    caplog.set_level(logging.DEBUG, logger="eventstudy")  # asking for our debug output shows yfinance's lines
    with pytest.raises(DataUnavailable):
        YahooProvider().history("002415.SZ", date(2019, 1, 2), date(2019, 1, 10))
    assert [r.getMessage() for r in caplog.records if r.name == "eventstudy.yfinance"] == [
        "002415.SZ: Cookie/crumb fetch failed; possibly delisted"
    ]
