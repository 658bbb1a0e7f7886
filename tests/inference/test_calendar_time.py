"""Calendar-time portfolio alpha: a hand-worked case, statsmodels' HAC fit as the cross-check, and the edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.inference.calendar_time import calendar_time_alpha, hac_covariance, newey_west_lags

Y = np.array([1.0, 3.0, 2.0, 6.0])
X = np.array([0.0, 1.0, 2.0, 3.0])


def test_hand_worked_hc0_and_one_lag():
    # By hand: x̄ = 1.5, ȳ = 3, Sxy = 7, Sxx = 5 → β = 1.4, α = 0.9; residuals 0.1, 0.7, −1.7, 0.9.
    # (X'X)⁻¹ = [[0.7, −0.3], [−0.3, 0.2]]; Σ e² x x' = [[4.2, 8.7], [8.7, 19.34]] → V₁₁ = 0.1446 (HC0).
    got = calendar_time_alpha(Y, X, lags=0, min_days=4)
    assert got.alpha == pytest.approx(0.9, rel=1e-12)
    assert got.betas[0] == pytest.approx(1.4, rel=1e-12)
    assert got.se == pytest.approx(math.sqrt(0.1446), rel=1e-12)
    assert got.t == pytest.approx(0.9 / math.sqrt(0.1446), rel=1e-12)
    assert got.p == pytest.approx(2 * stats.t.sf(0.9 / math.sqrt(0.1446), 2), rel=1e-12)
    # One Bartlett lag (w = 1/2): Σ u_t u_{t−1}' = [[−2.65, −4.25], [−6.90, −11.56]] with u_t = x_t e_t, so the
    # meat becomes [[1.55, 3.125], [3.125, 7.78]] and V₁₁ = 0.1472.
    one = calendar_time_alpha(Y, X, lags=1, min_days=4)
    assert one.se == pytest.approx(math.sqrt(0.1472), rel=1e-12)
    assert one.lags == 1 and one.days == 4


def test_newey_west_rule():
    # ⌊4 (T/100)^{2/9}⌋: T = 100 → 4; T = 224 → ⌊4 · 1.1963⌋ = 4; T = 1000 → ⌊4 · 1.6681⌋ = 6; T = 10 → 2.
    assert [newey_west_lags(t) for t in (100, 224, 1000, 10, 0)] == [4, 4, 6, 2, 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("factors", [1, 3])
def test_statsmodels_hac_cross_check(seed, factors):
    rng = np.random.default_rng(seed)
    n = 230
    f = rng.normal(0, 0.012, (n, factors))
    e = np.convolve(rng.standard_t(4, n + 2) * 0.01, [1.0, 0.4, 0.2], mode="valid")  # autocorrelated, fat-tailed
    y = 0.0004 + f @ np.linspace(1.2, 0.3, factors) + e
    y[[5, 17]] = np.nan  # days without a portfolio return are dropped
    got = calendar_time_alpha(y, f)
    ok = np.isfinite(y)
    lags = newey_west_lags(int(ok.sum()))
    ref = sm.OLS(y[ok], sm.add_constant(f[ok])).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
    assert got.days == ok.sum() and got.lags == lags
    assert got.alpha == pytest.approx(ref.params[0], rel=1e-12)
    assert got.se == pytest.approx(ref.bse[0], rel=1e-10)
    assert got.t == pytest.approx(ref.tvalues[0], rel=1e-10)
    assert got.p == pytest.approx(ref.pvalues[0], rel=1e-9)
    assert np.allclose(got.betas, ref.params[1:], rtol=1e-12)


def test_hac_covariance_matches_statsmodels_sandwich():
    from statsmodels.stats.sandwich_covariance import cov_hac

    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(60), rng.normal(size=60)])
    y = x @ [0.1, 0.8] + rng.normal(size=60)
    fit = sm.OLS(y, x).fit()
    assert np.allclose(hac_covariance(x, fit.resid, 3), cov_hac(fit, nlags=3, use_correction=False), rtol=1e-12)


def test_too_few_days_or_no_variation_is_nan_with_a_reason():
    short = calendar_time_alpha(np.ones(10), np.arange(10.0))
    assert math.isnan(short.alpha) and "10 portfolio days" in short.reason and not short.defined
    flat = calendar_time_alpha(np.arange(30.0), np.ones(30))
    assert math.isnan(flat.t) and "do not vary" in flat.reason
