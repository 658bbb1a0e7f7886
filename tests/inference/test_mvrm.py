"""mvrm_wald, the multivariate regression with event-day dummies (Schipper & Thompson 1983; Binder 1985): the SUR
of linearmodels and a statsmodels portfolio regression give the same statistic, a hand-worked two-firm case, firms
with designs of their own against the per-event reference, the size at N = 4, 13, 30 firms sharing their days with
cross-correlated disturbances, and padded / NaN groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.inference import mvrm_wald
from eventstudy.inference.vectorised import battery

pytest.importorskip("linearmodels")


def system(n: int, t: int, length: int, seed: int, *, rho: float = 0.4, shift: float = 0.0) -> dict:
    """``n`` firms sharing ``t`` estimation and ``length`` window days: market model returns with one market,
    disturbances with a common non-market factor (pairwise correlation ``rho``), fitted by OLS on the estimation
    days as the engine does. Returns the inputs of the one-sample test (``ar``, ``x`` …) and the returns."""
    rng = np.random.default_rng(seed)
    d = t + length
    m = rng.normal(0.0, 0.01, d)
    sd = rng.uniform(0.01, 0.03, (n, 1))
    eps = sd * (np.sqrt(rho) * rng.standard_normal(d) + np.sqrt(1 - rho) * rng.standard_normal((n, d)))
    r = 0.0003 + rng.uniform(0.5, 1.5, (n, 1)) * m + eps
    r[:, t:] += shift
    x = np.broadcast_to(np.stack([np.ones(d), m], axis=-1), (n, d, 2)).copy()
    beta = np.linalg.lstsq(x[0, :t], r[:, :t].T, rcond=None)[0]  # (2, n): one design for all firms
    ar = r - (x[0] @ beta).T
    in_window = np.r_[np.zeros(t, bool), np.ones(length, bool)]
    return dict(r=r, ar=ar, x=x, in_window=in_window)


def run(ar, x, in_window, span=None, mask=None):
    """``mvrm_wald`` of groups ``(G, F, D)`` through the battery (the CAR inputs are unused by the test)."""
    ar = np.asarray(ar, float)
    g, f = ar.shape[:2]
    ones = np.ones((g, f))
    got = battery(ones, ones, ones * 100, ones, ar, ar, np.ones(ar.shape) if span is None else span,
                  np.ones((g, f), bool) if mask is None else mask, in_window, names=["mvrm_wald"], n_params=2,
                  length=int(in_window.sum()), x=x)["mvrm_wald"]  # fmt: skip
    return got


def sur_t(r, x, in_window, present):
    """The Wald test of Σ γ = 0 from linearmodels' SUR (homoskedastic, ``debiased=True``: Σ̂ over T − p)
    on the returns over the common estimation days and the window; a window day without a return gets any value
    (0) and its own dummy, which then fits it exactly and is left out of the restriction."""
    from linearmodels.system import SUR

    est = ~in_window
    common = np.isfinite(r[:, est]).all(axis=0)
    rows = np.r_[np.flatnonzero(est)[common], np.flatnonzero(in_window)]
    win = np.flatnonzero(in_window)
    cols = ["const", "mkt"] + [f"d{k}" for k in range(len(win))]
    eqs = {}
    for i in range(len(r)):
        z = np.zeros((len(rows), len(cols)))
        z[:, :2] = x[i, rows]
        z[-len(win) :, 2:] = np.eye(len(win))
        y = np.where(np.isfinite(r[i, rows]), r[i, rows], 0.0)
        eqs[f"f{i}"] = {"dependent": pd.Series(y), "exog": pd.DataFrame(z, columns=cols)}
    res = SUR(eqs).fit(cov_type="unadjusted", debiased=True)
    names = list(res.params.index)
    restriction = np.zeros(len(names))
    for i in range(len(r)):
        for k in range(len(win)):
            if present[i, k]:
                restriction[names.index(f"f{i}_d{k}")] = 1.0
    est_sum = float(restriction @ res.params.to_numpy())
    wald = est_sum**2 / float(restriction @ res.cov.to_numpy() @ restriction)
    return np.sign(est_sum) * np.sqrt(wald), int(common.sum()) - 2


def test_equals_linearmodels_sur():
    """Returns regressed as one system by linearmodels (GLS with the estimated Σ; identical regressors, so
    equal to OLS) give the package's statistic — which regresses the ARs — to 1e-10; with a day that one firm
    misses in the estimation period (dropped for every firm) and a window day another firm misses."""
    s = system(5, 120, 3, seed=1)
    r, ar, x, w = s["r"], s["ar"], s["x"], s["in_window"]
    r[2, 10] = ar[2, 10] = np.nan  # one estimation day dropped from the common sample
    r[3, 121] = ar[3, 121] = np.nan  # firm 3 has no return on window day 1: no dummy for it
    present = np.isfinite(ar[:, w])
    want, dof = sur_t(r, x, w, present)
    t, p, n = run(ar[None], x[None], w)
    assert n[0] == 5
    np.testing.assert_allclose(t[0], want, rtol=1e-10)
    np.testing.assert_allclose(p[0], 2 * stats.t.sf(abs(want), dof), rtol=1e-10)


def test_equals_portfolio_dummy_regression_with_identical_regressors():
    """Every firm on every day with one design: Var(Σγ̂) = Σ_ij σ̂_ij c'(Z'Z)⁻¹c (Binder 1985) is the variance of
    the equally weighted portfolio's dummy sum, so the t is statsmodels' t_test of that restriction in the OLS of
    the portfolio's ARs on [1, M, D] — with T − p d.f."""
    s = system(7, 200, 4, seed=2)
    ar, x, w = s["ar"], s["x"], s["in_window"]
    z = np.column_stack([x[0], np.r_[np.zeros((200, 4)), np.eye(4)]])
    fit = sm.OLS(ar.mean(axis=0), z).fit()
    tt = fit.t_test(np.r_[0.0, 0.0, np.ones(4)][None])
    t, p, _ = run(ar[None], x[None], w)
    np.testing.assert_allclose(t[0], float(np.squeeze(tt.tvalue)), rtol=1e-10)
    np.testing.assert_allclose(p[0], float(np.squeeze(tt.pvalue)), rtol=1e-10)
    assert fit.df_resid == 200 - 2


