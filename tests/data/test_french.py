"""The Kenneth French data-library client: the library's zipped CSV layout (the real US 3-factor file, zipped here
exactly as the library serves it), missing values, momentum and 5-factor headers, the factor cache and its
fetcher (injected: never the network), the vendored US file, regions and the coverage check."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.french import (
    BASE_URL,
    VENDORED_DIR,
    FactorLibrary,
    check_coverage,
    library_factors,
    library_url,
    model_files,
    parse_library_csv,
    read_library_zip,
)
from eventstudy.errors import ConfigError, DataError, DataUnavailable

SHARED_FILE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ff-us-daily"
RECORDED = VENDORED_DIR / "F-F_Research_Data_Factors_daily.csv"  # byte-identical to SHARED_FILE's CSV
PREAMBLE = (
    "This file was created by CMPT_ME_BEME_RETS_DAILY using the 202012 CRSP database.\r\n"
    "The Tbill return is the simple daily rate that, over the number of trading days\r\n"
    "in the month, compounds to 1-month TBill rate from Ibbotson and Associates Inc.\r\n\r\n"
)


def as_library_zip(table: str, member: str = "F-F_Research_Data_Factors_daily.CSV", preamble: str = PREAMBLE) -> bytes:
    """A recorded table (header ``Date,...`` then rows) in the library's download form: a zip holding one CSV with
    the text preamble, the header with an empty first cell, the rows, a blank line and the copyright line, CRLF."""
    lines = table.strip().splitlines()
    header = "," + lines[0].split(",", 1)[1]
    body = "\r\n".join([header, *lines[1:]])
    text = f"{preamble}{body}\r\n\r\nCopyright 2021 Kenneth R. French\r\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # a fixed modification time: two zips of the same table are the same bytes, whenever each was made
        archive.writestr(zipfile.ZipInfo(member, date_time=(2021, 2, 1, 12, 0, 0)), text, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def recorded_zip() -> bytes:
    return as_library_zip(RECORDED.read_text(encoding="utf-8"))


def test_recorded_file_in_the_librarys_zip_layout():
    """The real file, served as the library serves it: 1,511 days 2015-01-02 .. 2020-12-31, percent → decimals.
    First row of the file: ``20150102,-0.12,-0.61,0.08,0.000``; last: ``20201231,0.39,-0.88,0.40,0.000``."""
    frame = read_library_zip(recorded_zip(), "F-F_Research_Data_Factors_daily_CSV.zip")
    assert list(frame.columns) == ["mkt_rf", "smb", "hml", "rf"]
    assert len(frame) == 1511 and frame.index[0] == pd.Timestamp("2015-01-02")
    assert frame.index[-1] == pd.Timestamp("2020-12-31")
    np.testing.assert_allclose(frame.iloc[0], [-0.0012, -0.0061, 0.0008, 0.0], rtol=1e-12)
    np.testing.assert_allclose(frame.iloc[-1], [0.0039, -0.0088, 0.0040, 0.0], rtol=1e-12)
    # the zipped download and the vendored table (no preamble, header "Date,...") read alike
    vendored = parse_library_csv(RECORDED.read_text(encoding="utf-8"), "vendored")
    pd.testing.assert_frame_equal(frame, vendored)


@pytest.mark.skipif(not SHARED_FILE.is_dir(), reason="../shared not present")
def test_vendored_copy_is_the_shared_file():
    original = (SHARED_FILE / "F-F_Research_Data_Factors_daily.csv").read_bytes()
    assert RECORDED.read_bytes() == original
    assert hashlib.sha256(original).hexdigest() in (VENDORED_DIR / "PROVENANCE.md").read_text(encoding="utf-8")


def test_momentum_missing_codes_padding_and_sections():
    """``,Mom   `` (padded header), ``-99.99`` and ``-999`` → NaN; a monthly file's second section is not read."""
    text = (
        "This file was created by CMPT_ME_PRIOR_RETS_DAILY using the 202012 CRSP database.\n"
        "Missing data are indicated by -99.99 or -999.\n\n"
        ",Mom   \n20190102,   -2.46\n20190103,  -99.99\n20190104,    -999\n20190107,    0.40\n\n"
        "  Annual Factors: January-December \n,Mom\n2019,   10.00\n\nCopyright 2021 Kenneth R. French\n"
    )
    frame = parse_library_csv(text, "F-F_Momentum_Factor_daily.CSV")
    assert list(frame.columns) == ["mom"] and len(frame) == 4
    np.testing.assert_allclose(frame["mom"].to_numpy(), [-0.0246, np.nan, np.nan, 0.004], rtol=1e-12)
    wml = parse_library_csv(",WML\n20190102,1.5\n", "Developed_Mom_Factor_Daily.csv")
    assert list(wml.columns) == ["mom"] and wml["mom"].iloc[0] == pytest.approx(0.015, rel=1e-12)
    five = parse_library_csv(",Mkt-RF,SMB,HML,RMW,CMA,RF\n20190102,  0.23, 0.50, 1.00,-0.10, 0.20, 0.010\n", "5f")
    assert list(five.columns) == ["mkt_rf", "smb", "hml", "rmw", "cma", "rf"]
    np.testing.assert_allclose(five.iloc[0], [0.0023, 0.005, 0.01, -0.001, 0.002, 0.0001], rtol=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no header here\n", "f.csv: no header line"),
        (",Mkt-RF,XYZ\n20190102,1,2\n", "f.csv: line 1: unknown or repeated factor column"),
        (",SMB,HML\n2019-01-02,1,2\n", "f.csv: line 2: '2019-01-02' is not a date YYYYMMDD"),
        (",SMB,HML\n20190102,1\n", "f.csv: line 2: 1 values for 2 columns"),
        (",SMB,HML\n20190102,1,x\n", "f.csv: line 2: a value of '20190102,1,x' is not a number"),
        (",SMB,HML\n20190230,1,2\n", "f.csv: '20190230' is not a calendar date"),
        (",SMB,HML\n20190102,1,2\n20190102,1,2\n", "f.csv: date 2019-01-02 appears twice"),
        (",SMB,HML\n\n", "f.csv: no daily rows after the header"),
    ],
)
def test_malformed_files_are_one_line_errors(text, message):
    with pytest.raises(DataError) as info:
        parse_library_csv(text, "f.csv")
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_not_a_zip():
    with pytest.raises(DataError, match="x.zip: not a zip file"):
        read_library_zip(b"<html>moved</html>", "x.zip")


