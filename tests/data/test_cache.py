"""CachedProvider: parquet + JSON cache in front of a provider (no network)."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.data.base import PriceProvider, Provenance
from eventstudy.data.cache import CachedProvider
from eventstudy.errors import DataError, DataUnavailable

TICKER = "600000.SS"
FETCHED_AT = "2024-07-01T08:00:00+00:00"


def full_history() -> pd.DataFrame:
    """Sessions 2024-02-01 .. 2024-06-28 (weekdays), close 10.00, 10.01, 10.02, ...; all traded."""
    index = pd.bdate_range("2024-02-01", "2024-06-28", name="date")
    close = [10.0 + 0.01 * i for i in range(len(index))]
    prev = [9.99] + close[:-1]
    return pd.DataFrame({"close": close, "prev_close": prev, "volume": 1000.0, "traded": True}, index=index)


class FakeInner:
    """A provider that counts calls and can be told to fail."""

    name = "fake"

    def __init__(self) -> None:
        self.frame = full_history()
        self.calls: list[tuple[str, date | None, date | None]] = []
        self.fail: str | None = None

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        self.calls.append((ticker, start, end))
        if self.fail is not None:
            raise DataUnavailable(f"{ticker}: {self.fail}")
        lo = pd.Timestamp(start) if start else None
        hi = pd.Timestamp(end) if end else None
        return self.frame.loc[lo:hi].copy()

    def provenance(self, ticker: str) -> Provenance:
        return Provenance(source="fake", as_of=None, detail="live")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def inner() -> FakeInner:
    return FakeInner()


@pytest.fixture
def cache(inner: FakeInner, tmp_path: Path) -> CachedProvider:
    return CachedProvider(inner, tmp_path / "cache", clock=Clock(datetime(2024, 7, 1, 8, 0, tzinfo=UTC)))


def dates(frame: pd.DataFrame) -> list[date]:
    return [ts.date() for ts in frame.index]


def test_is_a_provider_named_after_inner(cache: CachedProvider) -> None:
    assert isinstance(cache, PriceProvider)
    assert cache.name == "cache+fake"


def test_first_call_writes_parquet_and_metadata(cache: CachedProvider, inner: FakeInner, tmp_path: Path) -> None:
    out = cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    # March 2024 has 21 weekdays; the first is Friday 1 March, after the 21 weekdays of (leap) February,
    # so its close is 10 + 0.01 * 21.
    assert len(out) == 21
    assert out.index[0] == pd.Timestamp("2024-03-01") and out["close"].iloc[0] == pytest.approx(10.21)
    parquet = tmp_path / "cache" / f"{TICKER}.parquet"
    meta = json.loads((tmp_path / "cache" / f"{TICKER}.json").read_text())
    assert meta == {
        "ticker": TICKER,
        "source": "fake",
        "fetched_at": FETCHED_AT,
        "start": "2024-03-01",
        "end": "2024-03-29",
        "rows": 21,
        "sha256": hashlib.sha256(parquet.read_bytes()).hexdigest(),
    }
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [f"{TICKER}.json", f"{TICKER}.parquet"]
    prov = cache.provenance(TICKER)
    assert prov.source == "fake" and prov.as_of == date(2024, 3, 29) and prov.fetched_at == FETCHED_AT
    assert prov.detail == "fetched live and cached"  # no wall-clock time in what reports publish


def test_second_call_inside_range_does_not_call_inner(cache: CachedProvider, inner: FakeInner) -> None:
    cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    out = cache.history(TICKER, date(2024, 3, 11), date(2024, 3, 15))
    assert len(inner.calls) == 1
    assert dates(out) == [date(2024, 3, d) for d in (11, 12, 13, 14, 15)]
    assert out["traded"].dtype == bool
    pd.testing.assert_frame_equal(out, full_history().loc["2024-03-11":"2024-03-15"], check_index_type=False)
    prov = cache.provenance(TICKER)
    assert prov == Provenance(
        source="cache", as_of=date(2024, 3, 29), detail="cache of fake data", fetched_at=FETCHED_AT
    )


def test_range_extension_fetches_only_new_sessions_then_the_union(
    cache: CachedProvider, inner: FakeInner, tmp_path: Path
) -> None:
    cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 15))
    out = cache.history(TICKER, date(2024, 3, 11), date(2024, 3, 29))
    # Incremental: from the 5th-last cached session (overlap to catch revisions) to the new end.
    assert inner.calls[-1] == (TICKER, date(2024, 3, 11), date(2024, 3, 29))
    assert dates(out)[0] == date(2024, 3, 11) and dates(out)[-1] == date(2024, 3, 29)
    cache.history(TICKER, date(2024, 2, 15), date(2024, 3, 5))
    assert inner.calls[-1] == (TICKER, date(2024, 2, 15), date(2024, 3, 29))
    meta = json.loads((tmp_path / "cache" / f"{TICKER}.json").read_text())
    assert (meta["start"], meta["end"]) == ("2024-02-15", "2024-03-29")
    # 2024-02-15 .. 2024-03-29: 11 weekdays in February from the 15th, 21 in March.
    assert meta["rows"] == 32
    # Now anything inside the union is served from disk.
    cache.history(TICKER, date(2024, 2, 20), date(2024, 3, 20))
    assert len(inner.calls) == 3


def test_open_end_means_today_and_refreshes_next_day(inner: FakeInner, tmp_path: Path) -> None:
    clock = Clock(datetime(2024, 5, 31, 12, 0, tzinfo=UTC))
    cache = CachedProvider(inner, tmp_path, clock=clock)
    cache.history(TICKER, date(2024, 5, 1))
    assert inner.calls == [(TICKER, date(2024, 5, 1), date(2024, 5, 31))]
    cache.history(TICKER, date(2024, 5, 10))
    assert len(inner.calls) == 1
    clock.now = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)
    out = cache.history(TICKER, date(2024, 5, 10))
    assert inner.calls[-1] == (TICKER, date(2024, 5, 27), date(2024, 6, 3))  # last 5 cached sessions onward
    assert dates(out)[-1] == date(2024, 6, 3)


def test_corrupted_parquet_is_detected_and_refetched(cache: CachedProvider, inner: FakeInner, tmp_path: Path) -> None:
    cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    parquet = tmp_path / "cache" / f"{TICKER}.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    parquet.write_bytes(bytes(data))
    out = cache.history(TICKER, date(2024, 3, 4), date(2024, 3, 8))
    assert len(inner.calls) == 2
    assert dates(out) == [date(2024, 3, d) for d in (4, 5, 6, 7, 8)]
    meta = json.loads((tmp_path / "cache" / f"{TICKER}.json").read_text())
    assert meta["sha256"] == hashlib.sha256(parquet.read_bytes()).hexdigest()


def test_unreadable_parquet_with_matching_checksum_is_refetched(
    cache: CachedProvider, inner: FakeInner, tmp_path: Path
) -> None:
    cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    parquet = tmp_path / "cache" / f"{TICKER}.parquet"
    meta_path = tmp_path / "cache" / f"{TICKER}.json"
    parquet.write_bytes(b"not a parquet file")
    meta = json.loads(meta_path.read_text())
    meta["sha256"] = hashlib.sha256(b"not a parquet file").hexdigest()
    meta_path.write_text(json.dumps(meta))
    out = cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    assert len(inner.calls) == 2 and len(out) == 21


def test_corrupted_cache_and_failed_refetch_name_the_file(
    cache: CachedProvider, inner: FakeInner, tmp_path: Path
) -> None:
    cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    parquet = tmp_path / "cache" / f"{TICKER}.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-10])
    inner.fail = "Yahoo download failed: ConnectionError: offline"
    with pytest.raises(DataUnavailable) as info:  # unavailable, so that --source auto falls back (issue 14.6)
        cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    message = str(info.value)
    assert str(parquet) in message and "checksum mismatch" in message and "offline" in message


def test_inner_failure_falls_back_to_valid_cache(cache: CachedProvider, inner: FakeInner) -> None:
    cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    inner.fail = "Yahoo download failed: ConnectionError: offline"
    out = cache.history(TICKER, date(2024, 3, 25), date(2024, 4, 30))  # asks beyond the cache
    assert len(inner.calls) == 2
    # Only the cached part of the range is available: 25..29 March.
    assert dates(out) == [date(2024, 3, d) for d in (25, 26, 27, 28, 29)]
    prov = cache.provenance(TICKER)
    assert prov.source == "cache"
    assert prov.as_of == date(2024, 3, 29)
    assert prov.detail == "cache of fake data" and prov.fetched_at == FETCHED_AT
    assert prov.warning == (
        f"{TICKER}: live refresh failed ({TICKER}: Yahoo download failed: ConnectionError: offline); "
        "using cached data as of 2024-03-29"
    )


def test_inner_failure_without_cache_is_unavailable(cache: CachedProvider, inner: FakeInner, tmp_path: Path) -> None:
    inner.fail = "Yahoo returned no rows for 2024-03-01..2024-03-29"
    with pytest.raises(DataUnavailable, match="no rows"):
        cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    assert not (tmp_path / "cache" / f"{TICKER}.json").exists()
    assert cache.cached_tickers() == []


@pytest.mark.parametrize("ticker", ["../evil", "a/b", "..", "a\\b", "", ".hidden"])
def test_path_escaping_ticker_is_rejected(cache: CachedProvider, inner: FakeInner, tmp_path: Path, ticker: str) -> None:
    with pytest.raises(DataError, match="not a valid ticker"):
        cache.history(ticker, date(2024, 3, 1), date(2024, 3, 29))
    assert inner.calls == []
    assert not (tmp_path / "evil.parquet").exists() and not (tmp_path / "evil.json").exists()


def test_cached_tickers_lists_stored_histories(cache: CachedProvider) -> None:
    assert cache.cached_tickers() == []
    cache.history("399106.SZ", date(2024, 3, 1), date(2024, 3, 8))
    cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 8))
    assert cache.cached_tickers() == ["399106.SZ", TICKER]


def test_inner_failure_with_cache_outside_the_range_is_unavailable(cache: CachedProvider, inner: FakeInner) -> None:
    cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    inner.fail = "Yahoo download failed: ConnectionError: offline"
    with pytest.raises(DataUnavailable, match="offline"):
        cache.history(TICKER, date(2024, 5, 1), date(2024, 5, 31))  # the cache has nothing in May
    assert cache.provenance(TICKER).detail == "fetched live and cached"


def test_revision_in_the_overlap_forces_a_full_refetch(cache: CachedProvider, inner: FakeInner) -> None:
    cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 15))
    inner.frame.loc["2024-03-14", "close"] += 0.5  # the vendor corrects a price inside the overlap
    out = cache.history(TICKER, date(2024, 3, 1), date(2024, 3, 29))
    assert inner.calls[-2] == (TICKER, date(2024, 3, 11), date(2024, 3, 29))  # incremental attempt
    assert inner.calls[-1] == (TICKER, date(2024, 3, 1), date(2024, 3, 29))  # then the whole range
    assert out.loc["2024-03-14", "close"] == pytest.approx(10.0 + 0.01 * 30 + 0.5)


def test_default_directory_is_the_environment_variable_or_the_user_cache(monkeypatch, tmp_path: Path) -> None:
    import platformdirs

    from eventstudy.data import default_cache_dir, open_provider

    monkeypatch.setenv("EVENTSTUDY_CACHE", str(tmp_path / "prices"))
    assert default_cache_dir() == tmp_path / "prices"
    provider = open_provider("yahoo")
    assert isinstance(provider, CachedProvider) and provider.directory == tmp_path / "prices"
    monkeypatch.delenv("EVENTSTUDY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # platformdirs' Linux rule; elsewhere its own
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("eventstudy", appauthor=False))
    if sys.platform == "linux":
        assert default_cache_dir() == tmp_path / "xdg" / "eventstudy"
    assert open_provider("yahoo", tmp_path / "given").directory == tmp_path / "given"  # --cache wins
