"""Abnormal volatility (eventstudy.inference.volatility): Beaver's U, its F reference and the cross-sectional test
of variance change — closed forms, a hand-worked case and sizes under the null."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from eventstudy.inference import volatility
from eventstudy.inference.volatility import (
    beaver_p,
    beaver_u,
    estimation_squares,
    null_mean,
    rank_excess,
    variance_change_test,
    variance_rank_test,
)


def test_hand_worked_u() -> None:
    # SARs 1, -2, NaN (no return), 3 in the window: U = (1 + 4 + 9)/3
    u, n = beaver_u(np.array([[1.0, -2.0, np.nan, 3.0, 10.0]]), np.array([True, True, True, True, False]))
    np.testing.assert_allclose(u, [14.0 / 3.0], rtol=1e-12)
    assert n.tolist() == [3]
    np.testing.assert_allclose(beaver_p(u, n, np.array([100])), stats.f.sf(14 / 3, 3, 100), rtol=1e-12)
    np.testing.assert_allclose(null_mean(np.array([102.0])), [102 / 100], rtol=1e-12)


def _null(rng: np.random.Generator, n: int, window: int, dof: int) -> np.ndarray:
    """SARs with the estimated variance of ``dof + 1`` iid normal estimation residuals (mean model): U is exactly
    F(window, dof)."""
    est = rng.normal(size=(n, dof + 1))
    sigma = est.std(axis=1, ddof=1)
    return rng.normal(size=(n, window)) / sigma[:, None]


def test_u_is_f_distributed_under_the_null() -> None:
    rng = np.random.default_rng(8)
    sar = _null(rng, 20000, 6, 120)
    u, n = beaver_u(sar, np.ones(6, dtype=bool))
    p = beaver_p(u, n, np.full(20000, 120))
    assert abs(float((p < 0.05).mean()) - 0.05) < 0.005  # Monte Carlo sd 0.15 pp
    assert stats.kstest(u, stats.f(6, 120).cdf).pvalue > 0.001
    np.testing.assert_allclose(u.mean(), 120 / 118, rtol=0.01)  # E[U] = d/(d - 2)


def test_variance_change_test_size_and_power() -> None:
    rng = np.random.default_rng(9)
    groups = np.repeat(np.arange(3000), 30)
    sar = _null(rng, groups.size, 11, 200)
    u, _ = beaver_u(sar, np.ones(11, dtype=bool))
    got = variance_change_test(u, np.full(groups.size, 200), groups, 3000)
    assert abs(float((got["p"] < 0.05).mean()) - 0.05) < 0.012  # Monte Carlo sd 0.4 pp
    louder, _ = beaver_u(sar * 1.3, np.ones(11, dtype=bool))  # event-window sd up 30 %
    assert float((variance_change_test(louder, np.full(groups.size, 200), groups, 3000)["p"] < 0.05).mean()) > 0.9


def test_rank_excess_hand_worked() -> None:
    # estimation SAR² 1, 4, 9 and a window SAR² 16: pooled ranks 1..4, window percentile 4/5, R = 0.8 - 0.5
    sar = np.array([[1.0, 2.0, -3.0, 4.0]])
    est = np.array([[True, True, True, False]])
    r = rank_excess(sar, est, ~est)
    np.testing.assert_allclose(r, [0.3], rtol=1e-12)


def test_rank_test_size_with_fat_tails_and_power() -> None:
    rng = np.random.default_rng(13)
    groups = np.repeat(np.arange(2000), 30)
    sar = rng.standard_t(3, (groups.size, 211))  # fat tails: the rank test does not care
    est = np.zeros(sar.shape, dtype=bool)
    est[:, :200] = True
    got = variance_rank_test(rank_excess(sar, est, ~est), groups, 2000)
    assert abs(float((got["p"] < 0.05).mean()) - 0.05) < 0.015  # Monte Carlo sd 0.5 pp
    louder = np.where(est, sar, 1.5 * sar)
    assert float((variance_rank_test(rank_excess(louder, est, ~est), groups, 2000)["p"] < 0.05).mean()) > 0.9


@pytest.mark.parametrize("python_source", [False, True])
def test_rank_excess_matches_scipy_ranks_row_by_row(monkeypatch, python_source) -> None:
    # ties, missing SARs, estimation and window days that overlap, windows of different columns per row (a halt
    # reaching further): each row against scipy's average ranks of its pooled SAR²; compiled and as Python
    if python_source:
        monkeypatch.setattr(volatility, "_window_rank_terms", volatility._window_rank_terms.py_func)
    rng = np.random.default_rng(21)
    n, w = 40, 30
    sar = rng.standard_t(4, (n, w))
    sar[:, 5] = np.round(sar[:, 5])  # ties
    sar[:, 24] = np.round(sar[:, 24])
    sar[rng.random((n, w)) < 0.1] = np.nan
    est = np.zeros((n, w), dtype=bool)
    est[:, :20] = True
    win = np.zeros((n, w), dtype=bool)
    win[:, 22:25] = True
    win[:5, 25:29] = True
    win[:, 19] |= rng.random(n) < 0.3
    later = np.zeros((n, w), dtype=bool)  # a second window, ranked among the same sorted estimation days
    later[:, 27:30] = True
    later[:, 3] = rng.random(n) < 0.2  # (a window day inside the estimation days, not an estimation day)
    est[:, 3] &= ~later[:, 3]
    squares = estimation_squares(sar, est)
    for window in (win, later):
        got = rank_excess(sar, est, window, squares)
        np.testing.assert_array_equal(got, rank_excess(sar, est, window))  # kept or sorted afresh: the same
        for i in range(n):
            pool = (est[i] | window[i]) & np.isfinite(sar[i])
            use = window[i] & np.isfinite(sar[i])
            if not use.any():
                assert np.isnan(got[i])
                continue
            ranks = np.full(w, np.nan)
            ranks[pool] = stats.rankdata(sar[i, pool] ** 2)
            expected = np.mean(ranks[use] / (pool.sum() + 1.0) - 0.5)
            np.testing.assert_allclose(got[i], expected, rtol=1e-12, atol=1e-15)
