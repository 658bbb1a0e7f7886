"""Earnings dates through yfinance's shape, the on-disk cache and the source that goes with each price provider
(eventstudy/data/earnings.py). No network: every response is recorded here in the exact shape
``yfinance.Ticker(t).get_earnings_dates(limit)`` returns — index ``Earnings Date``, tz-aware in the exchange's zone,
float columns ``EPS Estimate``, ``Reported EPS``, ``Surprise(%)`` with NaN for Yahoo's "-" — or None."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import AsOfProvider, AutoProvider, open_provider
from eventstudy.data.cache import CachedProvider
from eventstudy.data.earnings import (
    COLUMNS,
    CachedEarnings,
    EarningsDates,
    YahooEarnings,
    convert_earnings,
)
from eventstudy.data.earnings_source import earnings_source, load_earnings
from eventstudy.data.yahoo import YahooProvider
from eventstudy.errors import DataError, DataUnavailable


def recorded_qcom() -> pd.DataFrame:
    """QUALCOMM's releases around 2019 as yfinance 0.2.x/1.x returns them (scraped table: hour "4 PM" EDT/EST)."""
    index = pd.DatetimeIndex(
        [
            pd.Timestamp("2019-11-06 16:00").tz_localize("America/New_York"),
            pd.Timestamp("2019-07-31 16:00").tz_localize("America/New_York"),
            pd.Timestamp("2019-05-01 16:00").tz_localize("America/New_York"),
            pd.Timestamp("2020-02-05 16:00").tz_localize("America/New_York"),
        ],
        name="Earnings Date",
    )
    return pd.DataFrame(
        {"EPS Estimate": [0.78, 0.8, 0.71, 0.85], "Reported EPS": [0.78, 0.8, 0.77, np.nan],
         "Surprise(%)": [0.26, -0.31, 8.45, np.nan]},
        index=index,
    )  # fmt: skip


def recorded_screener() -> pd.DataFrame:
    """The screener variant (some yfinance versions): an ``Event Type`` column, 0.0 already replaced by NaN."""
    index = pd.DatetimeIndex([pd.Timestamp("2019-05-15 08:30").tz_localize("America/New_York")], name="Earnings Date")
    return pd.DataFrame(
        {"EPS Estimate": [np.nan], "Reported EPS": [np.nan], "Surprise(%)": [np.nan], "Event Type": ["Call"]},
        index=index,
    )


def test_convert_reads_yfinances_shape_into_utc_instants_in_time_order():
    frame = convert_earnings(recorded_qcom(), "QCOM")
    assert list(frame.columns) == list(COLUMNS)
    # 16:00 New York is 20:00 UTC in daylight-saving time (May..Nov 2019), 21:00 in winter (5 Feb 2020)
    assert list(frame["announced"]) == [
        pd.Timestamp("2019-05-01 20:00", tz="UTC"),
        pd.Timestamp("2019-07-31 20:00", tz="UTC"),
        pd.Timestamp("2019-11-06 21:00", tz="UTC"),
        pd.Timestamp("2020-02-05 21:00", tz="UTC"),
    ]
    assert frame["reported_eps"].iloc[0] == 0.77 and frame["surprise_pct"].iloc[0] == 8.45
    assert np.isnan(frame["reported_eps"].iloc[-1])  # a future release: no reported EPS
    assert list(frame["event_type"]) == ["", "", "", ""]
    assert list(convert_earnings(recorded_screener(), "QCOM")["event_type"]) == ["Call"]


def test_none_or_no_rows_is_an_empty_frame():
    assert convert_earnings(None, "X").empty
    assert list(convert_earnings(recorded_qcom().iloc[:0], "X").columns) == list(COLUMNS)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda f: f.rename_axis("Date"), "index 'Date', expected 'Earnings Date'"),
        (lambda f: f.set_axis(f.index.tz_localize(None)).rename_axis("Earnings Date"), "without a time zone"),
        (lambda f: f.drop(columns=["Surprise(%)"]), "lacks column(s) Surprise(%)"),
    ],
)
def test_a_frame_not_in_yfinances_shape_is_refused_on_one_line(change, words):
    with pytest.raises(DataError) as info:
        convert_earnings(change(recorded_qcom()), "QCOM")
    assert words in str(info.value) and str(info.value).startswith("QCOM: Yahoo earnings dates")
    assert "\n" not in str(info.value)


