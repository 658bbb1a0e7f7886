"""The universe loader reproduces the per-security panel conventions, with an equal-weighted benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.returns import returns_panel
from eventstudy.data.universe import (
    COLUMNS,
    EW_BENCHMARK,
    NEW_LISTING_SESSIONS,
    equal_weighted,
    load_universe,
    write_synthetic_universe,
)
from eventstudy.errors import DataError

from ..conftest import SZSE_UNIVERSE


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return write_synthetic_universe(tmp_path_factory.mktemp("u") / "universe.parquet", n_tickers=12, n_sessions=300)


def _reference(raw: pd.DataFrame, ticker: str, sessions: pd.DatetimeIndex):
    h = raw[raw["ticker"] == ticker].set_index("date")[["close", "prev_close", "volume", "traded"]].copy()
    h.index = pd.DatetimeIndex(h.index.astype("datetime64[ns]"))
    h["traded"] = h["traded"].astype(bool)
    return returns_panel({ticker: h}, sessions)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype.kind == "f":
        return np.allclose(a, b, rtol=1e-13, atol=0.0, equal_nan=True)
    return np.array_equal(a, b)


def test_matches_security_returns(synthetic):
    u = load_universe(synthetic)
    raw = pd.read_parquet(synthetic)
    assert u.rows == len(raw)
    assert list(u.tickers) == sorted(raw["ticker"].astype(str).unique())
    assert list(u.panel.returns.columns) == [*u.tickers, EW_BENCHMARK]
    assert len(u.sessions) == raw["date"].nunique()
    for ticker in u.tickers:
        ref = _reference(raw, ticker, u.sessions)
        for name in ("returns", "span", "traded", "covered", "level"):
            mine, theirs = getattr(u.panel, name)[ticker].to_numpy(), getattr(ref, name)[ticker].to_numpy()
            assert _same(mine, theirs), (ticker, name)
    # halts exist and give multi-session spans
    assert (u.panel.span[list(u.tickers)].to_numpy() > 1).any()


def test_a_listing_day_has_no_return(synthetic):
    """The first trade of each ticker is its base (e.g. an IPO against its offer price): no return, span 0."""
    u = load_universe(synthetic)
    for ticker in u.tickers:
        traded = u.panel.traded[ticker].to_numpy()
        first = int(np.flatnonzero(traded)[0])
        assert u.panel.span[ticker].iloc[first] == 0 and np.isnan(u.panel.returns[ticker].iloc[first])
        assert u.panel.level[ticker].iloc[first] == 1.0


def test_row_order_does_not_matter(synthetic, tmp_path):
    raw = pd.read_parquet(synthetic).sample(frac=1.0, random_state=3)
    shuffled = tmp_path / "shuffled.parquet"
    raw.to_parquet(shuffled, index=False)
    a, b = load_universe(synthetic).panel, load_universe(shuffled).panel
    for name in ("returns", "span", "traded", "covered", "level"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_equal_weighted_benchmark(synthetic):
    u = load_universe(synthetic)
    firms = list(u.tickers)
    listed = u.panel.covered[firms].to_numpy().argmax(axis=0)  # first session of each stock
    age = np.arange(len(u.sessions))[:, None] - listed[None, :]
    new = (listed > 0)[None, :] & (age < NEW_LISTING_SESSIONS)
    assert new.any()  # the synthetic universe has staggered listings
    single = (u.panel.span[firms] == 1) & ~new
    expected = u.panel.returns[firms].where(single).mean(axis=1).fillna(0.0)
    np.testing.assert_allclose(u.panel.returns[EW_BENCHMARK].to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-15)
    level = np.cumprod(1.0 + expected.to_numpy())
    np.testing.assert_allclose(u.panel.level[EW_BENCHMARK].to_numpy(), level, rtol=1e-12)
    assert u.panel.covered[EW_BENCHMARK].all() and (u.panel.span[EW_BENCHMARK] == 1).all()


def test_new_listings_out_of_the_index_for_60_sessions():
    """Hand case: stock B is first seen on session 1 (0-based), so it is a new listing and left out."""
    returns = np.array([[0.01, np.nan], [0.02, np.nan], [0.00, 0.10], [0.04, 0.10]])
    span = np.array([[1, 0], [1, 0], [1, 1], [1, 1]])
    r, level = equal_weighted(returns, span, np.array([0, 1]))
    np.testing.assert_allclose(r, [0.01, 0.02, 0.00, 0.04])  # B under 60 sessions old on every session
    r_all, _ = equal_weighted(returns, span)
    np.testing.assert_allclose(r_all, [0.01, 0.02, 0.05, 0.07])
    np.testing.assert_allclose(level, np.cumprod(1 + r))


def test_prunes_columns_and_reports_problems(synthetic, tmp_path):
    assert "volume" not in COLUMNS
    no_volume = tmp_path / "no_volume.parquet"
    pd.read_parquet(synthetic).drop(columns="volume").to_parquet(no_volume, index=False)
    assert load_universe(no_volume).rows > 0
    with pytest.raises(DataError, match="not found"):
        load_universe(tmp_path / "missing.parquet")
    dup = tmp_path / "dup.parquet"
    raw = pd.read_parquet(synthetic)
    pd.concat([raw, raw.iloc[:1]]).to_parquet(dup, index=False)
    with pytest.raises(DataError, match="duplicate"):
        load_universe(dup)


def test_refuses_a_file_that_is_not_a_parquet_universe_in_one_line(synthetic, tmp_path):
    csv = tmp_path / "universe.csv"
    pd.read_parquet(synthetic).head(5).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"universe\.csv: not a parquet universe file \(") as exc:
        load_universe(csv)
    assert "\n" not in str(exc.value)
    raw = pd.read_parquet(synthetic)
    no_traded = tmp_path / "no_traded.parquet"
    raw.drop(columns="traded").to_parquet(no_traded, index=False)
    with pytest.raises(DataError, match=r"no_traded\.parquet: column 'traded' missing"):
        load_universe(no_traded)
    int_dates = tmp_path / "int_dates.parquet"  # epoch integers would otherwise be read as nanoseconds
    raw.assign(date=raw["date"].astype("int64")).to_parquet(int_dates, index=False)
    with pytest.raises(DataError, match=r"int_dates\.parquet: column 'date' has type int64, expected a date"):
        load_universe(int_dates)
    text_close = tmp_path / "text_close.parquet"
    raw.assign(close=raw["close"].astype(str)).to_parquet(text_close, index=False)
    with pytest.raises(DataError, match=r"column 'close' has type .*string, expected numbers"):
        load_universe(text_close)
    directory = tmp_path / "folder.parquet"
    directory.mkdir()
    with pytest.raises(DataError, match=r"folder\.parquet: not a parquet universe file"):
        load_universe(directory)


def test_no_default_universe_in_the_package():
    import eventstudy.data.universe as universe

    with pytest.raises(ImportError, match="removed"):
        universe.DEFAULT_UNIVERSE  # noqa: B018
    import inspect

    assert inspect.signature(load_universe).parameters["path"].default is inspect.Parameter.empty


def test_panel_is_column_contiguous(synthetic):
    # one firm's series is contiguous, so gathering a firm-event's window reads adjacent memory
    assert load_universe(synthetic).panel.returns.to_numpy().flags["F_CONTIGUOUS"]


@pytest.mark.skipif(not SZSE_UNIVERSE.exists(), reason="SZSE universe file not available")
def test_real_universe_shape_and_spot_check():
    u = load_universe(SZSE_UNIVERSE)
    assert (u.rows, len(u.tickers), len(u.sessions)) == (3_528_966, 2_588, 1_729)
    raw = pd.read_parquet(SZSE_UNIVERSE, columns=["date", "ticker", "close", "prev_close", "volume", "traded"],
                          filters=[("ticker", "in", ["000001.SZ"])])  # fmt: skip
    raw["ticker"] = raw["ticker"].astype(str)
    ref = _reference(raw, "000001.SZ", u.sessions)
    for name in ("returns", "span", "traded", "covered", "level"):
        assert _same(getattr(u.panel, name)["000001.SZ"].to_numpy(), getattr(ref, name)["000001.SZ"].to_numpy())