def test_hand_worked_two_firms():
    """2 firms, 6 estimation days, 1 window day, design [1] (the mean-adjusted model, p = 1).
    Estimation ARs (×0.01): firm 1 (1, −1, 2, −2, 0, 0), firm 2 (1, −1, 1, −1, 1, −1): means 0, so δ̂ = 0 and
    the residuals are the ARs; cross-products 10, 6 and 6 (×1e−4) over T − p = 5: σ̂₁₁ = 2e−4, σ̂₂₂ = 1.2e−4,
    σ̂₁₂ = 1.2e−4, Σ_ij σ̂_ij = 5.6e−4. Window ARs 0.03 and 0.01: Σγ̂ = 0.04. c'(Z'Z)⁻¹c = 1 + 1/6 (the window
    day plus the mean's error, b_i'b_j = 6 · (1/6)²). Var = 5.6e−4 · 7/6 = 6.5333e−4, t = 0.04/0.0255604 = 1.564922."""
    est1 = np.array([1, -1, 2, -2, 0, 0]) * 0.01
    est2 = np.array([1, -1, 1, -1, 1, -1]) * 0.01
    ar = np.array([np.r_[est1, 0.03], np.r_[est2, 0.01]])
    w = np.r_[np.zeros(6, bool), True]
    x = np.ones((2, 7, 1))
    t, p, n = run(ar[None], x[None], w)
    want = 0.04 / np.sqrt(5.6e-4 * 7 / 6)
    np.testing.assert_allclose(want, 1.564922, rtol=1e-6)
    np.testing.assert_allclose(t[0], want, rtol=1e-12)
    np.testing.assert_allclose(p[0], 2 * stats.t.sf(want, 5), rtol=1e-12)
    assert n[0] == 2


