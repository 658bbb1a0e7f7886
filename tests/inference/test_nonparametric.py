"""The rank and sign tests of eventstudy.inference (corrado_rank, sign_cz, gen_sign_z, grank_t, wilcoxon_z):
hand-worked cases and cross-checks against scipy / plain loops."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from eventstudy import inference as inf
from eventstudy.inference import WindowSample


def test_corrado_rank_hand(sample_of):
    # 2 firms, 3 estimation days + 1 window day; ranks per firm: firm 1 (1,2,3,4), firm 2 (4,3,2,1)... window
    ar = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.1, 0.3, 0.2]])
    w = np.array([False, False, False, True])
    # U = K/5 − ½: firm 1: −.3, −.1, .1, .3; firm 2: .3, −.3, .1, −.1 → Ū = 0, −.2, .1, .1
    ubar = np.array([0.0, -0.2, 0.1, 0.1])
    s_u = math.sqrt(np.mean(ubar**2))
    assert inf.corrado_rank(sample_of(ar, w)).statistic == pytest.approx(0.1 / s_u)


def test_sign_cz_hand(sample_of):
    ar = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.1, 0.3, 0.2, 0.4]])
    w = np.array([False, False, False, False, True])
    # medians .3 and .3: G firm1 = −,−,0,+,+; firm2 = +,−,0,−,+ → Ḡ = 0, −1, 0, 0, 1
    gbar = np.array([0.0, -1.0, 0.0, 0.0, 1.0])
    assert inf.sign_cz(sample_of(ar, w)).statistic == pytest.approx(1 / math.sqrt(np.mean(gbar**2)))


def test_gen_sign_hand(sample_of):
    ar = np.array([[1.0, -1.0, 1.0, -1.0, 1.0]] * 4)
    ar[3, -1] = -1.0
    s = sample_of(ar, [False] * 4 + [True])  # p̂ = .5, w = 3 of 4
    assert inf.gen_sign_z(s).statistic == pytest.approx((3 - 2) / math.sqrt(4 * 0.25))


def test_wilcoxon_hand():
    s = WindowSample((0, 0), np.array([1.0, -2.0, 3.0, 4.0, 0.0]), np.ones(5), np.full(5, 10.0))
    # zero dropped; ranks 1..4; W+ = 1 + 3 + 4 = 8; mean 5; var 4·5·9/24 = 7.5
    assert inf.wilcoxon_z(s).statistic == pytest.approx(3 / math.sqrt(7.5))


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


def test_cross_check_corrado_sign_loops(random_sample):
    s = random_sample(5, shift=0.01)  # firm 0 has no AR on estimation day 5: N_t = 11 of 12 there
    sar = s.sar
    t_total, n = sar.shape[1], len(sar)
    u = np.full(sar.shape, np.nan)
    g = np.full(sar.shape, np.nan)
    for i in range(n):
        ok = np.isfinite(sar[i])
        u[i, ok] = stats.rankdata(sar[i, ok]) / (ok.sum() + 1) - 0.5
        g[i, ok] = np.sign(sar[i, ok] - np.median(sar[i, ok]))
    for scores, test in ((u, inf.corrado_rank), (g, inf.sign_cz)):
        cnt = np.isfinite(scores).sum(axis=0)
        bar = np.array([np.nanmean(scores[:, t]) for t in range(t_total)])
        s_u = np.sqrt(np.mean(cnt / n * bar**2))  # Kolari & Pynnönen (2011) eq. 11 weights
        expected = bar[s.in_window].sum() / (np.sqrt(np.sum(n / cnt[s.in_window])) * s_u)
        assert test(s).statistic == pytest.approx(expected)


def test_corrado_sign_day_with_half_the_firms(sample_of):
    """A window day on which 1 of 2 firms has an AR counts twice in the variance (N/N_t = 2)."""
    ar = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.1, 0.3, 0.2, np.nan]])
    w = np.array([False, False, False, False, True])
    # ranks /(M+1) − ½: firm 1 (1..5)/6 − ½; firm 2 (4,1,3,2)/5 − ½
    u1 = np.arange(1, 6) / 6 - 0.5
    u2 = np.array([4, 1, 3, 2]) / 5 - 0.5
    ubar = np.r_[(u1[:4] + u2) / 2, u1[4]]
    weights = np.array([1, 1, 1, 1, 0.5])  # N_t / N
    s_u = math.sqrt(np.mean(weights * ubar**2))
    assert inf.corrado_rank(sample_of(ar, w)).statistic == pytest.approx(ubar[4] / (s_u * math.sqrt(2)))


def test_cross_check_gen_sign_binomial(random_sample):
    s = random_sample(6)  # a 3-day window: p̂ from the firms' 3-day sums of estimation ARs (no design: no refit)
    est = s.est_ar()
    shares = []
    for row in est:
        sums = [np.nansum(row[a : a + 3]) for a in range(len(row) - 2) if np.isfinite(row[a : a + 3]).any()]
        shares.append(np.mean(np.array(sums) > 0))
    p = np.mean(shares)
    w = int((s.car > 0).sum())
    # normal approximation of the binomial(N, p̂) tail, as a z-score
    mean, sd = stats.binom.mean(s.n, p), stats.binom.std(s.n, p)
    assert inf.gen_sign_z(s).statistic == pytest.approx((w - mean) / sd)


def test_gen_sign_multi_day_p_hand(sample_of):
    """Two-day window: p̂ from 2-day sums. Estimation ARs (1, −2, 3, −4): one-day share of positives ½, two-day
    sums (−1, 1, −1): share ⅓."""
    ar = np.array([[1.0, -2.0, 3.0, -4.0, 1.0, 1.0]] * 3)
    ar[2, 4:] = -1.0
    s = sample_of(ar, [False] * 4 + [True] * 2)  # w = 2 of 3, p̂ = ⅓
    p = 1 / 3
    assert inf.gen_sign_z(s).statistic == pytest.approx((2 - 3 * p) / math.sqrt(3 * p * (1 - p)))


def test_cross_check_grank_loop(random_sample):
    s = random_sample(7)
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


def test_cross_check_wilcoxon_scipy(random_sample):
    s = random_sample(8)
    ref = stats.wilcoxon(s.car, method="approx", correction=False)
    assert inf.wilcoxon_z(s).p_value == pytest.approx(ref.pvalue)
    # ties and zeros: scipy's "wilcox" zero handling with tie-corrected variance
    car = np.array([1.0, 1.0, -2.0, 3.0, 3.0, 3.0, 0.0, -1.0])
    t = WindowSample((0, 0), car, np.ones(8), np.full(8, 10.0))
    ref = stats.wilcoxon(car, method="approx", correction=False, zero_method="wilcox")
    assert inf.wilcoxon_z(t).p_value == pytest.approx(ref.pvalue)
