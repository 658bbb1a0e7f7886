"""Reference implementations of every test, one event at a time: plain loops over firms and days, written
independently of the vectorised battery the package runs (:mod:`eventstudy.inference.vectorised`).
tests/inference/test_vectorised.py checks that the two agree on the default study and on uneven synthetic
groups. Loaded by the ``ref`` fixture (tests/inference/conftest.py). Notation: :mod:`eventstudy.inference`.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from eventstudy.inference.random_streams import stream_key, uniform_integers
from eventstudy.inference.sample import (
    StatisticResult,
    WindowSample,
    _col_mean,
    _two_sided_t,
    _two_sided_z,
    _undefined,
)


def seeded_integers(key: int, high: int, shape: tuple[int, int]) -> np.ndarray:
    """The package's seeded draws (its random stream is an input here, not a statistic): ``shape`` uniform integers
    in ``[0, high)`` from the stream starting at ``key``, row by row."""
    out = np.empty((1, *shape), dtype=np.int64)
    uniform_integers(np.array([key], dtype=np.uint64), np.array([high]), np.array([shape[1]]), out)
    return out[0]


def rank_rows(x: np.ndarray) -> np.ndarray:
    """Each row's finite values ranked by ``scipy.stats.rankdata`` (ties averaged), NaN elsewhere (a loop over rows)."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    for i, row in enumerate(x):
        ok = np.isfinite(row)
        out[i, ok] = rankdata(row[ok])
    return out


def _day_counts(sample: WindowSample) -> np.ndarray:
    """``N_t``, the firms with an AR on each day (a loop over days)."""
    return np.array([np.isfinite(sample.ar[:, t]).sum() for t in range(sample.ar.shape[1])], dtype=float)


def _estimation_error(sample: WindowSample) -> float:
    """``(1/N²) Σ_i σ_i² g_i'(X_i'X_i)⁻¹ g_i``, ``g_i = Σ_{t∈W} x_it`` over firm i's window ARs (a loop over firms)."""
    if sample.x is None or sample.x.shape[-1] == 0:
        return 0.0
    total = 0.0
    for i in range(sample.n):
        g = np.zeros(sample.x.shape[-1])
        for t in np.flatnonzero(sample.in_window):
            if np.isfinite(sample.ar[i, t]):
                g += sample.x[i, t]
        total += sample.sigma2[i] * float(g @ sample.xtx_inv[i] @ g)
    return total / sample.n**2


def _firm_window_sums(sample: WindowSample, scores: np.ndarray) -> tuple[float, float]:
    """Mean over firms of each firm's window sum of ``scores`` and of the sessions those returns span."""
    sums, sessions = [], []
    for i in range(sample.n):
        days = [t for t in np.flatnonzero(sample.in_window) if np.isfinite(scores[i, t])]
        sums.append(sum(scores[i, t] for t in days))
        sessions.append(sum(1.0 if sample.span is None else sample.span[i, t] for t in days))
    return float(np.mean(sums)), float(np.mean(sessions))


def covered_sessions(sample: WindowSample, i: int) -> int:
    """Sessions firm i's window CAR covers: the spans of its window returns added up."""
    ar, span = sample.ar[i, sample.in_window], sample.span
    spans = np.ones(len(ar)) if span is None else span[i, sample.in_window]
    return int(sum(k for a, k in zip(ar, spans, strict=True) if np.isfinite(a)))


def pseudo_cars(sample: WindowSample) -> list[list[float]]:
    """Per firm, per start ``s`` of the ``T − L + 1`` runs: the summed prediction errors of the run of as many
    estimation days as the firm's window covers (``covered_sessions``), after refitting the model without the
    run (an explicit least-squares fit of the estimation ARs on the design outside the run; NaN where the run
    has no AR of the firm or would end past the estimation days)."""
    est = sample.ar[:, ~sample.in_window]
    length, t = sample.length, est.shape[1]
    x = None if sample.x is None or sample.x.shape[-1] == 0 else sample.x[:, ~sample.in_window]
    out = []
    for i in range(sample.n):
        ok = np.isfinite(est[i])
        sessions = covered_sessions(sample, i) or length
        row = []
        for s in range(t - length + 1):
            if s + sessions > t:
                row.append(float("nan"))
                continue
            run = np.zeros(t, dtype=bool)
            run[s : s + sessions] = True
            if not (ok & run).any():
                row.append(float("nan"))
                continue
            e_run = est[i, ok & run]
            if x is None:
                row.append(float(e_run.sum()))
                continue
            fit = ok & ~run
            beta = np.linalg.lstsq(x[i, fit], est[i, fit], rcond=None)[0]
            row.append(float((e_run - x[i, ok & run] @ beta).sum()))
        out.append(row)
    return out


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
    """Brown & Warner (1980/1985) t: the mean of the firms' window CARs over √(S² L̄ + EE), S² the variance of a
    full day's AAR (day weights N_t/N), L̄ the mean sessions a CAR covers."""
    n = sample.n
    aar, _ = _col_mean(sample.ar)
    n_t = _day_counts(sample)
    est_days = [t for t in np.flatnonzero(~sample.in_window) if np.isfinite(aar[t])]
    caar, sessions = _firm_window_sums(sample, sample.ar)
    if n < 1 or len(est_days) < 3 or not sessions > 0:
        return _undefined(n)
    mean = np.mean([aar[t] for t in est_days])
    s2 = sum(n_t[t] / n * (aar[t] - mean) ** 2 for t in est_days) / (len(est_days) - 1)
    if not s2 > 0:
        return _undefined(n)
    t = float(caar / np.sqrt(s2 * sessions + _estimation_error(sample)))
    return StatisticResult(t, _two_sided_t(t, len(est_days) - 1), n)


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