class Recorder:
    """A fetcher that serves recorded bytes and remembers the URLs asked for (the network is never used)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files, self.urls = files, []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        if url not in self.files:
            raise DataUnavailable(f"{url}: HTTP Error 404: Not Found")
        return self.files[url]


def clock() -> datetime:
    return datetime(2021, 2, 1, 12, 0, tzinfo=UTC)


def test_refresh_caches_like_prices_and_series_reads_the_cache(tmp_path):
    stem = "F-F_Research_Data_Factors_daily"
    fetch = Recorder({library_url(stem): recorded_zip()})
    library = FactorLibrary(tmp_path, fetch=fetch, clock=clock)
    fresh = library.refresh(stem)
    assert fetch.urls == [BASE_URL + "F-F_Research_Data_Factors_daily_CSV.zip"]
    meta = json.loads((tmp_path / "french" / f"{stem}_CSV.json").read_text())
    payload = (tmp_path / "french" / f"{stem}_CSV.zip").read_bytes()
    assert meta["sha256"] == hashlib.sha256(payload).hexdigest() and payload == recorded_zip()
    assert (meta["rows"], meta["first"], meta["last"]) == (1511, "2015-01-02", "2020-12-31")
    assert meta["fetched_at"] == "2021-02-01T12:00:00+00:00"
    served = library.series(stem)
    assert served.origin.startswith("cache") and fetch.urls == [fetch.urls[0]]  # no second download
    pd.testing.assert_frame_equal(served.frame, fresh.frame)
    # a corrupt cache counts as absent: the vendored copy is served instead
    (tmp_path / "french" / f"{stem}_CSV.zip").write_bytes(payload[:-10])
    assert library.series(stem).origin.startswith("vendored")


def test_uncached_region_says_to_fetch(tmp_path):
    library = FactorLibrary(tmp_path, fetch=Recorder({}))
    with pytest.raises(DataUnavailable) as info:
        library_factors("ff3", "Asia Pacific ex Japan", library)
    assert "Asia_Pacific_ex_Japan_3_Factors_Daily_CSV.zip is not cached" in str(info.value)
    assert "run `eventstudy fetch STUDY`" in str(info.value)


def test_failed_download_leaves_the_cache_alone(tmp_path):
    library = FactorLibrary(tmp_path, fetch=Recorder({}))
    with pytest.raises(DataUnavailable, match="404"):
        library.refresh("Developed_3_Factors_Daily")
    assert not (tmp_path / "french").exists() or not any((tmp_path / "french").iterdir())


def test_models_read_their_files_and_factors(tmp_path):
    """ff3: SMB, HML from the 3-factor file (the vendored US one offline); carhart adds the momentum file's Mom
    (outer join: a day in one file only is a missing value); ff5: the 2x3 five-factor file's SMB, HML, RMW, CMA."""
    mom = as_library_zip("Date,Mom\n20150102,1.00\n20150105,-0.50\n20210104,0.25\n", "F-F_Momentum_Factor_daily.CSV")
    five = as_library_zip("Date,Mkt-RF,SMB,HML,RMW,CMA,RF\n20150102,-0.1,0.2,0.3,0.4,0.5,0.0\n")
    fetch = Recorder({library_url("F-F_Momentum_Factor_daily"): mom,
                      library_url("F-F_Research_Data_5_Factors_2x3_daily"): five})  # fmt: skip
    library = FactorLibrary(tmp_path, fetch=fetch)
    ff3 = library_factors("ff3", "US", library)
    assert list(ff3.columns) == ["smb", "hml"] and "vendored" in ff3.attrs["source"]
    library.refresh("F-F_Momentum_Factor_daily")
    library.refresh("F-F_Research_Data_5_Factors_2x3_daily")
    carhart = library_factors("carhart", "US", library)
    assert list(carhart.columns) == ["smb", "hml", "mom"]
    np.testing.assert_allclose(carhart.loc["2015-01-05"], [0.0033, -0.0068, -0.005], rtol=1e-12)
    assert np.isnan(carhart.loc["2015-01-06", "mom"]) and np.isnan(carhart.loc["2021-01-04", "smb"])
    ff5 = library_factors("ff5", "US", library)
    np.testing.assert_allclose(ff5.loc["2015-01-02"], [0.002, 0.003, 0.004, 0.005], rtol=1e-12)


