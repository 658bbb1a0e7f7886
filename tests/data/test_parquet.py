"""The universe-parquet provider: the same rows as the vendored snapshot for a ticker both hold."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from eventstudy.data import open_provider
from eventstudy.data.parquet import ParquetUniverseProvider
from eventstudy.errors import DataUnavailable

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
