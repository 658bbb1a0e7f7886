"""Volume on the session axis (eventstudy.data.volume): suspensions and missing rows are no volume."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.data.universe import load_universe, write_synthetic_universe
from eventstudy.data.volume import gather_days, universe_log_volume


def test_gather_days_off_the_axis_is_missing() -> None:
    matrix = np.arange(10.0).reshape(5, 2)
    got = gather_days(matrix, np.array([1]), np.array([1]), np.array([-2, -1, 0, 3, 4]))
    np.testing.assert_allclose(got, [[np.nan, 1.0, 3.0, 9.0, np.nan]])


def test_gather_days_of_a_column_ordered_matrix_reads_each_cell() -> None:
    matrix = np.asfortranarray(np.arange(40.0).reshape(8, 5))  # session s, column c holds 5 s + c
    day0, cols = np.array([2, 4, 5]), np.array([3, 0, 4])
    got = gather_days(matrix, day0, cols, np.arange(-2, 3))  # every day on the axis: copied as blocks
    assert got.tolist() == [[5.0 * (d + r) + c for r in range(-2, 3)] for d, c in zip(day0, cols, strict=True)]
    late = gather_days(matrix, day0, cols, np.arange(0, 4))  # firm-event 3 runs past the last session
    assert np.isnan(late[2, 3]) and late[2, :3].tolist() == [29.0, 34.0, 39.0]


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
