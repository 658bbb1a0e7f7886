"""Rank and sign tests: Corrado's rank, Corrado–Zivney's sign, Cowan's generalised sign, Kolari–Pynnönen's
generalised rank and Wilcoxon's signed rank (notation in :mod:`eventstudy.inference`)."""

from __future__ import annotations

import numpy as np

from .sample import (
    StatisticResult,
    WindowSample,
    _col_mean,
    _row_median,
    _two_sided_t,
    _two_sided_z,
    _undefined,
    rank_rows,
)


def _time_series_test(scores: np.ndarray, in_window: np.ndarray) -> tuple[float, int]:
    """Σ_{t∈W} S̄_t / (√L · √(mean_t S̄_t²)) for cross-sectional mean scores ``S̄_t`` (all days with data)."""
    mean, _ = _col_mean(scores)
    has = np.isfinite(mean)
    win = in_window & has
    if win.sum() == 0 or has.sum() < 3:
        return float("nan"), 0
    s = float(np.sqrt(np.mean(mean[has] ** 2)))
    if s == 0.0:
        return float("nan"), 0
    return float(mean[win].sum() / (np.sqrt(win.sum()) * s)), int(has.sum())


def corrado_rank(sample: WindowSample) -> StatisticResult:
    """Corrado (1989, *JFE* 23, 385–395) rank test, eq. (4)–(5), with Corrado & Zivney's (1992, *JFQA* 27,
    465–478) standardised ranks for missing returns and the multi-day form of Campbell & Wasley (1993, eq. 8).

    Each firm's ARs over the estimation and window days are ranked, ``U_it = K_it / (1 + M_i)`` (``M_i`` its
    number of ARs); ``Ū_t`` = mean of ``U_it − ½`` over the firms with an AR on t;
    ``T = Σ_{t∈W} Ū_t / (√L · S_U)``, ``S_U² = mean over all days of Ū_t²``. p from the standard normal.
    Valid under event-day clustering (S_U is a time-series quantity).
    """
    u = rank_rows(sample.ar)
    m = np.isfinite(sample.ar).sum(axis=1, keepdims=True)
    z, _ = _time_series_test(u / (1.0 + m) - 0.5, sample.in_window)
    return StatisticResult(z, _two_sided_z(z), sample.n) if np.isfinite(z) else _undefined(sample.n)


def sign_cz(sample: WindowSample) -> StatisticResult:
    """Corrado & Zivney (1992, *JFQA* 27, 465–478) sign test, eq. (3)–(4), multi-day as in Cowan (1992).

    ``G_it = sign(AR_it − median_i)`` (the firm's median AR over estimation and window days);
    ``Z = Σ_{t∈W} Ḡ_t / (√L · S_G)``, ``S_G² = mean over all days of Ḡ_t²``. p from the standard normal.
    Valid under event-day clustering.
    """
    ar = sample.ar
    ok = np.isfinite(ar)
    if not ok.any():
        return _undefined(sample.n)
    med = _row_median(np.where(ok, ar, np.nan))
    g = np.where(ok, np.sign(ar - med), np.nan)
    z, _ = _time_series_test(g, sample.in_window)
    return StatisticResult(z, _two_sided_z(z), sample.n) if np.isfinite(z) else _undefined(sample.n)


def gen_sign_z(sample: WindowSample) -> StatisticResult:
    """Cowan (1992, *Rev. Quant. Finance & Accounting* 2, 343–358) generalised sign test, sec. 2 (the
    generalised sign statistic ``Z_G``).

    ``Z = (w − N p̂) / √(N p̂ (1 − p̂))`` with ``w`` the number of firms with a positive CAR and
    ``p̂ = (1/N) Σ_i (1/T_i) Σ_{t∈E} 1[AR_it > 0]`` the expected fraction from the estimation period. p from
    the standard normal. Assumes independent firms.
    """
    n = sample.n
    est = sample.est_ar()
    ok = np.isfinite(est)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (np.where(ok, est, 0.0) > 0).sum(axis=1) / ok.sum(axis=1)
    frac = frac[np.isfinite(frac)]
    if n < 1 or len(frac) == 0:
        return _undefined(n)
    p = float(frac.mean())
    if p <= 0.0 or p >= 1.0:
        return _undefined(n)
    w = float((sample.car > 0).sum())
    z = (w - n * p) / np.sqrt(n * p * (1.0 - p))
    return StatisticResult(float(z), _two_sided_z(z), n)


def grank_t(sample: WindowSample) -> StatisticResult:
    """Kolari & Pynnönen (2011, *J. Empirical Finance* 18, 953–971) generalised rank test, eq. (4)–(12).

    The window is collapsed to one "day": ``GSAR_i = SCAR_i / S_SCAR`` (cross-sectional sd, which absorbs
    event-induced variance), appended to the firm's estimation-period standardised ARs ``SAR_it``. Ranks
    ``U_it = K_it / (T_i + 1) − ½`` over these ``T_i`` values; ``Z = Ū_0 / S_Ū`` with
    ``S_Ū² = (1/T) Σ_t (N_t / N) Ū_t²``; ``t = Z √((T − 2) / (T − 1 − Z²))``, Student t with T − 2 degrees
    of freedom (T = estimation days + 1). Valid under event-day clustering and event-induced variance.
    """
    n = sample.n
    if n < 2:
        return _undefined(n)
    scar = sample.scar
    sd = float(np.std(scar, ddof=1))
    if not np.isfinite(sd) or sd == 0.0:
        return _undefined(n)
    gsar = np.concatenate([sample.sar[:, ~sample.in_window], (scar / sd)[:, None]], axis=1)
    ok = np.isfinite(gsar)
    u = rank_rows(gsar) / (ok.sum(axis=1, keepdims=True) + 1.0) - 0.5
    ubar, cnt = _col_mean(u)
    has = cnt > 0
    t_days = int(has.sum())
    if t_days < 4:
        return _undefined(n)
    s = float(np.sqrt(np.sum((cnt[has] / n) * ubar[has] ** 2) / t_days))
    z = float(ubar[-1] / s)
    denom = t_days - 1 - z * z
    if denom <= 0:
        return _undefined(n)
    t = z * float(np.sqrt((t_days - 2) / denom))
    return StatisticResult(t, _two_sided_t(t, t_days - 2), n)


def wilcoxon_z(sample: WindowSample) -> StatisticResult:
    """Wilcoxon (1945, *Biometrics Bulletin* 1, 80–83, sec. on paired comparisons) signed-rank test of the
    CARs, large-sample normal form with the tie correction (zero CARs dropped), as in ``scipy.stats.wilcoxon``.

    ``W⁺ = Σ_{CAR_i>0} rank|CAR_i|``, ``Z = (W⁺ − n(n+1)/4) / √(n(n+1)(2n+1)/24 − Σ(t³ − t)/48)``; p from the
    standard normal. Assumes independent firms.
    """
    car = sample.car[np.isfinite(sample.car)]
    car = car[car != 0.0]
    n = len(car)
    if n < 1:
        return _undefined(sample.n)
    ranks = rank_rows(np.abs(car)[None, :])[0]
    w_plus = float(ranks[car > 0].sum())
    _, ties = np.unique(np.abs(car), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24.0 - float(np.sum(ties**3 - ties)) / 48.0
    if var <= 0:
        return _undefined(sample.n)
    z = (w_plus - n * (n + 1) / 4.0) / np.sqrt(var)
    return StatisticResult(float(z), _two_sided_z(z), sample.n)
