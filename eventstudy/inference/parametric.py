"""Parametric tests: cross-sectional t, Brown & Warner's crude-dependence t, Patell Z, BMP, Kolari–Pynnönen's
adjusted BMP, and the skewness-adjusted BHAR t (notation in :mod:`eventstudy.inference`)."""

from __future__ import annotations

import numpy as np

from .sample import StatisticResult, WindowSample, _col_mean, _two_sided_t, _two_sided_z, _undefined


def _sd(x: np.ndarray) -> float | None:
    """Sample standard deviation (N − 1 denominator); None below two values or with no dispersion."""
    if len(x) < 2:
        return None
    sd = float(np.std(x, ddof=1))
    return sd if sd != 0.0 else None


def _mean_t(x: np.ndarray) -> StatisticResult:
    """``t = mean(x) / (S / √N)``, ``S`` the standard deviation of the ``N`` values (N − 1 denominator); p from
    Student t with N − 1 degrees of freedom. Undefined below two values or with no dispersion."""
    n = len(x)
    sd = _sd(x)
    if sd is None:
        return _undefined(n)
    t = float(np.mean(x) / (sd / np.sqrt(n)))
    return StatisticResult(t, _two_sided_t(t, n - 1), n)


def csect_t(sample: WindowSample) -> StatisticResult:
    """Cross-sectional t of the CAAR (Brown & Warner 1985, *JFE* 14, sec. 3.2; Campbell, Lo & MacKinlay 1997,
    eq. 4.4.24 with the variance estimated from the cross-section).

    ``t = CAAR / (S / √N)`` with ``CAAR = mean(CAR_i)`` and ``S`` the cross-sectional standard deviation
    (N − 1 denominator); p from Student t with N − 1 degrees of freedom. Robust to event-induced variance,
    not to cross-correlation of firms sharing an event day.
    """
    return _mean_t(sample.car)


def bw_t(sample: WindowSample) -> StatisticResult:
    """Brown & Warner (1980, *JFE* 8, 205–258, Appendix A.1; 1985, *JFE* 14, 3–31, eq. 4–5) t with the
    "crude dependence adjustment".

    ``t = Σ_{t∈W} AAR_t / (√L · S(AAR))``, ``S(AAR)² = Σ_{t∈E} (AAR_t − mean_E AAR)² / (T − 1)``: the variance
    of the average AR comes from its own time series over the estimation days, so cross-correlation among
    the firms is in it. ``L`` counts the window days with data. p from Student t with T − 1 degrees of freedom.
    """
    n = sample.n
    aar, cnt = _col_mean(sample.ar)
    est, win = aar[~sample.in_window], aar[sample.in_window]
    est = est[np.isfinite(est)]
    win = win[np.isfinite(win)]
    if n < 1 or len(est) < 3 or len(win) == 0:
        return _undefined(n)
    s = float(np.std(est, ddof=1))
    t = float(win.sum() / (np.sqrt(len(win)) * s))
    return StatisticResult(t, _two_sided_t(t, len(est) - 1), n)


def patell_z(sample: WindowSample) -> StatisticResult:
    """Patell (1976, *J. Accounting Research* 14, 246–276), standardised-residual test, eq. (4)–(6) as
    cumulated over a window in Campbell, Lo & MacKinlay (1997, eq. 4.4.22 J₂).

    ``Z = Σ SCAR_i / √(Σ d_i / (d_i − 2))``: each SCAR_i is Student t with d_i degrees of freedom under the
    null, whose variance is d_i / (d_i − 2). p from the standard normal. Assumes no event-induced variance and
    independence across firms.
    """
    n = sample.n
    if n < 1:
        return _undefined(n)
    scale = np.sqrt(np.sum(sample.dof / (sample.dof - 2.0)))
    z = float(np.sum(sample.scar) / scale)
    return StatisticResult(z, _two_sided_z(z), n)


def bmp_t(sample: WindowSample) -> StatisticResult:
    """Boehmer, Musumeci & Poulsen (1991, *JFE* 30, 253–272), standardised cross-sectional test, eq. (9).

    ``t = mean(SCAR_i) / (S_SCAR / √N)`` with ``S_SCAR`` the cross-sectional standard deviation of the
    standardised CARs; p from Student t with N − 1 degrees of freedom. Robust to event-induced variance.
    """
    return _mean_t(sample.scar)


def mean_cross_correlation(residuals: np.ndarray) -> float:
    """Average pairwise correlation ``r̄`` of the rows of ``residuals`` (pairwise-complete days, vectorised)."""
    ok = np.isfinite(residuals)
    x = np.where(ok, residuals, 0.0)
    m = ok.astype(float)
    n = len(x)
    if n < 2:
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        nij = m @ m.T
        sx = x @ m.T  # Σ x_i over days where j is observed
        sxx = (x * x) @ m.T
        sxy = x @ x.T
        mean_i = sx / nij
        mean_j = mean_i.T
        cov = sxy / nij - mean_i * mean_j
        var_i = sxx / nij - mean_i**2
        corr = cov / np.sqrt(var_i * var_i.T)
    off = ~np.eye(n, dtype=bool) & (nij >= 3) & np.isfinite(corr)
    return float(corr[off].mean()) if off.any() else float("nan")


def kp_bmp_t(sample: WindowSample) -> StatisticResult:
    """Kolari & Pynnönen (2010, *RFS* 23, 3996–4025), BMP t adjusted for cross-correlation, eq. (13)–(14).

    ``t_KP = t_BMP · √((1 − r̄) / (1 + (N − 1) r̄))`` with ``r̄`` the average pairwise correlation of the firms'
    estimation-period abnormal returns; p from Student t with N − 1 degrees of freedom. Valid under event-day
    clustering (and event-induced variance).
    """
    base = bmp_t(sample)
    n = sample.n
    if not np.isfinite(base.statistic):
        return base
    r = mean_cross_correlation(sample.est_ar())
    if not np.isfinite(r):
        return _undefined(n)
    factor = (1.0 - r) / (1.0 + (n - 1) * r)
    if factor <= 0:
        return _undefined(n)
    t = base.statistic * float(np.sqrt(factor))
    return StatisticResult(t, _two_sided_t(t, n - 1), n)


def bhar_skew_t(sample: WindowSample) -> StatisticResult:
    """Skewness-adjusted t for the mean BHAR (Lyon, Barber & Tsai 1999, *J. Finance* 54, 165–201, eq. 5;
    after Johnson 1978).

    ``t_sa = √N (S + γ̂ S² / 3 + γ̂ / (6N))`` with ``S = mean(BHAR) / sd(BHAR)`` and
    ``γ̂ = Σ (BHAR_i − mean)³ / (N sd(BHAR)³)`` (sd with N − 1 denominator); p from Student t with N − 1
    degrees of freedom. Assumes independent firms.
    """
    bhar = sample.bhar[np.isfinite(sample.bhar)] if sample.bhar is not None else np.array([])
    n = len(bhar)
    sd = _sd(bhar)
    if sd is None:
        return _undefined(n)
    s = float(np.mean(bhar)) / sd
    gamma = float(np.sum((bhar - bhar.mean()) ** 3) / (n * sd**3))
    t = float(np.sqrt(n) * (s + gamma * s * s / 3.0 + gamma / (6.0 * n)))
    return StatisticResult(t, _two_sided_t(t, n - 1), n)
