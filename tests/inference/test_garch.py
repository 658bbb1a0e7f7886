"""garch_bmp_t (Savickas 2003): the GARCH(1,1) fit and forecasts against ``arch``'s own, hand-worked forecasts and
a hand-worked three-firm case, the fallback to the OLS standardisation, and the size at N = 4, 13, 30 firms on
shared days with GARCH disturbances."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from eventstudy.inference import garch
from eventstudy.inference.garch import MIN_GARCH_RETURNS, cumulative_forecast, fit_garch
from eventstudy.inference.vectorised import battery

arch = pytest.importorskip("arch")

ALPHA, BETA, SD = 0.08, 0.90, 0.02  # unconditional sd 2 % a day; ω = SD² (1 − α − β)


def garch_paths(n: int, t: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` GARCH(1,1) disturbance paths of ``t`` days (started at the unconditional variance) and the
    conditional variance of the day after each path's last."""
    omega = SD**2 * (1 - ALPHA - BETA)
    h = np.full(n, SD**2)
    e = np.empty((n, t))
    for k in range(t):
        e[:, k] = np.sqrt(h) * rng.standard_normal(n)
        h = omega + ALPHA * e[:, k] ** 2 + BETA * h
    return e, h


def test_fit_and_forecasts_equal_arch():
    """``fit_garch`` is ``arch``'s fit (×100 scale undone), and ``cumulative_forecast``'s increments are
    ``ARCHModelResult.forecast``'s multi-step variances, to 1e-12."""
    e, _ = garch_paths(1, 400, np.random.default_rng(4))
    fit = fit_garch(e[0])
    assert fit is not None
    from threadpoolctl import threadpool_limits

    # The optimiser stops within its tolerance (about 1e-6 relative), where BLAS threading moves the last digits:
    # the reference fit runs on one BLAS thread, as fit_garch does, so the two are the same computation.
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        res = arch.arch_model(100 * e[0], mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
    want = res.forecast(horizon=30, reindex=False).variance.to_numpy()[-1] / 1e4
    got = np.diff(cumulative_forecast(fit, np.arange(31)))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(fit[:3], np.asarray(res.params) * np.array([1e-4, 1, 1]), rtol=1e-12)


def test_forecasts_by_hand():
    """ω = 0.1, α = 0.1, β = 0.8, ĥ(1) = 1.5: ĥ(2) = 0.1 + 0.9 · 1.5 = 1.45, ĥ(3) = 0.1 + 0.9 · 1.45 = 1.405;
    H = 0, 1.5, 2.95, 4.355 (and H(s) − H(s − 1) tends to ω / (1 − α − β) = 1)."""
    fit = (0.1, 0.1, 0.8, 1.5)
    np.testing.assert_allclose(cumulative_forecast(fit, np.array([0, 1, 2, 3])), [0.0, 1.5, 2.95, 4.355], rtol=1e-14)
    np.testing.assert_allclose(np.diff(cumulative_forecast(fit, np.array([199, 200]))), [1.0], rtol=1e-9)


def run(ar, scar, span=None, mask=None, rel_days=None):
    ar = np.asarray(ar, float)
    g, f = ar.shape[:2]
    w = np.zeros(ar.shape[2], bool)
    w[-WINDOW:] = True
    ones = np.ones((g, f))
    return battery(ones, 1.0 / np.asarray(scar, float), ones * 100, ones, ar, ar,
                   np.ones(ar.shape) if span is None else span, np.ones((g, f), bool) if mask is None else mask, w,
                   names=["garch_bmp_t", "bmp_t"], n_params=2, length=WINDOW, rel_days=rel_days)  # fmt: skip


WINDOW = 2


def test_hand_worked_three_firms(monkeypatch):
    """Three firms with fixed fits (ω_i, α = β = 0, ĥ(1) = 5 ω_i): ĥ_i(u) = ω_i after the first day. With the
    window 10 sessions after the estimation period (relative days 0 and 1 after the last estimation day −10),
    ``V_i = ĥ(10) + ĥ(11) = 2 ω_i``; ω = 1e−4, 4e−4, 9e−4 and window ARs (0.01, 0.01), (0.03, −0.01),
    (−0.01, −0.02): CAR = 0.02, 0.02, −0.03, SCAR^G = 0.02/0.014142 = 1.414214, 0.02/0.028284 = 0.707107,
    −0.03/0.042426 = −0.707107; mean 0.471405, sd 1.080123, t = 0.471405 / (1.080123/√3) = 0.755929 (2 d.f.).
    Right after the estimation period (no relative days): ``V_i = ĥ(1) + ĥ(2) = 6 ω_i``, SCARs /√3."""
    omegas = {1e-4: 0, 4e-4: 1, 9e-4: 2}
    fits = [(om, 0.0, 0.0, 5 * om) for om in omegas]
    t_est = MIN_GARCH_RETURNS
    ar = np.zeros((1, 3, t_est + WINDOW))
    for i in range(3):
        ar[0, i, :t_est] = np.linspace(-1, 1, t_est) * (i + 1)  # three distinct rows, keyed to their fits
    ar[0, :, t_est:] = [[0.01, 0.01], [0.03, -0.01], [-0.01, -0.02]]
    monkeypatch.setattr(garch, "fit_garch", lambda est: fits[int(round(est[-1])) - 1])
    rel = np.r_[np.arange(-10 - t_est + 1, -9), 0, 1]
    got = run(ar, np.ones((1, 3)), rel_days=rel)["garch_bmp_t"]
    scar = np.array([0.02, 0.02, -0.03]) / np.sqrt(2 * np.array(list(omegas)))
    np.testing.assert_allclose(scar, [1.414214, 0.707107, -0.707107], rtol=1e-6)
    want = scar.mean() / (scar.std(ddof=1) / np.sqrt(3))
    np.testing.assert_allclose(want, 0.755929, rtol=1e-6)
    np.testing.assert_allclose(got[0][0], want, rtol=1e-12)
    np.testing.assert_allclose(got[1][0], 2 * stats.t.sf(want, 2), rtol=1e-12)
    consecutive = run(ar, np.ones((1, 3)))["garch_bmp_t"][0][0]  # the same SCARs / √3: t unchanged
    np.testing.assert_allclose(consecutive, want, rtol=1e-12)


def test_short_or_degenerate_series_keep_the_ols_scar():
    """Fewer than 100 estimation returns, or a constant series (no fit): the firm keeps its OLS SCAR, so with no
    firm fitted the test is bmp_t; padded firms and NaN never raise."""
    rng = np.random.default_rng(3)
    ar = rng.normal(0, 0.02, (2, 4, 80 + WINDOW))
    ar[1, 1, :80] = 0.0  # constant: not a GARCH
    ar[1, 2, :] = np.nan  # padded
    mask = np.ones((2, 4), bool)
    mask[1, 2] = False
    scar = rng.normal(size=(2, 4))
    got = run(ar, scar, mask=mask)
    np.testing.assert_array_equal(got["garch_bmp_t"][0], got["bmp_t"][0])
    assert list(got["garch_bmp_t"][2]) == [4, 3]


def null_groups(n: int, groups: int, rng: np.random.Generator, pool: dict) -> dict:
    """``groups`` null studies of ``n`` firms drawn from ``pool`` (estimation-period paths whose GARCH fits are
    cached: 200 fits serve every study), sharing the window days: a common market return (in the model) and
    each firm's GARCH disturbances continued from its last estimation day with fresh shocks."""
    pick = np.stack([rng.choice(len(pool["est"]), n, replace=False) for _ in range(groups)])
    m = rng.normal(0.0, 0.01, (groups, 1, WINDOW))
    h = pool["h_next"][pick]
    eps = np.empty((groups, n, WINDOW))
    omega = SD**2 * (1 - ALPHA - BETA)
    for k in range(WINDOW):
        eps[:, :, k] = np.sqrt(h) * rng.standard_normal((groups, n))
        h = omega + ALPHA * eps[:, :, k] ** 2 + BETA * h
    beta, alpha_hat, beta_hat = (pool[k][pick][..., None] for k in ("beta", "a", "b"))
    ar_w = (0.0003 - alpha_hat) + (beta - beta_hat) * m + eps  # window prediction errors
    ar = np.concatenate([pool["est"][pick], ar_w], axis=2)
    car = ar_w.sum(axis=2)
    scar = car / np.sqrt(pool["s2"][pick] * WINDOW * (1 + 1 / 250))  # the OLS SCAR (unused when every firm fits)
    return dict(ar=ar, scar=scar)


@pytest.fixture(scope="module")
def pool():
    """200 firms' 250 estimation days: returns 0.0003 + β M + GARCH ε, market model fitted by OLS."""
    rng = np.random.default_rng(21)
    e, h_next = garch_paths(200, 250, rng)
    m = rng.normal(0.0, 0.01, (200, 250))
    beta = rng.uniform(0.5, 1.5, 200)
    r = 0.0003 + beta[:, None] * m + e
    mm, rm = m.mean(axis=1), r.mean(axis=1)
    b = ((m - mm[:, None]) * (r - rm[:, None])).sum(axis=1) / ((m - mm[:, None]) ** 2).sum(axis=1)
    a = rm - b * mm
    est = r - a[:, None] - b[:, None] * m
    return dict(est=est, h_next=h_next, beta=beta, a=a, b=b, s2=(est**2).sum(axis=1) / 248)


@pytest.mark.parametrize("n", [4, 13, 30])
def test_size_on_shared_days(n, pool):
    """400 null studies per N (firms drawn from a 200-firm pool, fresh window shocks): rejection at 5 % within
    2–9 % (Monte Carlo sd 1.1 pp; studies share pool firms, so a little more)."""
    g = null_groups(n, 400, np.random.default_rng(n), pool)
    got = run(g["ar"], g["scar"])["garch_bmp_t"]
    assert np.isfinite(got[0]).all()
    rate = float(np.mean(got[1] < 0.05))
    assert 0.02 <= rate <= 0.09, rate
