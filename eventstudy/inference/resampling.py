"""Tests that take their null from the event's own history: the calendar-time portfolio t (variance from the
estimation-period portfolio) and the placebo (pseudo-event) p-value (notation in :mod:`eventstudy.inference`)."""

from __future__ import annotations

import numpy as np

from .sample import StatisticResult, WindowSample, _col_mean, _two_sided_t, _undefined


def portfolio_t(sample: WindowSample) -> StatisticResult:
    """Calendar-time portfolio t (Jaffe 1974, *J. Business* 47, 410–428; Mandelker 1974, *JFE* 1, 303–335;
    Brown & Warner 1980, sec. 3).

    The firms of one event share day 0, so their equally weighted portfolio of abnormal returns ``AAR_t`` is
    one calendar-time series. Its residual variance is estimated from the estimation days,
    ``σ_p² = Σ_{t∈E} AAR_t² / (T − p)`` (portfolio residuals have mean zero under the model; ``p`` model
    parameters, at least 1), and a portfolio return spanning ``k̄_t`` sessions on average has variance
    ``k̄_t σ_p²`` (trade-to-trade), so ``t = Σ_{t∈W} AAR_t / (σ_p √(Σ_{t∈W} k̄_t))``; p from Student t with
    T − p degrees of freedom. Valid under event-day clustering: the cross-correlation is in σ_p.
    """
    n = sample.n
    aar, _ = _col_mean(sample.ar)
    span = np.where(np.isfinite(sample.ar), sample.span, np.nan) if sample.span is not None else None
    kbar, _ = _col_mean(span) if span is not None else (np.ones(len(aar)), None)
    est = aar[~sample.in_window]
    est = est[np.isfinite(est)]
    win = sample.in_window & np.isfinite(aar)
    dof = len(est) - max(sample.n_params, 1)
    if n < 1 or dof < 2 or not win.any():
        return _undefined(n)
    sigma = float(np.sqrt(np.sum(est**2) / dof))
    t = float(aar[win].sum() / (sigma * np.sqrt(kbar[win].sum())))
    return StatisticResult(t, _two_sided_t(t, dof), n)


def placebo_p(sample: WindowSample) -> StatisticResult:
    """Placebo (pseudo-event) test of the CAAR: statistic = CAAR, p-value from pseudo-events (Brown & Warner
    1980, sec. 2, simulation procedure; the empirical-distribution test of e.g. Lyon, Barber & Tsai 1999,
    sec. III.B).

    ``B = placebo_draws`` pseudo-windows of the same length are drawn (seeded) from the estimation period —
    the same firms' non-event history; each draw moves all firms of the event by one common offset, so the
    cross-section (and its correlation under event-day clustering) is kept. ``CAAR_b`` = mean over firms
    with data of the ARs summed over the pseudo-window; ``p = (1 + #{|CAAR_b| ≥ |CAAR|}) / (B + 1)``.
    """
    n = sample.n
    est = sample.est_ar()
    length = sample.length
    t = est.shape[1]
    if n < 1 or t < length + 1 or sample.placebo_draws < 1:
        return _undefined(n)
    ok = np.isfinite(est)
    cs = np.concatenate([np.zeros((n, 1)), np.cumsum(np.where(ok, est, 0.0), axis=1)], axis=1)
    cn = np.concatenate([np.zeros((n, 1)), np.cumsum(ok, axis=1)], axis=1)
    starts = np.arange(t - length + 1)
    pcar = cs[:, starts + length] - cs[:, starts]  # (n, starts)
    has = (cn[:, starts + length] - cn[:, starts]) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        caar_by_start = np.where(has, pcar, 0.0).sum(axis=0) / has.sum(axis=0)
    rng = np.random.default_rng(sample.seed)
    draws = caar_by_start[rng.integers(0, len(starts), size=sample.placebo_draws)]
    draws = draws[np.isfinite(draws)]
    caar = float(np.mean(sample.car))
    if len(draws) == 0:
        return _undefined(n)
    p = (1.0 + float(np.sum(np.abs(draws) >= abs(caar)))) / (len(draws) + 1.0)
    return StatisticResult(caar, p, n)
