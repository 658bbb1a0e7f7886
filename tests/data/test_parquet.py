"""The universe-parquet provider: the same rows as the vendored snapshot for a ticker both hold."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from eventstudy.data import open_provider
from eventstudy.data.base import validate_history
from eventstudy.data.parquet import ParquetUniverseProvider
from eventstudy.errors import DataError, DataUnavailable

from ..conftest import SHARED

UNIVERSE = SHARED / "data" / "szse-universe-2015-2022.parquet"
pytestmark = pytest.mark.skipif(not UNIVERSE.is_file(), reason="the Shenzhen universe is not beside the repo")


def test_rows_equal_the_snapshot_and_fallback_serves_indices():
    provider = ParquetUniverseProvider(UNIVERSE, fallback=open_provider("snapshot"))
    start, end = date(2019, 9, 1), date(2019, 10, 31)
    mine = provider.history("002415.SZ", start, end)
    snap = open_provider("snapshot").history("002415.SZ", start, end)
    pd.testing.assert_frame_equal(mine, snap, check_freq=False, check_index_type=False)  # ms vs us resolution
    assert mine.loc["2019-10-08", "traded"] == False  # noqa: E712 - numpy bool: Hikvision suspended
    assert provider.provenance("002415.SZ").as_of == date(2022, 2, 11)
    index = provider.history("399106.SZ", start, end)  # not in the universe: from the snapshot
    assert len(index) == len(mine) and provider.provenance("399106.SZ").source == "snapshot"


def test_unknown_ticker_without_fallback_is_unavailable():
    with pytest.raises(DataUnavailable, match="XXXX.SZ: not in"):
        ParquetUniverseProvider(UNIVERSE).history("XXXX.SZ")


def _tiny_universe(tmp_path):
    """Three tickers in the universe layout; B has a contradictory suspension on 2020-01-08 and C a duplicate
    row on 2020-01-09 (rows in the file's own order: C first)."""
    rows = [
        ("2020-01-06", "C.SZ", 5.0, 5.0, 10, 1), ("2020-01-07", "C.SZ", 5.1, 5.0, 10, 1),
        ("2020-01-09", "C.SZ", 5.2, 5.1, 10, 1), ("2020-01-09", "C.SZ", 5.2, 5.1, 10, 1),
        ("2020-01-06", "A.SZ", 10.0, 9.0, 100, 1), ("2020-01-07", "A.SZ", 10.0, 10.0, 0, 0),
        ("2020-01-08", "A.SZ", 11.0, 10.0, 50, 1), ("2020-01-09", "A.SZ", 12.0, 11.0, 50, 1),
        ("2020-01-06", "B.SZ", 20.0, 19.0, 100, 1), ("2020-01-07", "B.SZ", 21.0, 20.0, 100, 1),
        ("2020-01-08", "B.SZ", 22.0, 21.0, 0, 0), ("2020-01-09", "B.SZ", 22.0, 22.0, 10, 1),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["date", "ticker", "close", "prev_close", "volume", "traded"])
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ms]")
    frame["ticker"] = frame["ticker"].astype("category")
    frame["traded"] = frame["traded"].astype("int8")
    path = tmp_path / "universe.parquet"
    frame.to_parquet(path, index=False)
    return path


def test_many_tickers_at_once_are_the_histories_one_at_a_time(tmp_path):
    path = _tiny_universe(tmp_path)
    provider = ParquetUniverseProvider(path)
    requests = {"A.SZ": (date(2020, 1, 7), None), "B.SZ": (None, date(2020, 1, 7)), "C.SZ": (None, date(2020, 1, 8))}
    read = provider.histories(requests)
    assert list(read) == ["A.SZ", "B.SZ", "C.SZ"] and not read.failed  # the bad rows lie outside the ranges
    whole = pd.read_parquet(path)
    for ticker, (start, end) in requests.items():  # the reference: the file's rows of one ticker, cut by pandas
        rows = whole[whole["ticker"] == ticker].drop(columns="ticker").set_index("date").sort_index()
        alone = validate_history(
            rows.loc[pd.Timestamp(start) if start else None : pd.Timestamp(end) if end else None], ticker
        )
        pd.testing.assert_frame_equal(read[ticker], alone, check_freq=False)
        pd.testing.assert_frame_equal(
            ParquetUniverseProvider(path).history(ticker, start, end), alone, check_freq=False
        )
    assert read["A.SZ"].index[0] == pd.Timestamp("2020-01-07") and read["B.SZ"].index[-1] == pd.Timestamp("2020-01-07")


def test_many_tickers_at_once_name_each_bad_ones_row_as_one_at_a_time_does(tmp_path):
    path = _tiny_universe(tmp_path)
    read = ParquetUniverseProvider(path).histories({t: (None, None) for t in ("A.SZ", "B.SZ", "C.SZ", "X.SZ")})
    assert list(read) == ["A.SZ"]
    assert str(read.failed["B.SZ"]) == (
        f"{path} (B.SZ): 2020-01-08: traded=0 (suspended) but close 22 against prev_close 21; a suspended session "
        "has no volume and close = prev_close — correct the row"
    )
    assert str(read.failed["C.SZ"]) == f"{path} (C.SZ): date 2020-01-09 appears more than once"
    assert isinstance(read.failed["X.SZ"], DataUnavailable) and str(read.failed["X.SZ"]) == f"X.SZ: not in {path}"
    with pytest.raises(DataError, match="appears more than once"):
        ParquetUniverseProvider(path).history("C.SZ")
