"""Volume on the session axis (eventstudy.data.volume): suspensions and missing rows are no volume."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.data.universe import load_universe, write_synthetic_universe
from eventstudy.data.volume import gather_days, universe_log_volume, volume_panel


def test_volume_panel_marks_suspensions_and_gaps_missing() -> None:
    days = pd.bdate_range("2020-01-01", periods=4)
    history = pd.DataFrame({"close": 1.0, "prev_close": 1.0, "volume": [100.0, 0.0, 50.0],
                            "traded": [True, False, True]}, index=days[[0, 1, 3]])  # fmt: skip
    got = volume_panel({"A": history}, days)["A"].to_numpy()
    np.testing.assert_allclose(got, [np.log(101.0), np.nan, np.nan, np.log(51.0)])


def test_gather_days_off_the_axis_is_missing() -> None:
    matrix = np.arange(10.0).reshape(5, 2)
    got = gather_days(matrix, np.array([1]), np.array([1]), np.array([-2, -1, 0, 3, 4]))
    np.testing.assert_allclose(got, [[np.nan, 1.0, 3.0, 9.0, np.nan]])


def test_universe_log_volume_and_its_market_mean(tmp_path) -> None:
    path = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=6, n_sessions=80)
    universe = load_universe(path)
    firms, market = universe_log_volume(path, universe)
    raw = pd.read_parquet(path)
    row = raw[raw["traded"] == 1].iloc[5]
    s, t = universe.sessions.get_loc(row["date"]), universe.tickers.get_loc(row["ticker"])
    assert firms[s, t] == np.log1p(row["volume"])
    halted = raw[raw["traded"] == 0].iloc[0]
    assert np.isnan(firms[universe.sessions.get_loc(halted["date"]), universe.tickers.get_loc(halted["ticker"])])
    traded_day = raw[(raw["date"] == row["date"]) & (raw["traded"] == 1)]
    np.testing.assert_allclose(market[s], np.log1p(traded_day["volume"]).mean(), rtol=1e-12)