def test_regions_and_files():
    assert model_files("carhart", "Asia Pacific ex Japan") == (
        "Asia_Pacific_ex_Japan_3_Factors_Daily", "Asia_Pacific_ex_Japan_MOM_Factor_Daily")  # fmt: skip
    assert model_files("ff5", "Developed") == ("Developed_5_Factors_Daily",)
    with pytest.raises(ConfigError, match="no daily ff3 factors for this region"):
        model_files("ff3", "Emerging")
    with pytest.raises(ConfigError, match="'Mars' is not a library region"):
        model_files("ff3", "Mars")


def test_coverage_error_names_the_dates():
    factors = pd.DataFrame({"smb": [0.0, 0.0]}, index=pd.DatetimeIndex(["2015-01-02", "2020-12-31"]))
    factors.attrs["source"] = "US: F-F_Research_Data_Factors_daily"
    check_coverage(factors, pd.Timestamp("2015-01-02"), pd.Timestamp("2020-12-31"), "x")  # covered: no error
    with pytest.raises(DataError) as info:
        check_coverage(factors, pd.Timestamp("2020-01-02"), pd.Timestamp("2021-03-01"), "event e (T)")
    assert str(info.value) == (
        "US: F-F_Research_Data_Factors_daily: the factors cover 2015-01-02..2020-12-31, but event e (T) needs "
        "2020-01-02..2021-03-01"
    )
