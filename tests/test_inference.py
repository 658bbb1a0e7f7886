"""Tests: a hand-worked case and a cross-check against a direct (scipy / statsmodels / loop) implementation per
test, the significance table of the default study, and a small size simulation on real SZSE returns."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from eventstudy import inference as inf
from eventstudy.inference import (
    CLUSTERING_ROBUST,
    TEST_REFERENCES,
    TESTS,
    WindowSample,
    rank_rows,
)


def _sample(ar: np.ndarray, in_window: np.ndarray, *, car_se=None, dof=None, bhar=None, span=None, **kw):
    ar = np.asarray(ar, dtype=float)
    in_window = np.asarray(in_window, dtype=bool)
    car = np.nansum(ar[:, in_window], axis=1)
    n = len(ar)
    return WindowSample(
        (0, int(in_window.sum()) - 1),
        car,
        np.ones(n) if car_se is None else np.asarray(car_se, dtype=float),
        np.full(n, 100.0) if dof is None else np.asarray(dof, dtype=float),
        bhar=bhar,
        ar=ar,
        sar=ar,
        span=np.ones(ar.shape, dtype=int) if span is None else span,
        in_window=in_window,
        **kw,
    )


def _random_sample(seed=0, n=12, t=60, length=3, shift=0.0):
    rng = np.random.default_rng(seed)
    ar = rng.standard_t(5, size=(n, t + length)) * 0.02
    ar[:, t:] += shift
    ar[0, 5] = np.nan  # a missing session
    in_window = np.r_[np.zeros(t, bool), np.ones(length, bool)]
    se = rng.uniform(0.02, 0.04, n)
    bhar = rng.lognormal(0, 0.3, n) - 1.0
    return _sample(ar, in_window, car_se=se, dof=np.full(n, t - 2.0), bhar=bhar, placebo_draws=500, seed=3)


# ------------------------------------------------------------------------------------------------ hand-worked


def test_csect_t_hand():
    s = WindowSample((0, 0), np.array([1.0, 2.0, 3.0]), np.ones(3), np.full(3, 10.0))
    r = inf.csect_t(s)  # mean 2, sd 1: t = 2 / (1/√3)
    assert r.statistic == pytest.approx(2 * math.sqrt(3))
    assert r.p_value == pytest.approx(2 * stats.t.sf(2 * math.sqrt(3), 2))


def test_patell_and_bmp_hand():
    s = WindowSample((0, 0), np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 0.5]), np.full(3, 10.0))
    # SCAR = 1, 2, 6; Σ = 9; scale = √(3 · 10/8)
    assert inf.patell_z(s).statistic == pytest.approx(9 / math.sqrt(3.75))
    assert inf.bmp_t(s).statistic == pytest.approx(3 / (np.std([1, 2, 6], ddof=1) / math.sqrt(3)))


def test_bw_and_portfolio_hand():
    # two firms, 4 estimation days, 1 window day
    ar = np.array([[0.01, -0.01, 0.02, 0.00, 0.03], [0.01, 0.01, 0.00, -0.02, 0.01]])
    w = np.array([False] * 4 + [True])
    s = _sample(ar, w)
    aar = np.array([0.01, 0.0, 0.01, -0.01])  # estimation AARs
    assert inf.bw_t(s).statistic == pytest.approx(0.02 / np.std(aar, ddof=1))
    assert inf.bw_t(s).p_value == pytest.approx(2 * stats.t.sf(0.02 / np.std(aar, ddof=1), 3))
    sigma = math.sqrt(np.sum(aar**2) / (4 - 2))  # T − p, p = 2
    assert inf.portfolio_t(s).statistic == pytest.approx(0.02 / sigma)
    # a return spanning 3 sessions in the window triples its variance
    span = np.ones(ar.shape, dtype=int)
    span[:, -1] = 3
    assert inf.portfolio_t(_sample(ar, w, span=span)).statistic == pytest.approx(0.02 / (sigma * math.sqrt(3)))


def test_kp_bmp_hand():
    # orthogonal estimation residuals (r̄ = 0): no adjustment
    ar = np.array([[1.0, -1.0, 1.0, -1.0, 2.0], [1.0, 1.0, -1.0, -1.0, 1.0], [-1.0, 1.0, 1.0, -1.0, 3.0]])
    w = np.array([False] * 4 + [True])
    s = _sample(ar, w)
    r = inf.mean_cross_correlation(ar[:, :4])
    assert r == pytest.approx(np.mean([0.0, 0.0, 0.0]))
    assert inf.kp_bmp_t(s).statistic == pytest.approx(inf.bmp_t(s).statistic)
    # r̄ = 0.5 with N = 3: factor (1 − .5)/(1 + 2 · .5) = 1/4
    rbar = 0.5
    t_bmp = inf.bmp_t(s).statistic
    assert t_bmp * math.sqrt((1 - rbar) / (1 + 2 * rbar)) == pytest.approx(t_bmp / 2)


def test_corrado_rank_hand():
    # 2 firms, 3 estimation days + 1 window day; ranks per firm: firm 1 (1,2,3,4), firm 2 (4,3,2,1)... window
    ar = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.1, 0.3, 0.2]])
    w = np.array([False, False, False, True])
    # U = K/5 − ½: firm 1: −.3, −.1, .1, .3; firm 2: .3, −.3, .1, −.1 → Ū = 0, −.2, .1, .1
    ubar = np.array([0.0, -0.2, 0.1, 0.1])
    s_u = math.sqrt(np.mean(ubar**2))
    assert inf.corrado_rank(_sample(ar, w)).statistic == pytest.approx(0.1 / s_u)


def test_sign_cz_hand():
    ar = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.1, 0.3, 0.2, 0.4]])
    w = np.array([False, False, False, False, True])
    # medians .3 and .3: G firm1 = −,−,0,+,+; firm2 = +,−,0,−,+ → Ḡ = 0, −1, 0, 0, 1
    gbar = np.array([0.0, -1.0, 0.0, 0.0, 1.0])
    assert inf.sign_cz(_sample(ar, w)).statistic == pytest.approx(1 / math.sqrt(np.mean(gbar**2)))


def test_gen_sign_hand():
    ar = np.array([[1.0, -1.0, 1.0, -1.0, 1.0]] * 4)
    ar[3, -1] = -1.0
    s = _sample(ar, [False] * 4 + [True])  # p̂ = .5, w = 3 of 4
    assert inf.gen_sign_z(s).statistic == pytest.approx((3 - 2) / math.sqrt(4 * 0.25))


def test_wilcoxon_hand():
    s = WindowSample((0, 0), np.array([1.0, -2.0, 3.0, 4.0, 0.0]), np.ones(5), np.full(5, 10.0))
    # zero dropped; ranks 1..4; W+ = 1 + 3 + 4 = 8; mean 5; var 4·5·9/24 = 7.5
    assert inf.wilcoxon_z(s).statistic == pytest.approx(3 / math.sqrt(7.5))


def test_bhar_skew_hand():
    bhar = np.array([0.1, 0.2, 0.6])
    s = WindowSample((0, 0), bhar, np.ones(3), np.full(3, 10.0), bhar=bhar)
    sd = math.sqrt(((0.1 - 0.3) ** 2 + (0.2 - 0.3) ** 2 + (0.6 - 0.3) ** 2) / 2)  # = √0.07
    S = 0.3 / sd
    gamma = ((-0.2) ** 3 + (-0.1) ** 3 + 0.3**3) / (3 * sd**3)
    expected = math.sqrt(3) * (S + gamma * S**2 / 3 + gamma / 18)
    assert inf.bhar_skew_t(s).statistic == pytest.approx(expected)


def test_grank_hand():
    # 2 firms, 3 estimation SARs; SCAR = (1, 3): sd √2 → GSAR = 1/√2, 3/√2
    sar = np.array([[-1.0, 0.0, 2.0, np.nan], [-1.0, 0.5, 1.0, np.nan]])
    w = np.array([False, False, False, True])
    s = WindowSample((0, 0), np.array([1.0, 3.0]), np.ones(2), np.full(2, 10.0), ar=sar, sar=sar, in_window=w)
    # firm 1 values (−1, 0, 2, .707): ranks 1,2,4,3; firm 2 (−1, .5, 1, 2.12): 1,2,3,4; U = K/5 − ½
    u = np.array([[1, 2, 4, 3], [1, 2, 3, 4]]) / 5 - 0.5
    ubar = u.mean(axis=0)
    s_u = math.sqrt(np.mean(ubar**2))
    z = ubar[-1] / s_u
    t = z * math.sqrt((4 - 2) / (4 - 1 - z * z))
    r = inf.grank_t(s)
    assert r.statistic == pytest.approx(t)
    assert r.p_value == pytest.approx(2 * stats.t.sf(abs(t), 2))


def test_placebo_hand():
    # estimation ARs zero: every pseudo-CAAR is 0, so any non-zero CAAR has p = 1/(B+1)
    ar = np.zeros((3, 21))
    ar[:, -1] = 0.01
    s = _sample(ar, [False] * 20 + [True], placebo_draws=99)
    r = inf.placebo_p(s)
    assert r.statistic == pytest.approx(0.01) and r.p_value == pytest.approx(1 / 100)


# ----------------------------------------------------------------------------------------------- cross-checks


def test_cross_check_parametric_with_scipy():
    s = _random_sample(1)
    assert inf.csect_t(s).p_value == pytest.approx(stats.ttest_1samp(s.car, 0).pvalue)
    assert inf.bmp_t(s).p_value == pytest.approx(stats.ttest_1samp(s.scar, 0).pvalue)
    z = np.sum(s.scar) / np.sqrt(np.sum(s.dof / (s.dof - 2)))
    assert inf.patell_z(s).p_value == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_cross_check_bw_portfolio_with_statsmodels():
    import statsmodels.api as sm

    s = _random_sample(2)
    aar = np.nanmean(s.ar, axis=0)
    est, win = aar[~s.in_window], aar[s.in_window]
    # bw_t: the window sum against a regression-on-a-constant standard error of the estimation AARs
    fit = sm.OLS(est, np.ones_like(est)).fit()
    assert inf.bw_t(s).statistic == pytest.approx(win.sum() / (np.sqrt(len(win)) * np.sqrt(fit.scale)))
    sigma = np.sqrt(np.sum(est**2) / (len(est) - 2))
    assert inf.portfolio_t(s).statistic == pytest.approx(win.sum() / (sigma * np.sqrt(len(win))))


def test_cross_check_kp_correlation_with_numpy():
    s = _random_sample(3)
    est = s.est_ar()[1:]  # rows without missing values
    c = np.corrcoef(est)
    rbar = c[~np.eye(len(c), dtype=bool)].mean()
    assert inf.mean_cross_correlation(est) == pytest.approx(rbar)
    # with missing values: pairwise-complete correlations
    full = s.est_ar()
    pair = np.corrcoef(full[0, np.isfinite(full[0])], full[1, np.isfinite(full[0])])[0, 1]
    two = inf.mean_cross_correlation(full[:2])
    assert two == pytest.approx(pair)


def test_rank_rows_matches_scipy():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 5, size=(6, 9)).astype(float)  # many ties
    x[2, 3] = np.nan
    ranks = rank_rows(x)
    for i in range(6):
        ok = np.isfinite(x[i])
        np.testing.assert_allclose(ranks[i, ok], stats.rankdata(x[i, ok]))
        assert np.isnan(ranks[i, ~ok]).all()


def test_cross_check_corrado_sign_loops():
    s = _random_sample(5, shift=0.01)
    ar = s.ar
    t_total, n = ar.shape[1], len(ar)
    u = np.full(ar.shape, np.nan)
    g = np.full(ar.shape, np.nan)
    for i in range(n):
        ok = np.isfinite(ar[i])
        u[i, ok] = stats.rankdata(ar[i, ok]) / (ok.sum() + 1) - 0.5
        g[i, ok] = np.sign(ar[i, ok] - np.median(ar[i, ok]))
    for scores, test in ((u, inf.corrado_rank), (g, inf.sign_cz)):
        bar = np.array([np.nanmean(scores[:, t]) for t in range(t_total)])
        expected = bar[s.in_window].sum() / (np.sqrt(s.in_window.sum()) * np.sqrt(np.mean(bar**2)))
        assert test(s).statistic == pytest.approx(expected)


def test_cross_check_gen_sign_binomial():
    s = _random_sample(6)
    est = s.est_ar()
    p = np.mean([np.mean(row[np.isfinite(row)] > 0) for row in est])
    w = int((s.car > 0).sum())
    # normal approximation of the binomial(N, p̂) tail, as a z-score
    mean, sd = stats.binom.mean(s.n, p), stats.binom.std(s.n, p)
    assert inf.gen_sign_z(s).statistic == pytest.approx((w - mean) / sd)


def test_cross_check_grank_loop():
    s = _random_sample(7)
    scar = s.scar / np.std(s.scar, ddof=1)
    n = s.n
    rows = []
    for i in range(n):
        vals = np.r_[s.sar[i, ~s.in_window], scar[i]]
        ok = np.isfinite(vals)
        u = np.full(len(vals), np.nan)
        u[ok] = stats.rankdata(vals[ok]) / (ok.sum() + 1) - 0.5
        rows.append(u)
    u = np.array(rows)
    t_days = u.shape[1]
    ubar = np.array([np.nanmean(u[:, t]) for t in range(t_days)])
    nt = np.isfinite(u).sum(axis=0)
    s_u = np.sqrt(np.sum(nt / n * ubar**2) / t_days)
    z = ubar[-1] / s_u
    assert inf.grank_t(s).statistic == pytest.approx(z * np.sqrt((t_days - 2) / (t_days - 1 - z * z)))


def test_cross_check_wilcoxon_scipy():
    s = _random_sample(8)
    ref = stats.wilcoxon(s.car, method="approx", correction=False)
    assert inf.wilcoxon_z(s).p_value == pytest.approx(ref.pvalue)
    # ties and zeros: scipy's "wilcox" zero handling with tie-corrected variance
    car = np.array([1.0, 1.0, -2.0, 3.0, 3.0, 3.0, 0.0, -1.0])
    t = WindowSample((0, 0), car, np.ones(8), np.full(8, 10.0))
    ref = stats.wilcoxon(car, method="approx", correction=False, zero_method="wilcox")
    assert inf.wilcoxon_z(t).p_value == pytest.approx(ref.pvalue)


def test_cross_check_bhar_skew_scipy():
    s = _random_sample(9)
    b = s.bhar
    n = len(b)
    S = b.mean() / b.std(ddof=1)
    gamma = stats.skew(b, bias=True) * ((n - 1) / n) ** 1.5  # LBT's γ̂ uses the n − 1 sd
    assert inf.bhar_skew_t(s).statistic == pytest.approx(np.sqrt(n) * (S + gamma * S * S / 3 + gamma / (6 * n)))


def test_cross_check_placebo_loop():
    s = _random_sample(10)
    est = s.est_ar()
    length = s.length
    starts = est.shape[1] - length + 1
    caars = []
    for st in range(starts):
        block = est[:, st : st + length]
        has = np.isfinite(block).any(axis=1)
        caars.append(np.nansum(block, axis=1)[has].mean())
    draws = np.array(caars)[np.random.default_rng(s.seed).integers(0, starts, size=s.placebo_draws)]
    expected = (1 + np.sum(np.abs(draws) >= abs(s.car.mean()))) / (len(draws) + 1)
    r = inf.placebo_p(s)
    assert r.statistic == pytest.approx(s.car.mean()) and r.p_value == pytest.approx(expected)


def test_power_against_shifted_window():
    s = _random_sample(11, n=40, shift=0.03)
    for name, test in TESTS.items():
        if name in ("bhar_skew_t",):  # BHARs of the fixture are unrelated to the shift
            continue
        assert test(s).p_value < 0.05, name


# --------------------------------------------------------------------------------------- registry and table


def test_registry():
    assert set(TEST_REFERENCES) == set(TESTS)
    assert CLUSTERING_ROBUST <= set(TESTS)
    for name, fn in TESTS.items():
        assert fn.__doc__ and ("eq." in fn.__doc__ or "sec." in fn.__doc__), name
        assert fn.clustering_robust == (name in CLUSTERING_ROBUST)


NAMES = ["csect_t", "bw_t", "patell_z", "bmp_t", "kp_bmp_t", "corrado_rank", "sign_cz", "gen_sign_z", "grank_t",
         "wilcoxon_z", "bhar_skew_t", "portfolio_t", "placebo_p"]  # fmt: skip


def test_default_study_has_every_test():
    from eventstudy.config import load_study
    from eventstudy.data import open_provider
    from eventstudy.study import run_study

    root = Path(__file__).resolve().parents[1]
    study = load_study(root / "events.yaml")
    r = run_study(study, open_provider("snapshot"))
    tests = r.tests
    assert list(tests.columns) == inf.COLUMNS
    assert set(NAMES) <= set(tests.test)
    for w in study.event_windows:
        got = tests[(tests.window_start == w[0]) & (tests.window_end == w[1])]
        assert set(got.test) == set(NAMES)
    days = tests[tests.window_start == tests.window_end]
    assert set(days.window_start) >= set(range(study.daily_path[0], study.daily_path[1] + 1))
    # reproducible placebo draws
    again = inf.significance_table(r.abnormal, study.event_windows)
    first = inf.significance_table(r.abnormal, study.event_windows)
    assert again.equals(first)


UNIVERSE = Path(__file__).resolve().parents[2] / "shared" / "data" / "szse-universe-2015-2022.parquet"


@pytest.mark.skipif(not UNIVERSE.exists(), reason="SZSE universe not available")
def test_small_size_simulation_on_real_returns():
    from bench.validation import load_universe, rejection_rates, simulate

    universe = load_universe(UNIVERSE)
    tests = simulate(universe, 30, 30, seed=11, placebo_draws=99)
    rates = rejection_rates(tests)
    assert set(rates.test) == set(NAMES)
    # 30 studies × 3 windows = 90 p-values per test; a 5 % test rejects ≤ 15 % with overwhelming probability
    per_test = tests.assign(rej=tests.p_value < 0.05).groupby("test").rej.mean()
    assert (per_test <= 0.15).all(), per_test.to_dict()
    # p-values roughly uniform: mean in a loose band around ½
    mean_p = tests.groupby("test").p_value.mean()
    assert ((mean_p > 0.35) & (mean_p < 0.65)).all(), mean_p.to_dict()
