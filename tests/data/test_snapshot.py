"""The vendored snapshot and the CSV-folder provider."""

from __future__ import annotations

import filecmp

import pytest

from eventstudy.data import AutoProvider, open_provider
from eventstudy.data.local_csv import CsvFolderProvider
from eventstudy.errors import ConfigError, DataError, DataUnavailable

from ..conftest import SHARED, SNAPSHOT_CSV

TICKERS = ["000001.SS", "000300.SS", "002230.SZ", "002236.SZ", "002415.SZ", "300188.SZ", "399106.SZ"]


US_TICKERS = ["AAOI", "ACIA", "ADI", "AMBA", "AVGO", "IIVI", "INTC", "LITE", "MRVL", "MU", "NPTN", "NVDA", "ON",
              "ONEQ", "QCOM", "QQQ", "QRVO", "SOXX", "STX", "SWKS", "TXN", "VONE", "WDC", "XLNX"]  # fmt: skip
US_CSV = SNAPSHOT_CSV.parent / "us_2019"


def test_snapshot_has_the_seven_tickers_and_provenance():
    provider = open_provider("snapshot")
    assert provider.tickers() == sorted(TICKERS + US_TICKERS)
    assert (SNAPSHOT_CSV / "PROVENANCE.md").read_text().count("baostock") >= 1
    hik = provider.history("002415.SZ")
    assert hik.loc["2019-10-08", "traded"] == False  # noqa: E712 - numpy bool
    assert hik.loc["2019-10-10", "prev_close"] == 32.30
    assert provider.provenance("002415.SZ").as_of.isoformat() == "2022-02-11"


@pytest.mark.skipif(not (SHARED / "data" / "default-study").is_dir(), reason="../shared not beside the repo")
def test_vendored_files_equal_the_shared_originals():
    for ticker in TICKERS:
        assert filecmp.cmp(
            SNAPSHOT_CSV / f"{ticker}.csv", SHARED / "data" / "default-study" / f"{ticker}.csv", shallow=False
        )


@pytest.mark.skipif(not (SHARED / "data" / "us-2019").is_dir(), reason="../shared not beside the repo")
def test_vendored_us_files_equal_the_shared_originals():
    assert sorted(p.stem for p in US_CSV.glob("*.csv")) == US_TICKERS
    for ticker in US_TICKERS:
        assert filecmp.cmp(US_CSV / f"{ticker}.csv", SHARED / "data" / "us-2019" / f"{ticker}.csv", shallow=False)
    assert "Bluefin-Tuna/Yahoo-Finance-Historical-Data" in (US_CSV / "PROVENANCE.md").read_text()


def test_snapshot_serves_the_us_files_in_yahoo_format():
    """AMBA's 8 Oct 2019 return, adjusted close to adjusted close (58.09 → 57.22 → 51.79 in the file)."""
    provider = open_provider("snapshot")
    amba = provider.history("AMBA")
    assert amba.index[0].isoformat()[:10] == "2016-01-05"  # the first row (4 Jan) is only the base
    assert amba.loc["2019-10-08", "close"] / amba.loc["2019-10-08", "prev_close"] - 1 == pytest.approx(
        51.790001 / 57.220001 - 1, abs=1e-12
    )
    assert amba["traded"].all()
    assert provider.provenance("AMBA").detail == "eventstudy/data/us_2019/AMBA.csv"
    assert provider.provenance("AMBA").as_of.isoformat() == "2020-12-11"


def test_csv_errors_name_file_line_and_value(tmp_path):
    (tmp_path / "X.csv").write_text("date,close,prev_close,volume,traded\n2020-01-02,1,1,1,1\n2020-13-01,1,1,1,1\n")
    with pytest.raises(DataError, match=r"X.csv: line 3: date '2020-13-01' is not YYYY-MM-DD"):
        CsvFolderProvider(tmp_path).history("X")
    (tmp_path / "Y.csv").write_text("date,close,prev_close,volume,traded\n2020-01-02,-1,1,1,1\n")
    with pytest.raises(DataError, match=r"Y.csv: close on 2020-01-02 is -1.0"):
        CsvFolderProvider(tmp_path).history("Y")
    with pytest.raises(DataUnavailable, match="Z: no price file"):
        CsvFolderProvider(tmp_path).history("Z")


def test_unknown_source_is_a_config_error():
    with pytest.raises(ConfigError, match="--source: 'ftp' is not one of"):
        open_provider("ftp")


class Unreachable:
    name = "live"

    def history(self, ticker, start=None, end=None):
        raise DataUnavailable(f"{ticker}: Yahoo download failed: DNSError: no route")

    def provenance(self, ticker):
        raise AssertionError("never used")


def test_auto_falls_back_to_the_snapshot_and_says_why():
    auto = AutoProvider(Unreachable(), open_provider("snapshot"))
    frame = auto.history("002415.SZ")
    assert len(frame) == 1729  # rows of 002415.SZ.csv
    assert auto.fallback_reason == "002415.SZ: Yahoo download failed: DNSError: no route"
    prov = auto.provenance("002415.SZ")
    assert prov.source == "snapshot" and prov.detail == "eventstudy/data/default_study/002415.SZ.csv"
    assert prov.warning.startswith("live source unavailable (002415.SZ: Yahoo download failed: DNSError: no route)")