def test_hand_worked_market_model_by_matrix_algebra():
    """The same with the market model [1, M], its dummies, and a two-session window return of firm 1: the
    variance Σ_ij σ̂_ij (S_ij + b_i'b_j) written out with explicit matrices."""
    m = np.array([0.01, -0.02, 0.015, 0.0, -0.005, 0.02, 0.01])
    ar = np.array([[0.01, -0.012, 0.018, -0.02, 0.003, 0.001, 0.04], [0.008, -0.01, 0.011, -0.012, 0.01, -0.006, 0.02]])
    span = np.ones((2, 7))
    span[0, 6] = 2  # firm 1's window return covers two sessions (after a one-day halt)
    w = np.r_[np.zeros(6, bool), True]
    x = np.stack([np.stack([span[i], m * span[i]], axis=-1) for i in range(2)])
    xe = x[0, :6]
    a = np.linalg.inv(xe.T @ xe)
    delta = a @ xe.T @ ar[:, :6].T  # (2, 2): each firm's fit
    e = ar[:, :6] - (xe @ delta).T
    sigma = e @ e.T / (6 - 2)
    gamma = np.array([ar[i, 6] - x[i, 6] @ delta[:, i] for i in range(2)])
    b = np.stack([xe @ a @ x[i, 6] for i in range(2)])
    shared = np.array([[2.0, 1.0], [1.0, 1.0]])  # min(spans) on the shared day
    var = (sigma * (shared + b @ b.T)).sum()
    t, p, _ = run(ar[None], x[None], w, span=span[None])
    np.testing.assert_allclose(t[0], gamma.sum() / np.sqrt(var), rtol=1e-12)
    np.testing.assert_allclose(p[0], 2 * stats.t.sf(abs(t[0]), 4), rtol=1e-12)


def _groups(n: int, groups: int, seed: int, *, rho: float = 0.4, length: int = 5, t: int = 250) -> tuple:
    """``groups`` null studies of ``n`` firms on shared days (one market, disturbances correlated ``rho``)."""
    parts = [system(n, t, length, seed * 100_000 + k, rho=rho) for k in range(groups)]
    return np.stack([s["ar"] for s in parts]), np.stack([s["x"] for s in parts]), parts[0]["in_window"]


@pytest.mark.parametrize("n", [4, 13, 30])
def test_size_on_shared_days_with_cross_correlation(n):
    """400 null studies, firms sharing every day with pairwise disturbance correlation 0.4: the cross-sectional
    tests fail here (their variance misses the correlation), the MVRM's Σ̂ carries it. Monte Carlo sd of a 5 %
    rate over 400 studies is 1.1 pp; the band 2–9 % fails a correct test with probability < 0.5 %."""
    ar, x, w = _groups(n, 400, seed=n)
    p = run(ar, x, w)[1]
    rate = float(np.mean(p < 0.05))
    assert 0.02 <= rate <= 0.09, rate
    if n >= 13:  # the cross-sectional t of the same CARs ignores the correlation and over-rejects
        csect = stats.ttest_1samp(ar[:, :, w].sum(axis=2), 0.0, axis=1).pvalue
        assert np.mean(csect < 0.05) > 0.15


def test_power_against_a_shift():
    s = system(13, 250, 3, seed=9, shift=0.04)
    t, p, _ = mvrm_wald_of(s)
    assert t > 0 and p < 0.01