def test_yahoo_source_calls_the_boundary_and_says_why_it_failed():
    calls: list[str] = []

    def fetch(ticker: str) -> pd.DataFrame | None:
        calls.append(ticker)
        if ticker == "GONE":
            return None
        if ticker == "DOWN":
            raise ConnectionError("Failed to resolve\n query1.finance.yahoo.com")
        return recorded_qcom()

    source = YahooEarnings(fetch)
    assert len(source.earnings_dates("QCOM")) == 4
    with pytest.raises(DataUnavailable, match="GONE: Yahoo lists no earnings dates"):
        source.earnings_dates("GONE")
    with pytest.raises(DataUnavailable) as info:
        source.earnings_dates("DOWN")
    assert (
        str(info.value)
        == "DOWN: Yahoo earnings dates failed: ConnectionError: Failed to resolve query1.finance.yahoo.com"
    )
    assert calls == ["QCOM", "GONE", "DOWN"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_cache_serves_a_fresh_file_refreshes_an_old_one_and_keeps_it_when_the_refresh_fails(tmp_path):
    calls: list[str] = []
    fail = {"on": False}

    def fetch(ticker: str) -> pd.DataFrame:
        calls.append(ticker)
        if fail["on"]:
            raise TimeoutError("read timed out")
        return recorded_qcom()

    clock = Clock(datetime(2024, 1, 1, tzinfo=UTC))
    cached = CachedEarnings(YahooEarnings(fetch), tmp_path, clock)
    first = cached.earnings_dates("QCOM")
    meta = json.loads((tmp_path / "QCOM.json").read_text())
    assert meta["rows"] == 4 and meta["fetched_at"] == "2024-01-01T00:00:00+00:00"
    clock.now = datetime(2024, 1, 20, tzinfo=UTC)  # 19 days: still fresh
    pd.testing.assert_frame_equal(cached.earnings_dates("QCOM"), first)
    assert calls == ["QCOM"]
    clock.now = datetime(2024, 3, 1, tzinfo=UTC)  # 60 days: refreshed
    cached.earnings_dates("QCOM")
    assert calls == ["QCOM", "QCOM"]
    fail["on"] = True
    clock.now = datetime(2024, 6, 1, tzinfo=UTC)
    pd.testing.assert_frame_equal(cached.earnings_dates("QCOM"), first)  # the refresh failed: the old file
    assert cached.warnings == [
        "QCOM: Yahoo earnings dates failed: TimeoutError: read timed out; using the earnings dates cached 2024-03-01"
    ]


def test_a_damaged_cache_file_is_fetched_again(tmp_path):
    calls: list[str] = []

    def fetch(ticker: str) -> pd.DataFrame:
        calls.append(ticker)
        return recorded_qcom()

    cached = CachedEarnings(YahooEarnings(fetch), tmp_path, Clock(datetime(2024, 1, 1, tzinfo=UTC)))
    cached.earnings_dates("QCOM")
    (tmp_path / "QCOM.parquet").write_bytes(b"not parquet")
    assert len(cached.earnings_dates("QCOM")) == 4
    assert calls == ["QCOM", "QCOM"]
    with pytest.raises(DataError, match="not a valid ticker"):
        cached.earnings_dates("../x")


def test_which_price_sources_have_earnings_dates(tmp_path):
    snapshot = open_provider("snapshot")
    assert earnings_source(snapshot) == (None, "source snapshot has none")
    assert earnings_source(AsOfProvider(snapshot, datetime(2019, 12, 31).date()))[1] == "source snapshot has none"
    fake = YahooEarnings(lambda t: recorded_qcom())
    live = CachedProvider(YahooProvider(download=lambda t, s, e: pd.DataFrame(), earnings=fake), tmp_path)
    source, why = earnings_source(live)
    assert isinstance(source, CachedEarnings) and source.inner is fake and source.directory == tmp_path / "earnings"
    assert why == ""
    # a test's YahooProvider with an injected download and no earnings source: none (never the network)
    assert earnings_source(YahooProvider(download=lambda t, s, e: pd.DataFrame()))[0] is None
    assert isinstance(YahooProvider().earnings, YahooEarnings)  # the real one has Yahoo's
    auto = AutoProvider(live, snapshot)
    assert isinstance(earnings_source(auto)[0], CachedEarnings)
    auto.fallback_reason = "yahoo: unreachable"
    assert earnings_source(auto) == (None, "the live source was unreachable and the fallback snapshot has none")


def test_load_earnings_lists_each_ticker_it_could_not_give_with_why():
    class Provider:
        name = "fake"

        def __init__(self) -> None:
            self.earnings = YahooEarnings(lambda t: None if t == "SPY" else recorded_qcom())

    loaded = load_earnings(Provider(), ["QCOM", "SPY", "QCOM"])  # type: ignore[arg-type]
    assert list(loaded.dates) == ["QCOM"] and loaded.missing == {"SPY": "Yahoo lists no earnings dates"}
    none = load_earnings(open_provider("snapshot"), ["002415.SZ"])
    assert none == EarningsDates({}, {"002415.SZ": "source snapshot has none"})
    assert b"no earnings 002415.SZ: source snapshot has none" in none.as_bytes()
