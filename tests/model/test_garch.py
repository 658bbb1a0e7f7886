"""``model: garch``: the GARCH(1,1) fit's in-sample variances against ``arch``'s, the conditional variances of the
ARs worked by hand (estimation days, forecasts, a return spanning a halt), the default study run with it (same CARs
as the market model, CAR variance = Σ ĥ, ``bmp_t`` = ``garch_bmp_t``: one implementation), and the size of the
GARCH-standardised CARs under the null."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from eventstudy.data import open_provider
from eventstudy.model import garch
from eventstudy.model.garch import GarchFit, fit_garch, garch_variances, in_sample_variances
from eventstudy.spec.config import load_study
from eventstudy.study.run import run_study
from tests.conftest import ROOT

arch = pytest.importorskip("arch")

ALPHA, BETA, SD = 0.08, 0.90, 0.02
OMEGA = SD**2 * (1 - ALPHA - BETA)


def garch_paths(n: int, t: int, rng: np.random.Generator, h0: np.ndarray | None = None):
    """``n`` GARCH(1,1) paths of ``t`` days from ``h0`` (default: the unconditional variance), and the next h."""
    h = np.full(n, SD**2) if h0 is None else h0.copy()
    e = np.empty((n, t))
    for k in range(t):
        e[:, k] = np.sqrt(h) * rng.standard_normal(n)
        h = OMEGA + ALPHA * e[:, k] ** 2 + BETA * h
    return e, h


def test_in_sample_variances_equal_arch():
    """``h_t`` from the stored ``h_1`` and the recursion are ``arch``'s ``conditional_volatility²`` (×100 undone)."""
    e, _ = garch_paths(1, 300, np.random.default_rng(8))
    fit = fit_garch(e[0])
    assert fit is not None
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        res = arch.arch_model(100 * e[0], mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
    want = np.asarray(res.conditional_volatility) ** 2 / 1e4
    np.testing.assert_allclose(in_sample_variances(fit, e[0]), want, rtol=1e-12)
    np.testing.assert_allclose(fit[:3], np.asarray(res.params) * np.array([1e-4, 1, 1]), rtol=1e-12)


def test_variances_by_hand(monkeypatch):
    """ω = 0.1, α = 0.1, β = 0.8, h_1 = 2, ĥ(1) = 1.5; estimation ARs on days 0–2: 1, −2, 0.5.
    In sample: h_1 = 2, h_2 = 0.1 + 0.1·1 + 0.8·2 = 1.8, h_3 = 0.1 + 0.1·4 + 0.8·1.8 = 1.94.
    Forecasts: ĥ(2) = 0.1 + 0.9·1.5 = 1.45, ĥ(3) = 1.405, ĥ(4) = 1.3645; day 3 (s = 1): 1.5; day 4 (s = 2): 1.45;
    day 5 no return (halted); day 6 spans days 5–6 (s = 4, k = 2): ĥ(3) + ĥ(4) = 2.7695.
    A second firm-event with two estimation returns has no fit and keeps its OLS variances."""
    fit = GarchFit(0.1, 0.1, 0.8, 1.5, 2.0)
    monkeypatch.setattr(garch, "MIN_GARCH_RETURNS", 3)
    monkeypatch.setattr(garch, "fit_garch", lambda e: fit if len(e) == 3 else None)
    ar = np.array([[1.0, -2.0, 0.5, 0.3, 0.2, np.nan, -0.4], [0.1, 0.2, np.nan, 0.3, 0.2, 0.1, 0.0]])
    ols = np.where(np.isfinite(ar), 7.0, np.nan)
    est = np.array([[1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0]], dtype=bool)
    span = np.array([[1, 1, 1, 1, 1, 0, 2], [1, 1, 0, 1, 1, 1, 1]])
    var, parts = garch_variances(ar, ols, est, span, np.arange(7))
    np.testing.assert_allclose(var[0], [2.0, 1.8, 1.94, 1.5, 1.45, np.nan, 2.7695], rtol=1e-14)
    np.testing.assert_array_equal(var[1], ols[1])
    assert list(parts["garch_fitted"]) == [True, False]
    np.testing.assert_allclose(parts["garch_beta"], [0.8, np.nan])


@pytest.fixture(scope="module")
def garch_study():
    study = load_study(ROOT / "events.yaml")
    import dataclasses

    return run_study(dataclasses.replace(study, model="garch"), open_provider("snapshot"))


def test_default_study_with_garch(garch_study, default_results):
    """The default study under ``model: garch``: the market model's CARs; for fitted firm-events the CAR variance
    is the sum of the ARs' conditional variances over the window; ``bmp_t`` equals the market-model run's
    ``garch_bmp_t`` (the same fits standardise both); firm-events without a fit keep the OLS standard error."""
    ab, ols = garch_study.abnormal, default_results.abnormal
    fitted = ab.components["garch_fitted"]
    assert fitted.sum() >= 20 and ab.model == "garch"
    for window in garch_study.study.event_windows:
        mask = ab.overlap(window)
        got, base = ab.cumulate(mask), ols.cumulate(ols.overlap(window))
        np.testing.assert_allclose(got["car"], base["car"], rtol=1e-12, equal_nan=True)
        use = mask & np.isfinite(ab.ar)
        np.testing.assert_allclose(got["car_se"][fitted] ** 2, np.where(use, ab.ar_var, 0).sum(1)[fitted], rtol=1e-12)
        np.testing.assert_allclose(got["car_se"][~fitted], base["car_se"][~fitted], rtol=1e-12)
    tests, base = garch_study.tests, default_results.tests
    keys = ["event_id", "window_start", "window_end"]
    mine = tests[tests.test == "bmp_t"].set_index(keys)["statistic"]
    theirs = base[base.test == "garch_bmp_t"].set_index(keys)["statistic"]
    np.testing.assert_allclose(mine.sort_index(), theirs.loc[mine.sort_index().index], rtol=1e-12)
    est = garch_study.estimates
    assert {"garch_omega", "garch_alpha", "garch_beta", "garch_fitted"} <= set(est.columns)
    assert est.loc[est.garch_fitted, ["garch_alpha", "garch_beta"]].sum(axis=1).lt(1).all()


def test_standardised_cars_have_unit_variance_under_the_null():
    """Size: 200 firm-events' 250-day GARCH(1,1) estimation paths (fitted once, cached), each continued 20 times
    over an 11-day window with fresh shocks. The GARCH-standardised CARs ``CAR / √Σĥ`` (4,000) have variance
    within 1 ± 0.12 and reject ``|SCAR| > 1.96`` at 5 % ± 1.5 pp (Monte Carlo sd 0.34 pp; the fitted parameters'
    estimation error and the fat tails of the Gaussian QML forecast make it a little wider than 1)."""
    rng = np.random.default_rng(5)
    est, h_next = garch_paths(200, 250, rng)
    window = 11
    scars = []
    for _ in range(20):
        win, _ = garch_paths(200, window, rng, h_next)
        ar = np.concatenate([est, win], axis=1)
        mask = np.zeros(ar.shape, dtype=bool)
        mask[:, :250] = True
        var, parts = garch_variances(ar, np.ones_like(ar), mask, np.ones(ar.shape, int), np.arange(ar.shape[1]))
        ok = parts["garch_fitted"]
        scars.append((win.sum(axis=1) / np.sqrt(var[:, 250:].sum(axis=1)))[ok])
    scar = np.concatenate(scars)
    assert len(scar) >= 3800
    assert abs(np.var(scar) - 1.0) < 0.12, np.var(scar)
    rate = float(np.mean(np.abs(scar) > 1.96))
    assert 0.035 <= rate <= 0.065, rate


def test_a_return_ending_past_the_grids_width_takes_its_own_horizon(monkeypatch):
    """The firm-event of test_variances_by_hand, its relative days 0–4 and then only day 9 (a firm followed past a
    halt holds only the day its return ends: engine ``reach``), the return of day 9 spanning days 6–9 (k = 4,
    s = 9 − 2 = 7): ĥ(4) + … + ĥ(7) = 1.3645 + 1.32805 + 1.295245 + 1.2657205 = 5.2535155 — a horizon of 7
    sessions on a grid of 6 columns."""
    fit = GarchFit(0.1, 0.1, 0.8, 1.5, 2.0)
    monkeypatch.setattr(garch, "MIN_GARCH_RETURNS", 3)
    monkeypatch.setattr(garch, "fit_garch", lambda e: fit)
    ar = np.array([[1.0, -2.0, 0.5, 0.3, 0.2, -0.4]])
    est = np.array([[1, 1, 1, 0, 0, 0]], dtype=bool)
    span = np.array([[1, 1, 1, 1, 1, 4]])
    var, _ = garch_variances(ar, np.full_like(ar, 7.0), est, span, np.array([0, 1, 2, 3, 4, 9]))
    np.testing.assert_allclose(var[0], [2.0, 1.8, 1.94, 1.5, 1.45, 5.2535155], rtol=1e-14)
