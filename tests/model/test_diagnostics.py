"""Estimation diagnostics (eventstudy.model.diagnostics): statsmodels/scipy cross-checks, hand-worked values and
their size under the null."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox

from eventstudy.model.diagnostics import chow_midpoint, flag_words, jarque_bera, ljung_box


def _assert_chow_matches_statsmodels(f, p, y, design, mask, first) -> None:
    """F and p of each row against statsmodels' SSRs of the two halves and the whole sample. F is a difference of
    SSRs over their sum, so its error is bounded relative to the summands: 1e-12 of (s + s1 + s2) / ((s1 + s2)/dof),
    not of F itself (which may be near 0)."""
    for i in range(len(f)):
        parts = [mask[i] & first, mask[i] & ~first, mask[i]]
        s1, s2, s = (sm.OLS(y[i, k], design[i, k]).fit().ssr for k in parts)
        dof = mask[i].sum() - 4
        expected = ((s - s1 - s2) / 2) / ((s1 + s2) / dof)
        scale = (s + s1 + s2) / ((s1 + s2) / dof)
        assert abs(f[i] - expected) <= 1e-12 * scale, (i, f[i], expected)
        density = stats.f.pdf(expected, 2, dof)  # dp = density · dF
        assert abs(p[i] - stats.f.sf(expected, 2, dof)) <= 1e-12 * scale * max(density, 1.0) + 1e-15


def test_ljung_box_and_jarque_bera_match_statsmodels_and_scipy_with_gaps() -> None:
    rng = np.random.default_rng(3)
    e = rng.standard_t(4, (5, 250))
    mask = rng.random((5, 250)) > 0.1  # skipped days: the series is the fitted sample in order
    q, p = ljung_box(e, mask, 10)
    jb, jb_p = jarque_bera(e, mask)
    for i in range(5):
        x = e[i, mask[i]]
        ref = acorr_ljungbox(x, lags=[10])
        np.testing.assert_allclose(q[i], ref["lb_stat"].iloc[0], rtol=1e-10)
        np.testing.assert_allclose(p[i], ref["lb_pvalue"].iloc[0], rtol=1e-9)
        got = stats.jarque_bera(x)
        np.testing.assert_allclose([jb[i], jb_p[i]], [got.statistic, got.pvalue], rtol=1e-9, atol=1e-300)


def test_hand_worked_tiny_cases() -> None:
    # x = 1, -1, 1, -1 (mean 0, Σd² = 4): r₁ = -3/4; Q(1 lag) = 4·6·(9/16)/3 = 4.5
    q, _ = ljung_box(np.array([[1.0, -1.0, 1.0, -1.0]]), np.ones((1, 4), dtype=bool), lags=1)
    np.testing.assert_allclose(q, [4.5], rtol=1e-12)
    # x = 0, 0, 0, 4: d = -1, -1, -1, 3; m2 = 3, m3 = 6, m4 = 21; S = 2/√3, K = 7/3;
    # JB = 4/6 (4/3 + (2/3)²/4) = 0.962962...
    jb, _ = jarque_bera(np.array([[0.0, 0.0, 0.0, 4.0]]), np.ones((1, 4), dtype=bool))
    np.testing.assert_allclose(jb, [4 / 6 * (4 / 3 + (4 / 9) / 4)], rtol=1e-12)


def test_chow_matches_statsmodels_regressions_on_the_halves() -> None:
    rng = np.random.default_rng(5)
    n, w = 3, 200
    market = rng.normal(0, 0.01, (n, w))
    y = 0.001 + market * np.array([[1.0], [0.5], [1.5]]) + rng.normal(0, 0.02, (n, w))
    y[2, 100:] += market[2, 100:] * 2.0  # a break in beta
    x = np.stack([np.ones((n, w)), market], axis=-1)
    mask = np.ones((n, w), dtype=bool)
    mask[0, 10] = False
    first = np.arange(w) < 100
    f, p = chow_midpoint(y, x, mask, first)
    _assert_chow_matches_statsmodels(f, p, y, x, mask, first)
    assert p[2] < 0.01


def test_sizes_under_the_null() -> None:
    rng = np.random.default_rng(11)
    n, w = 3000, 250
    e = rng.normal(size=(n, w))
    mask = np.ones((n, w), dtype=bool)
    market = rng.normal(size=(n, w))
    x = np.stack([np.ones((n, w)), market], axis=-1)
    rates = [
        (ljung_box(e, mask, 10)[1] < 0.05).mean(),
        (jarque_bera(e, mask)[1] < 0.05).mean(),
        (chow_midpoint(e + 0.5 * market, x, mask, np.arange(w) < w // 2)[1] < 0.05).mean(),
    ]
    np.testing.assert_allclose(rates, 0.05, atol=0.015)  # Monte Carlo sd 0.4 pp; JB and LB are asymptotic


def test_flag_words() -> None:
    got = flag_words(np.array([0.5, 0.001, 0.001]), np.array([0.5, 0.5, 0.001]), np.array([0.5, np.nan, 0.009]))
    assert got.tolist() == ["", "autocorrelation", "autocorrelation non-normal unstable"]


def test_chow_with_split_columns_and_missing_design_cells() -> None:
    # a first half that is not one run of columns (every other day) and a design cell that is NaN on a sample day
    # (read as 0, as the fit's design): statsmodels on the same subsets agrees
    rng = np.random.default_rng(11)
    n, w = 2, 120
    market = rng.normal(0, 0.01, (n, w))
    y = 0.001 + market + rng.normal(0, 0.02, (n, w))
    x = np.stack([np.ones((n, w)), market], axis=-1)
    x[1, 7, 1] = np.nan
    mask = np.ones((n, w), dtype=bool)
    mask[0, :5] = False
    first = np.arange(w) % 2 == 0
    f, p = chow_midpoint(y, x, mask, first)
    _assert_chow_matches_statsmodels(f, p, y, np.where(np.isfinite(x), x, 0.0), mask, first)


def test_the_kernels_as_their_python_source(monkeypatch) -> None:
    """The compiled passes (residuals compressed and centred; the halves' normal equations; the fits' SSRs) equal
    their Python source on rows with gaps, a missing design cell and a row without a sample."""
    from eventstudy.model import diagnostics

    rng = np.random.default_rng(5)
    n, w = 4, 60
    market = rng.normal(0.0, 0.01, (n, w))
    y = 0.001 + 1.2 * market + rng.normal(0.0, 0.02, (n, w))
    x = np.stack([np.ones((n, w)), market], axis=-1)
    x[1, 7, 1] = np.nan
    mask = rng.random((n, w)) < 0.8
    mask[3] = False
    first = np.arange(w) < w // 2
    compiled = (*ljung_box(y, mask), *jarque_bera(y, mask), *chow_midpoint(y, x, mask, first))
    for name in ("_compressed", "_half_sums", "_half_ssr"):
        monkeypatch.setattr(diagnostics, name, getattr(diagnostics, name).py_func)
    source = (*ljung_box(y, mask), *jarque_bera(y, mask), *chow_midpoint(y, x, mask, first))
    for got, want in zip(source, compiled, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert np.isnan(compiled[4][3]) and np.isfinite(compiled[4][:3]).all()