def mvrm_wald_of(s):
    from eventstudy.inference import WindowSample

    ar, x, w = s["ar"], s["x"], s["in_window"]
    n = len(ar)
    sample = WindowSample((0, int(w.sum()) - 1), ar[:, w].sum(axis=1), np.ones(n), np.full(n, 248.0), ar=ar, sar=ar,
                          span=np.ones(ar.shape), in_window=w, x=x)  # fmt: skip
    r = mvrm_wald(sample)
    return r.statistic, r.p_value, r.n_firms


def test_padded_groups_and_gaps_never_raise():
    """Padded firms (all NaN), a firm without estimation returns (no common sample: undefined), a one-firm
    group, a singular design, and a group without window returns: NaN where undefined, never an exception."""
    ar, x, w = _groups(4, 5, seed=3, t=60)
    mask = np.ones((5, 4), bool)
    mask[0, 3] = False
    ar[0, 3] = np.nan
    x[0, 3] = np.nan
    ar[1, 2, ~w] = np.nan  # no estimation return: no common days
    mask[2, 1:] = False
    ar[2, 1:] = np.nan
    x[3, :, :, 1] = 0.0  # the market column zero: X'X singular
    ar[4, :, w] = np.nan
    t, p, n = run(ar, x, w, mask=mask)
    assert np.isfinite(t[0]) and np.isfinite(t[2])  # a padded firm and a lone firm are fine
    assert np.isnan(t[[1, 3, 4]]).all() and np.isnan(p[[1, 3, 4]]).all()
    assert list(n) == [3, 4, 1, 4, 4]


def firm_specific_designs(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Six firms of one event, each against its own market series (their designs differ on the common days), with
    a dropped estimation day, a missing window return and a two-session window return: the ARs, the designs, the
    spans and ``in_window``."""
    s = system(6, 150, 4, seed=seed)
    ar, w = s["ar"].copy(), s["in_window"]
    rng = np.random.default_rng(seed)
    markets = rng.normal(0.0, 0.01, (6, len(w)))
    span = np.ones(ar.shape)
    span[2, 152] = 2.0  # firm 2's window return on day 2 spans two sessions (a halt the day before)
    x = np.stack([span, markets * span], axis=-1)
    ar[1, 20] = ar[4, 151] = np.nan
    return ar, x, span, w


def test_firm_specific_designs_equal_the_per_event_reference(ref):
    """Designs that differ by firm (no shared ``X'X``: ``Σ_ij σ̂_ij b_i'b_j`` from ``b_i = X_i u_i``) give the
    per-event reference's statistic (each firm's explicit dummy regression, tests/inference/reference.py) to
    1e-12; padded to eight firms in a second group (NaN rows, masked out), the same."""
    from eventstudy.inference import WindowSample

    ar, x, span, w = firm_specific_designs(seed=3)
    n = len(ar)
    sample = WindowSample((0, 3), np.nansum(ar[:, w], axis=1), np.ones(n), np.full(n, 148.0), ar=ar, sar=ar,
                          span=span, in_window=w, x=x)  # fmt: skip
    want = ref.mvrm_wald(sample)
    pad = np.full((2, *ar.shape[1:]), np.nan)
    ars = np.stack([np.concatenate([ar, ar[:2]]), np.concatenate([ar, pad])])
    xs = np.stack([np.concatenate([x, x[:2]]), np.concatenate([x, np.full((2, *x.shape[1:]), np.nan)])])
    spans = np.stack([np.concatenate([span, span[:2]]), np.concatenate([span, np.ones((2, len(w)))])])
    mask = np.ones((2, 8), bool)
    mask[0] = np.r_[np.ones(6, bool), False, False]  # the first group: the copies of firms 0 and 1 masked out
    mask[1, 6:] = False
    t, p, got_n = run(ars, xs, w, span=spans, mask=mask)
    assert np.isfinite(want.statistic) and got_n.tolist() == [6, 6]
    np.testing.assert_allclose(t, want.statistic, rtol=1e-12)
    np.testing.assert_allclose(p, want.p_value, rtol=1e-12)


def assert_equals_reference(ref, ar, x, span, w, window, dof):
    """``mvrm_wald`` of one group through the battery equals the per-event reference (explicit dummy regressions,
    tests/inference/reference.py) to 1e-12, with every firm counted."""
    from eventstudy.inference import WindowSample

    n = len(ar)
    sample = WindowSample(window, np.nansum(ar[:, w], axis=1), np.ones(n), np.full(n, dof), ar=ar, sar=ar,
                          span=span, in_window=w, x=x)  # fmt: skip
    want = ref.mvrm_wald(sample)
    t, p, got_n = run(ar[None], x[None], w, span=span[None])
    assert np.isfinite(want.statistic) and got_n.tolist() == [n]
    np.testing.assert_allclose(t[0], want.statistic, rtol=1e-12)
    np.testing.assert_allclose(p[0], want.p_value, rtol=1e-12)


def test_more_firms_than_common_days_equal_the_per_event_reference(ref):
    """Firm designs with more firms (14) than common estimation days (9): ``Σ_ij σ̂_ij b_i'b_j`` summed over the
    days' ``n × n`` products rather than the firms' ``F × F`` ones gives the per-event reference's statistic to
    1e-12, as the firms' form does with fewer firms (above)."""
    s = system(14, 9, 2, seed=11)
    ar, w = s["ar"], s["in_window"]
    markets = np.random.default_rng(11).normal(0.0, 0.01, (14, len(w)))
    span = np.ones(ar.shape)
    assert_equals_reference(ref, ar, np.stack([span, markets], axis=-1), span, w, (0, 1), 7.0)


