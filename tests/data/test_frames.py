"""Prices passed in memory: the three shapes, the close-only reading, and one-line errors."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.frames import FrameProvider, normalise_history
from eventstudy.data.snapshot import SnapshotProvider
from eventstudy.errors import ConfigError, DataUnavailable

DATES = pd.to_datetime(["2019-10-08", "2019-10-09", "2019-10-11", "2019-10-14"])


def test_close_only_frame_is_read_as_traded_sessions():
    frame = pd.DataFrame({"Close": [10.0, 11.0, 9.9, 9.9]}, index=DATES)
    out = normalise_history(frame, "prices['X']")
    assert list(out.columns) == ["close", "prev_close", "volume", "traded"]
    # prev_close is the row before: 10 → 11 is +10%, 11 → 9.9 (across the missing 10 October) is −10%
    assert out["prev_close"].tolist() == [10.0, 10.0, 11.0, 9.9]
    assert (out["close"] / out["prev_close"] - 1).round(12).tolist() == [0.0, 0.1, -0.1, 0.0]
    assert out["traded"].all()
    assert out["volume"].isna().all()


def test_full_schema_frame_is_kept_as_is():
    snap = SnapshotProvider().history("002415.SZ", date(2019, 9, 20), date(2019, 10, 31))
    out = normalise_history(snap.reset_index(), "prices['002415.SZ']")  # dates in a column this time
    pd.testing.assert_frame_equal(out, snap)
    assert not out.loc["2019-10-08", "traded"]  # the snapshot's suspension survives


def test_three_shapes_give_the_same_histories():
    closes = pd.DataFrame({"AAA": [1.0, 1.1, np.nan, 1.2], "BBB": [5.0, 5.5, 5.0, 5.0]}, index=DATES)
    long = closes.stack().rename("close").rename_axis(["date", "ticker"]).reset_index()
    by_dict = {t: closes[[t]].dropna().set_axis(["close"], axis=1) for t in closes}
    histories = [{t: FrameProvider(p).history(t) for t in ("AAA", "BBB")} for p in (closes, long, by_dict)]
    for other in histories[1:]:
        for t in ("AAA", "BBB"):
            pd.testing.assert_frame_equal(histories[0][t], other[t])
    # a NaN close in the wide frame is a session without a trade: AAA's 1.2 is a return since 1.1
    assert histories[0]["AAA"]["prev_close"].tolist() == [1.0, 1.0, 1.1]


def test_provider_clips_and_names_unknown_tickers():
    provider = FrameProvider({"AAA": pd.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]}, index=DATES)})
    assert list(provider.history("AAA", date(2019, 10, 9), date(2019, 10, 11)).index) == list(DATES[1:3])
    assert provider.provenance("AAA").as_of == date(2019, 10, 14)
    with pytest.raises(DataUnavailable, match="ZZZ: not in the prices passed in \\(tickers: AAA\\)"):
        provider.history("ZZZ")


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ({"AAA": pd.DataFrame({"price": [1.0]}, index=DATES[:1])}, r"prices\['AAA'\]: no 'close' column"),
        ({"AAA": pd.DataFrame({"close": [1.0], "traded": [1]}, index=DATES[:1])}, "has traded but not all of"),
        ({"AAA": [1.0, 2.0]}, r"prices\['AAA'\]: expected a DataFrame, got list"),
        (pd.DataFrame({"close": [1.0]}, index=DATES[:1]), "needs a 'ticker' column"),
        ({"AAA": pd.DataFrame({"close": [1.0]}, index=["not a date"])}, "are not dates"),
        ("prices.csv", "expected a DataFrame or a dict of DataFrames, got str"),
    ],
)
def test_bad_frames_are_one_line_errors(prices, message):
    with pytest.raises(ConfigError, match=message) as info:
        FrameProvider(prices)
    assert "\n" not in str(info.value)


def test_non_positive_close_names_ticker_and_day():
    frame = pd.DataFrame({"close": [1.0, -2.0]}, index=DATES[:2])
    with pytest.raises(Exception, match=r"prices\['AAA'\]: close on 2019-10-09 is -2.0"):
        FrameProvider({"AAA": frame})


def test_yahoo_frames_give_the_numbers_of_the_csv_folder(tmp_path):
    """The US suppliers' Yahoo downloads (Close, Adj Close, Volume), handed over as frames the way a user reads them
    with pandas, as yfinance returns them (capitalised names), and through es.read_prices: the same CARs as
    ``--source csv:DIR`` on the same files, to 1e-12. On main, frames with Volume were refused, and without it
    the unadjusted Close was used (CARs off by up to 0.31 pp)."""
    import shutil

    import eventstudy as es

    from ..conftest import SHARED

    folder = tmp_path / "prices"
    folder.mkdir()
    for f in (SHARED / "data" / "us-2019").glob("*.csv"):
        shutil.copy(f, folder / f.name)
    study = {
        "study": {"id": "us", "title": "US", "benchmark": "VONE", "event_windows": [[0, 1], [0, 5]]},
        "events": [{"id": "oct", "title": "Entity List", "announced": "2019-10-07T18:00:00-04:00",
                    "firms": [{"ticker": t} for t in ("AMBA", "NVDA", "STX", "WDC", "ON", "TXN", "ADI")]}],
    }  # fmt: skip
    tickers = ["AMBA", "NVDA", "STX", "WDC", "ON", "TXN", "ADI", "VONE"]
    want = es.run(study, source=f"csv:{folder}").car
    read = {t: pd.read_csv(folder / f"{t}.csv", index_col="Date", parse_dates=True) for t in tickers}
    as_files = {t: es.read_prices(folder / f"{t}.csv") for t in tickers}
    lower = {t: f.rename(columns=str.lower) for t, f in read.items()}
    for frames in (read, as_files, lower):
        got = es.run(study, prices=frames).car
        assert list(got["ticker"]) == list(want["ticker"])
        np.testing.assert_allclose(got["car"].to_numpy(float), want["car"].to_numpy(float), rtol=1e-12, atol=0)
        np.testing.assert_allclose(got["car_se"].to_numpy(float), want["car_se"].to_numpy(float), rtol=1e-12, atol=0)
    with pytest.raises(es.ConfigError, match="read_prices: .*nope.csv: no such file"):
        es.read_prices(folder / "nope.csv")
