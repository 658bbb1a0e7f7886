"""The log-volume market model (eventstudy.model.volume): statsmodels cross-check, a hand-worked case, the size of
its per-firm t under the null, and suspensions as missing volume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.data.histories import stacked
from eventstudy.data.volume import log_volume
from eventstudy.model import volume as volume_model
from eventstudy.model.volume import abnormal_volume, log_volume_days

REL = np.arange(-60, 11)
EST = (-60, -11)


def _data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    market = rng.normal(12.0, 0.5, (n, len(REL)))
    return 2.0 + 0.7 * market + rng.normal(0.0, 0.4, (n, len(REL))), market


def test_matches_statsmodels_ols_and_its_forecast_variance() -> None:
    rng = np.random.default_rng(1)
    v, m = _data(rng, 3)
    v[0, 7] = np.nan  # a suspension inside the estimation window
    v[1, 65] = np.nan  # and one inside the event window
    av = abnormal_volume(v, m, REL, EST, np.array([True, True, False]))
    window = (REL >= 0) & (REL <= 5)
    res = av.cumulate(window)
    for i in range(3):
        est = (REL <= -11) & np.isfinite(v[i])
        x = sm.add_constant(m[i, est]) if i < 2 else np.ones((est.sum(), 1))
        fit = sm.OLS(v[i, est], x).fit()
        np.testing.assert_allclose(av.params[i, : x.shape[1]], fit.params, rtol=1e-10)
        np.testing.assert_allclose(av.sigma2[i], fit.scale, rtol=1e-10)
        assert av.dof[i] == fit.df_resid
        days = window & np.isfinite(v[i])
        xw = sm.add_constant(m[i, days], has_constant="add") if i < 2 else np.ones((days.sum(), 1))
        g = xw.sum(axis=0)
        var = fit.scale * (days.sum() + g @ fit.normalized_cov_params @ g)
        terms = v[i, days] - xw @ fit.params
        # A sum that cancels (CAV ≈ 0.015 from terms of ~0.5): its rounding is relative to the terms, not the sum —
        # on another BLAS kernel the fit's last bits moved this one by 1.5e-12 (1e-10 of the sum).
        np.testing.assert_allclose(res["cav"][i], terms.sum(), rtol=1e-10, atol=1e-11 * np.abs(terms).sum())
        np.testing.assert_allclose(res["cav_se"][i] ** 2, var, rtol=1e-10)
        assert res["n_days"][i] == days.sum()
    assert np.isnan(av.params[2, 1])  # the mean-adjusted row has no slope


def test_hand_worked_mean_adjusted_case() -> None:
    # estimation log volumes 1, 2, 3, 6 (mean 3, residuals -2, -1, 0, 3: SSR 14, dof 3, σ² = 14/3); event day 5:
    # AV = 2, Var = σ² (1 + 1/4) = 35/6
    rel = np.arange(-4, 1)
    v = np.array([[1.0, 2.0, 3.0, 6.0, 5.0]])
    av = abnormal_volume(v, np.zeros_like(v), rel, (-4, -1), np.array([False]))
    res = av.cumulate(rel == 0)
    assert av.sigma2[0] == 14.0 / 3.0
    np.testing.assert_allclose(res["cav"], [2.0], rtol=1e-12)
    np.testing.assert_allclose(res["cav_se"] ** 2, [35.0 / 6.0], rtol=1e-12)


def test_suspended_session_is_no_volume_not_zero() -> None:
    assert np.isnan(log_volume(np.array([0.0]), np.array([False])))[0]
    assert log_volume(np.array([0.0]), np.array([True]))[0] == 0.0
    np.testing.assert_allclose(log_volume(np.array([99.0, np.nan]), np.array([True, True])), [np.log(100.0), np.nan])


def test_per_firm_t_holds_its_size_under_the_null() -> None:
    rng = np.random.default_rng(7)
    v, m = _data(rng, 4000)
    res = abnormal_volume(v, m, REL, EST, np.ones(4000, dtype=bool)).cumulate((REL >= 0) & (REL <= 5))
    rate = float((res["cav_p"] < 0.05).mean())
    assert abs(rate - 0.05) < 0.012  # Monte Carlo sd 0.34 pp


def test_a_volume_that_never_changes_has_no_model() -> None:
    v = np.full((1, len(REL)), np.log1p(1000.0))
    av = abnormal_volume(v, v.copy(), REL, EST, np.array([True]))
    assert np.isnan(av.sigma2).all() and np.isnan(av.cumulate(REL >= 0)["cav"]).all()


def test_windows_at_once_match_statsmodels_window_by_window() -> None:
    # cumulate_windows: several windows (one-day and multi-day, one reaching a suspension) in one pass, each row of
    # its (K, N) arrays the statsmodels forecast of that window's sessions; log volumes at a realistic level (~15)
    rng = np.random.default_rng(3)
    v, m = _data(rng, 3)
    v, m = v + 7.0, m + 7.0
    v[2, 62] = np.nan  # a suspension on day 2
    av = abnormal_volume(v, m, REL, EST, np.array([True, False, True]))
    windows = [(0, 5), (2, 2), (-1, 1), (3, 3)]
    got = av.cumulate_windows(np.array([(REL >= a) & (REL <= b) for a, b in windows]))
    assert got["cav"].shape == (len(windows), 3)
    for i in range(3):
        est = (REL <= -11) & np.isfinite(v[i])
        x = sm.add_constant(m[i, est]) if i != 1 else np.ones((est.sum(), 1))
        fit = sm.OLS(v[i, est], x).fit()
        for k, (a, b) in enumerate(windows):
            days = (REL >= a) & (REL <= b) & np.isfinite(v[i])
            if not days.any():
                assert np.isnan(got["cav"][k, i]) and got["n_days"][k, i] == 0
                continue
            xw = sm.add_constant(m[i, days], has_constant="add") if i != 1 else np.ones((days.sum(), 1))
            g = xw.sum(axis=0)
            terms = v[i, days] - xw @ fit.params
            # the fit in deviations from the means: to 1e-12 of the summands (log volumes of ~10 around a level of
            # ~10: the normal equations of (1, v_mt) lost 1e-10 here)
            np.testing.assert_allclose(got["cav"][k, i], terms.sum(), rtol=1e-12, atol=1e-12 * np.abs(terms).sum())
            var = fit.scale * (days.sum() + g @ fit.normalized_cov_params @ g)
            np.testing.assert_allclose(got["cav_se"][k, i] ** 2, var, rtol=1e-12)
            assert got["n_days"][k, i] == days.sum()


def _frame(days: pd.DatetimeIndex, volume: list[float], traded: list[bool]) -> pd.DataFrame:
    return pd.DataFrame({"close": 1.0, "prev_close": 1.0, "volume": volume, "traded": traded}, index=days)


def _gathered(monkeypatch, python: bool, *args) -> np.ndarray:
    if python:  # the kernel's Python source, line by line
        monkeypatch.setattr(volume_model, "_log_volume_days", volume_model._log_volume_days.py_func)
    return log_volume_days(*args)


@pytest.mark.parametrize("python", [False, True])
def test_log_volume_days_marks_suspensions_and_gaps_missing(monkeypatch, python: bool) -> None:
    days = pd.bdate_range("2020-01-01", periods=4)
    rows = stacked({"A": _frame(days[[0, 1, 3]], [100.0, 0.0, 50.0], [True, False, True])}).rows
    got = _gathered(monkeypatch, python, rows, days, np.array([0]), np.array([1]), np.array([-2, -1, 0, 1, 2, 3]))
    # day −2 is before the axis, day 3 after it; day 0 (2 Jan) is a suspension, day 1 has no row
    np.testing.assert_array_equal(got, [[np.nan, np.log(101.0), np.nan, np.nan, np.log(51.0), np.nan]])


@pytest.mark.parametrize("python", [False, True])
def test_log_volume_days_of_many_tickers_are_each_ones_reindexed_volume(monkeypatch, python: bool) -> None:
    days = pd.bdate_range("2020-01-01", periods=8)
    frames = {
        "A": _frame(days[[0, 2, 5, 6]], [10.0, np.nan, 30.0, -1.0], [True, True, True, True]),  # unknown; negative
        "B": _frame(pd.DatetimeIndex([days[1], "2020-01-04", days[3], days[7], "2020-01-20"]),
                    [7.0, 8.0, 0.0, 9.0, 4.0], [True, True, False, True, True]),  # a Saturday; a day past the axis
        "C": _frame(pd.DatetimeIndex([]), [], []),
    }  # fmt: skip
    rows = stacked(frames).rows
    codes, day0, rel = np.array([0, 1, 2, -1, 1, 0]), np.array([3, 2, 4, 4, 7, 0]), np.array([-3, -1, 0, 2, 4])
    got = _gathered(monkeypatch, python, rows, days, codes, day0, rel)
    for i, (c, d) in enumerate(zip(codes, day0, strict=True)):  # the reference: the ticker's frame reindexed
        if c < 0:
            assert np.isnan(got[i]).all()
            continue
        frame = frames[rows.tickers[c]].reindex(days)
        ok = frame["traded"].eq(True) & frame["volume"].ge(0)
        series = np.where(ok, np.log1p(frame["volume"].where(ok, 0.0)), np.nan)
        want = [series[d + r] if 0 <= d + r < len(days) else np.nan for r in rel]
        np.testing.assert_array_equal(got[i], want)
    assert np.isfinite(got).sum() == 5  # (counted by hand: the reference has figures to compare)


def test_the_fit_kernel_as_its_python_source_and_with_exclusions(monkeypatch) -> None:
    """The compiled pass of :func:`abnormal_volume` equals its Python source on rows with missing volumes, a missing
    market volume, excluded sessions, a mean-adjusted row and a market volume constant on the sample (the mean
    model's fit); and an excluded session leaves the estimation sample, as statsmodels fitted without it."""
    rng = np.random.default_rng(11)
    v, m = _data(rng, 5)
    v[0, [3, 40, 66]] = np.nan
    m[1, [5, 62]] = np.nan
    m[3, :50] = 12.0  # constant over the estimation window: no slope
    exclude = np.zeros(v.shape, dtype=bool)
    exclude[2, 10:20] = True
    use = np.array([True, True, True, True, False])
    fields = ("volume", "market", "estimation", "params", "xtx_inv", "sigma2", "n_est", "dof", "av", "market_mean")
    compiled = abnormal_volume(v, m, REL, EST, use, exclude=exclude)
    monkeypatch.setattr(volume_model, "_fit_rows", volume_model._fit_rows.py_func)
    source = abnormal_volume(v, m, REL, EST, use, exclude=exclude)
    for name in fields:
        np.testing.assert_allclose(getattr(source, name), getattr(compiled, name), rtol=1e-12, atol=1e-14, err_msg=name)
    est = (REL <= -11) & ~exclude[2]
    fit = sm.OLS(v[2, est], sm.add_constant(m[2, est])).fit()
    np.testing.assert_allclose(compiled.params[2], fit.params, rtol=1e-10)
    np.testing.assert_allclose(compiled.sigma2[2], fit.scale, rtol=1e-10)
    assert compiled.n_est[2] == est.sum() and compiled.params[3, 1] == 0.0 and np.isnan(compiled.params[4, 1])