def test_a_window_day_without_any_return_adds_nothing():
    """A window column on which no firm has a return (another group's halted firm made it a column) leaves the
    statistic as without that column."""
    s = system(5, 120, 3, seed=4)
    ar, x, w = s["ar"], s["x"], s["in_window"]
    wide_ar = np.concatenate([ar, np.full((5, 1), np.nan)], axis=1)
    wide_x = np.concatenate([x, x[:, -1:]], axis=1)
    wide_w = np.r_[w, True]
    np.testing.assert_allclose(run(wide_ar[None], wide_x[None], wide_w)[0], run(ar[None], x[None], w)[0], rtol=1e-12)


def spans_of_three_lengths(seed: int, one_design: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seven firms of one event whose window returns span one, two and three sessions on the same days (halts
    before them), one design for all (one market) or a market series per firm: the ARs, designs, spans and
    ``in_window``; a firm misses a window day and another an estimation day."""
    s = system(7, 130, 3, seed=seed)
    ar, w = s["ar"].copy(), s["in_window"]
    rng = np.random.default_rng(seed)
    span = np.ones(ar.shape)
    span[1, 130:] = 2.0
    span[2, 130:] = 3.0
    span[3, 131] = 3.0
    span[4, 132] = 2.0
    markets = np.broadcast_to(s["x"][0, :, 1], (7, len(w))) if one_design else rng.normal(0.0, 0.01, (7, len(w)))
    x = np.stack([span, markets * span], axis=-1)
    ar[5, 131] = ar[6, 40] = np.nan
    return ar, x, span, w


@pytest.mark.parametrize("one_design", [True, False])
def test_window_spans_of_several_lengths_equal_the_per_event_reference(ref, one_design):
    """``Σ_ij σ̂_ij min(s_ik, s_jk)`` summed by span level (1, 2 and 3 sessions on one day) and the estimation
    error through one design or firm by firm give the per-event reference's statistic (explicit dummy regressions,
    every pair of firms) to 1e-12."""
    ar, x, span, w = spans_of_three_lengths(seed=5, one_design=one_design)
    assert_equals_reference(ref, ar, x, span, w, (0, 2), 128.0)


def test_kernels_compute_what_their_python_source_computes(monkeypatch):
    """The compiled kernels, run as the Python they are written in, give the same statistics (one design, firm
    designs, spans of several lengths, padded firms)."""
    from eventstudy.inference import mvrm

    cases = [spans_of_three_lengths(seed=6, one_design=True), spans_of_three_lengths(seed=7, one_design=False)]
    ars, xs, spans = (np.stack([c[k] for c in cases]) for k in range(3))
    mask = np.ones((2, 7), bool)
    mask[1, 6] = False
    ars[1, 6], xs[1, 6] = np.nan, np.nan
    compiled = run(ars, xs, cases[0][3], span=spans, mask=mask)
    for name in ("_common_sample", "_window_terms"):
        monkeypatch.setattr(mvrm, name, getattr(mvrm, name).py_func)
    source = run(ars, xs, cases[0][3], span=spans, mask=mask)
    assert np.isfinite(compiled[0]).all()
    for a, b in zip(source, compiled, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_the_kept_estimation_half_does_not_grow_with_the_square_of_the_firms():
    """What a set of firm-events keeps across windows (the estimation half) holds no ``F × F`` array: with 200
    firms on one day, every kept array is smaller than ``F²`` values (a σ̂ matrix would be 40,000), and the
    statistic is still the one-design portfolio regression's (statsmodels)."""
    s = system(200, 60, 2, seed=8)
    ar, x, w = s["ar"], s["x"], s["in_window"]
    shared: dict = {}
    ones = np.ones((1, 200))
    t = battery(ones, ones, ones * 100, ones, ar[None], ar[None], np.ones((1, *ar.shape)), np.ones((1, 200), bool),
                w, names=["mvrm_wald"], n_params=2, length=2, x=x[None], shared=shared)["mvrm_wald"][0]  # fmt: skip
    kept = [a for a in shared["mvrm_system"] if isinstance(a, np.ndarray)]
    assert kept and max(a.size for a in kept) < 200 * 200
    z = np.column_stack([x[0], np.r_[np.zeros((60, 2)), np.eye(2)]])
    want = sm.OLS(ar.mean(axis=0), z).fit().t_test(np.r_[0.0, 0.0, 1.0, 1.0][None]).tvalue
    np.testing.assert_allclose(t[0], float(np.squeeze(want)), rtol=1e-12)