def _time_series_test(scores: np.ndarray, in_window: np.ndarray) -> tuple[float, int]:
    """``mean_i Σ_W S_it / (S √m̄)``, ``S² = (1/T) Σ_t (N_t/N) S̄_t²`` over the days with data, ``m̄`` the mean
    number of window scores per firm (a loop over firms for the window part)."""
    mean, cnt = _col_mean(scores)
    firms = [i for i in range(len(scores)) if np.isfinite(scores[i]).any()]
    n = len(firms)
    has = np.isfinite(mean)
    counts = [int(np.isfinite(scores[i, in_window]).sum()) for i in firms]
    if sum(counts) == 0 or has.sum() < 3:
        return float("nan"), 0
    s = float(np.sqrt(sum(cnt[t] / n * mean[t] ** 2 for t in np.flatnonzero(has)) / has.sum()))
    if s == 0.0:
        return float("nan"), 0
    total = np.mean([np.nansum(scores[i, in_window]) for i in firms])
    return float(total / (s * np.sqrt(np.mean(counts)))), int(has.sum())


def corrado_rank(sample: WindowSample) -> StatisticResult:
    """Corrado (1989, *JFE* 23, 385–395) rank test, eq. (4)–(5), with Corrado & Zivney's (1992, *JFQA* 27,
    465–478) standardised ranks for missing returns and the multi-day form of Campbell & Wasley (1993, eq. 8).

    Each firm's ARs over the estimation and window days are ranked, ``U_it = K_it / (1 + M_i)`` (``M_i`` its
    number of ARs); ``Ū_t`` = mean of ``U_it − ½`` over the firms with an AR on t;
    ``T = mean_i Σ_{t∈W} U_it / (√m̄ · S_U)``, ``S_U² = (1/T) Σ_t (N_t/N) Ū_t²``. p from the standard normal.
    Valid under event-day clustering (S_U is a time-series quantity).
    """
    u = rank_rows(sample.sar)
    m = np.isfinite(sample.sar).sum(axis=1, keepdims=True)
    z, _ = _time_series_test(u / (1.0 + m) - 0.5, sample.in_window)
    return StatisticResult(z, _two_sided_z(z), sample.n) if np.isfinite(z) else _undefined(sample.n)


def sign_cz(sample: WindowSample) -> StatisticResult:
    """Corrado & Zivney (1992, *JFQA* 27, 465–478) sign test, eq. (3)–(4), multi-day as in Cowan (1992).

    ``G_it = sign(AR_it − median_i)`` (the firm's median AR over estimation and window days);
    ``Z = mean_i Σ_{t∈W} G_it / (√m̄ · S_G)``, ``S_G² = (1/T) Σ_t (N_t/N) Ḡ_t²``. p from the standard normal.
    Valid under event-day clustering.
    """
    sar = sample.sar
    ok = np.isfinite(sar)
    if not ok.any():
        return _undefined(sample.n)
    med = np.array([[np.median(row[np.isfinite(row)])] if np.isfinite(row).any() else [np.nan] for row in sar])
    g = np.where(ok, np.sign(sar - med), np.nan)
    z, _ = _time_series_test(g, sample.in_window)
    return StatisticResult(z, _two_sided_z(z), sample.n) if np.isfinite(z) else _undefined(sample.n)


def gen_sign_z(sample: WindowSample) -> StatisticResult:
    """Cowan (1992) generalised sign test, ``p̂`` from the out-of-sample L-day pseudo-CARs."""
    n = sample.n
    if n < 1 or (~sample.in_window).sum() < sample.length:
        return _undefined(n)
    fracs = []
    for row in pseudo_cars(sample):
        row = np.array(row)
        if np.isfinite(row).any():
            fracs.append(float((row[np.isfinite(row)] > 0).mean()))
    if not fracs:
        return _undefined(n)
    p = float(np.mean(fracs))
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