def test_two_by_two_inverse_in_closed_form_equals_lapack():
    """The market model's ``X'X`` inverted in closed form equals LAPACK's inverse to 1e-12 (random market returns
    over 20–200 days), and the same matrices are singular as by ``eigvalsh``'s condition number: a rank-one
    matrix, a NaN entry, a condition number above 1e12, all zeros; an indefinite matrix is not singular."""
    from eventstudy.inference.mvrm import _inverse

    rng = np.random.default_rng(12)
    xtx = np.empty((300, 2, 2))
    for i, days in enumerate(rng.integers(20, 200, 300)):
        m = rng.normal(0.0005, 0.012, days)
        xtx[i] = [[days, m.sum()], [m.sum(), m @ m]]
    inv, singular = _inverse(xtx.reshape(10, 30, 2, 2))
    assert not singular.any()
    np.testing.assert_allclose(inv.reshape(300, 2, 2), np.linalg.inv(xtx), rtol=1e-12)
    edge = np.array([[[1.0, 1.0], [1.0, 1.0]], [[1.0, np.nan], [np.nan, 1.0]], [[4.0, 2.0], [2.0, 1.0 + 1e-13]],
                     [[0.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [0.0, -3.0]]])  # fmt: skip
    inv, singular = _inverse(edge)
    size = np.abs(np.linalg.eigvalsh(np.where(np.isfinite(edge), edge, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        assert (
            singular.tolist()
            == (~(size.max(axis=1) / size.min(axis=1) < 1e12) | np.isnan(edge).any(axis=(1, 2))).tolist()
        )
    assert singular.tolist() == [True, True, True, True, False] and np.isnan(inv[:4]).all()
    np.testing.assert_allclose(inv[4], np.linalg.inv(edge[4]), rtol=1e-12)