def bhar_boot_t(sample: WindowSample) -> StatisticResult:
    """LBT (1999) bootstrapped skewness-adjusted t: one resample at a time (the package's seeded draws)."""
    base = bhar_skew_t(sample)
    if not np.isfinite(base.statistic) or sample.placebo_draws < 1:
        return _undefined(base.n_firms)
    values = sample.bhar[np.isfinite(sample.bhar)]
    n, mean = len(values), float(np.mean(values))
    size = max(n // 4, min(n, 10))
    draws = seeded_integers(stream_key(sample.seed, 2), n, (sample.placebo_draws, size))
    stats = []
    for row in draws:
        x = values[row]
        if len(set(x.tolist())) == 1:
            continue
        sd = float(np.std(x, ddof=1))
        s = (x.mean() - mean) / sd
        gamma = float(np.sum((x - x.mean()) ** 3) / (size * sd**3))
        stats.append(np.sqrt(size) * (s + gamma * s * s / 3.0 + gamma / (6.0 * size)))
    if not stats:
        return _undefined(n)
    stats = np.array(stats)
    tail = min(np.sum(stats <= base.statistic), np.sum(stats >= base.statistic)) + 1.0
    return StatisticResult(base.statistic, min(1.0, 2.0 * tail / (len(stats) + 1.0)), n)


def portfolio_t(sample: WindowSample) -> StatisticResult:
    """Calendar-time portfolio t: the mean of the firms' window CARs over √(σ_p² L̄ + EE)."""
    n = sample.n
    aar, _ = _col_mean(sample.ar)
    n_t = _day_counts(sample)
    est_days = [t for t in np.flatnonzero(~sample.in_window) if np.isfinite(aar[t])]
    caar, sessions = _firm_window_sums(sample, sample.ar)
    dof = len(est_days) - max(sample.n_params, 1)
    if n < 1 or dof < 2 or not sessions > 0:
        return _undefined(n)
    s2 = sum(n_t[t] / n * aar[t] ** 2 for t in est_days) / dof
    if not s2 > 0:
        return _undefined(n)
    t = float(caar / np.sqrt(s2 * sessions + _estimation_error(sample)))
    return StatisticResult(t, _two_sided_t(t, dof), n)


def placebo_p(sample: WindowSample) -> StatisticResult:
    """Placebo p of the CAAR over out-of-sample L-day pseudo-windows: every run when the firms share day 0, else
    ``placebo_draws`` seeded draws of one run per day 0 (the same draws as the package)."""
    n = sample.n
    if n < 1 or (~sample.in_window).sum() < sample.length + 1:
        return _undefined(n)
    cars = np.array(pseudo_cars(sample))  # (n, starts)
    caar = float(np.mean(sample.car))
    days = np.unique(sample.clusters, return_inverse=True)[1] if sample.clusters is not None else np.zeros(n, int)
    if days.max() == 0:
        pseudo = [float(np.mean(c[np.isfinite(c)])) for c in cars.T if np.isfinite(c).any()]
    else:
        offsets = seeded_integers(stream_key(sample.seed), cars.shape[1], (sample.placebo_draws, days.max() + 1))
        pseudo = []
        for draw in offsets:
            values = [cars[i, draw[days[i]]] for i in range(n) if np.isfinite(cars[i, draw[days[i]]])]
            if values:
                pseudo.append(float(np.mean(values)))
    if not pseudo:
        return _undefined(n)
    p = (1.0 + sum(abs(c) >= abs(caar) for c in pseudo)) / (len(pseudo) + 1.0)
    return StatisticResult(caar, p, n)


def mvrm_wald(sample: WindowSample) -> StatisticResult:
    """Schipper & Thompson (1983) / Binder (1985) multivariate regression with event-day dummies, firm by firm:
    each firm's regression of its ARs on the design and one dummy per window return over the common estimation
    days (every firm with an AR) and its window days, by least squares on the explicit matrix ``Z_i``; the
    hypothesis ``Σ_i c_i'θ_i = 0`` (``c_i`` picks the dummies) has the variance
    ``Σ_ij σ_ij Σ_t w_it w_jt m_ijt`` with ``w_i = Z_i (Z_i'Z_i)⁻¹ c_i`` the weights of the estimate on firm i's
    rows, ``m_ijt`` the sessions two rows share (1 on estimation days, ``min(k_it, k_jt)`` on a window day) and
    ``σ̂_ij`` the residual cross-products over the common estimation days over ``T − p``; t with T − p d.f."""
    n, ar, win = sample.n, sample.ar, sample.in_window
    p = 0 if sample.x is None else sample.x.shape[-1]
    est_cols = [t for t in np.flatnonzero(~win)
                if all(np.isfinite(ar[i, t]) and (p == 0 or np.isfinite(sample.x[i, t]).all()) for i in range(n))]  # fmt: skip
    dof = len(est_cols) - p
    if n < 1 or dof < 2:
        return _undefined(n)
    stat, weights, resid = 0.0, [], []
    for i in range(n):
        days = [t for t in np.flatnonzero(win) if np.isfinite(ar[i, t])]
        rows = est_cols + days
        z = np.zeros((len(rows), p + len(days)))
        if p:
            z[:, :p] = np.nan_to_num(sample.x[i, rows])
        for k in range(len(days)):
            z[len(est_cols) + k, p + k] = 1.0
        if np.linalg.matrix_rank(z) < z.shape[1]:
            return _undefined(n)
        y = ar[i, rows]
        theta = np.linalg.lstsq(z, y, rcond=None)[0]
        c = np.r_[np.zeros(p), np.ones(len(days))]
        stat += float(c @ theta)
        w = z @ np.linalg.inv(z.T @ z) @ c
        weights.append(dict(zip(rows, w, strict=True)))
        resid.append((y - z @ theta)[: len(est_cols)])
    if not any(np.isfinite(ar[i, win]).any() for i in range(n)):
        return _undefined(n)
    e = np.array(resid)
    sigma = e @ e.T / dof
    span = np.ones(ar.shape) if sample.span is None else sample.span
    var = 0.0
    for i in range(n):
        for j in range(n):
            for t in set(weights[i]) & set(weights[j]):
                shared = 1.0 if t in est_cols else min(span[i, t], span[j, t])
                var += sigma[i, j] * weights[i][t] * weights[j][t] * shared
    if not var > 0:
        return _undefined(n)
    t_stat = stat / float(np.sqrt(var))
    return StatisticResult(t_stat, _two_sided_t(t_stat, dof), n)


_GARCH_FITS: dict[bytes, object] = {}


def _garch_forecasts(e: np.ndarray, horizon: int) -> np.ndarray | None:
    """``arch``'s own multi-step variance forecasts ``ĥ(1..horizon)`` of a GARCH(1,1) fitted to ``e`` (per cent
    scale, converted back), None where the package keeps the OLS standardisation (< 100 returns, no convergence,
    not a stationary positive process)."""
    import warnings

    from arch import arch_model

    if len(e) < 100:
        return None
    key = e.tobytes()
    if key not in _GARCH_FITS:
        from threadpoolctl import threadpool_limits

        try:  # on one BLAS thread, as the package fits: the optimiser's last digits depend on the threading
            with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
                warnings.simplefilter("ignore")
                res = arch_model(100 * e, mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
        except Exception:
            res = None
        if res is not None:
            omega, alpha, beta = (float(x) for x in res.params)
            good = res.convergence_flag == 0 and omega > 0 and alpha >= 0 and beta >= 0 and alpha + beta < 1
            res = res if good else None
        _GARCH_FITS[key] = res
    res = _GARCH_FITS[key]
    if res is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = res.forecast(horizon=max(horizon, 1), reindex=False).variance.to_numpy()[-1] / 100.0**2
    return h if h[0] > 0 else None


def garch_bmp_t(sample: WindowSample) -> StatisticResult:
    """Savickas (2003): BMP t of CARs standardised by the sum of the GARCH(1,1) forecasts of the sessions their
    returns cover (a loop over firms and window returns; forecasts from ``arch``'s ``forecast``); firms without a
    fit keep their OLS SCAR."""
    n, ar, win = sample.n, sample.ar, sample.in_window
    rel = np.asarray(sample.extra.get("rel_days", np.arange(ar.shape[1])), dtype=float)
    span = np.ones(ar.shape) if sample.span is None else sample.span
    scar = np.array(sample.scar, dtype=float)
    for i in range(n):
        est = [t for t in np.flatnonzero(~win) if np.isfinite(ar[i, t])]
        days = [t for t in np.flatnonzero(win) if np.isfinite(ar[i, t])]
        if not est or not days:
            continue
        last = rel[est[-1]]
        h = _garch_forecasts(ar[i, est], int(max(rel[t] - last for t in days)))
        if h is None:
            continue
        var, car = 0.0, 0.0
        for t in days:
            car += ar[i, t]
            end = int(rel[t] - last)
            for s in range(max(end - int(span[i, t]) + 1, 1), end + 1):
                var += h[s - 1]
        if var > 0:
            scar[i] = car / np.sqrt(var)
    return _mean_t(scar)
