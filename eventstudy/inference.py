"""Aggregate test statistics over the firms of one event and one window (or one day of the daily path).

Each test takes a :class:`WindowSample` (the firm-events of one event, one window) and returns a
:class:`StatisticResult`. Firms with no return in the window ("not traded") are left out and ``n_firms`` says how
many remained. Notation: ``CAR_i`` and its forecast-error standard error ``s_i`` come from
:mod:`eventstudy.engine`; ``SCAR_i = CAR_i / s_i``; ``d_i`` is firm i's estimation degrees of freedom;
``AR_it`` are the daily (trade-to-trade) abnormal returns over the estimation days ``t ∈ E`` (``T`` days; only
the single-session returns the model was fitted on) and the window days ``t ∈ W`` (``L`` days; every return,
including one spanning a halt), NaN where the firm has no return; ``AAR_t`` is their mean over the firms
with a return on ``t``. ``BHAR_i`` is the buy-and-hold abnormal return over the window.

``CLUSTERING_ROBUST`` names the tests whose variance is estimated from the time series of cross-sectional
averages (or that resample whole cross-sections), and so stays valid when the firms share an event day and
their abnormal returns are cross-correlated; the others assume independent firms. ``TEST_REFERENCES`` gives
each test's source; ``docs/statistics.md`` has the formulas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from .engine import AbnormalReturns

COLUMNS = ["event_id", "window_start", "window_end", "test", "statistic", "p_value", "n_firms"]


@dataclass(frozen=True)
class WindowSample:
    """The firm-events of one event over one window, with their cumulated quantities (firms with data only).

    ``ar``/``sar``/``span`` are ``(n, T + L)``: the estimation days first, then the window days
    (``in_window`` marks the latter); ``n_params`` is the number of model parameters.
    """

    window: tuple[int, int]
    car: np.ndarray
    car_se: np.ndarray
    dof: np.ndarray
    bhar: np.ndarray | None = None
    ar: np.ndarray | None = None
    sar: np.ndarray | None = None
    span: np.ndarray | None = None
    in_window: np.ndarray | None = None
    n_params: int = 2
    placebo_draws: int = 999
    seed: int | Sequence[int] = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.car)

    @property
    def scar(self) -> np.ndarray:
        return self.car / self.car_se

    @property
    def length(self) -> int:
        """Window length in relative days."""
        return int(self.window[1] - self.window[0] + 1)

    def est_ar(self) -> np.ndarray:
        return self.ar[:, ~self.in_window]

    def win_ar(self) -> np.ndarray:
        return self.ar[:, self.in_window]


@dataclass(frozen=True)
class StatisticResult:
    statistic: float
    p_value: float
    n_firms: int


def _two_sided_t(t: float, df: float) -> float:
    """``2 P(T_df > |t|)``: ``scipy.stats.t.sf`` without its per-call argument handling (the same ``stdtr``)."""
    return float(2.0 * special.stdtr(df, -abs(t)))


def _two_sided_z(z: float) -> float:
    """``2 P(Z > |z|)``: ``scipy.stats.norm.sf`` without its per-call argument handling (the same ``ndtr``)."""
    return float(2.0 * special.ndtr(-abs(z)))


def _row_median(x: np.ndarray) -> np.ndarray:
    """Median of the finite values of each row, ``(n, 1)`` (``np.nanmedian(x, axis=1, keepdims=True)``; NaN for
    a row without values), from one sort: NaN sorts last, so the middle values sit at ``(k − 1) // 2``, ``k // 2``."""
    s = np.sort(x, axis=1)
    k = np.isfinite(x).sum(axis=1, keepdims=True)
    lo = np.take_along_axis(s, np.maximum((k - 1) // 2, 0), axis=1)
    hi = np.take_along_axis(s, k // 2, axis=1)
    return np.where(k > 0, (lo + hi) / 2.0, np.nan)


def _undefined(n: int) -> StatisticResult:
    return StatisticResult(float("nan"), float("nan"), n)


def _col_mean(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over rows of each column, ignoring NaN; and the count. Columns without data give NaN."""
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, x, 0.0).sum(axis=0) / n, n


def rank_rows(x: np.ndarray) -> np.ndarray:
    """Ranks (1 = smallest, ties averaged) of the finite values of each row; NaN elsewhere. Vectorised."""
    x = np.asarray(x, dtype=float)
    n, d = x.shape
    finite = np.isfinite(x)
    keyed = np.where(finite, x, np.inf)
    order = np.argsort(keyed, axis=1)  # ties get their average rank whatever their order
    s = np.take_along_axis(keyed, order, axis=1)
    idx = np.broadcast_to(np.arange(d), (n, d))
    start_flag = np.ones((n, d), dtype=bool)
    start_flag[:, 1:] = s[:, 1:] != s[:, :-1]
    end_flag = np.ones((n, d), dtype=bool)
    end_flag[:, :-1] = s[:, 1:] != s[:, :-1]
    start = np.maximum.accumulate(np.where(start_flag, idx, 0), axis=1)
    end = np.minimum.accumulate(np.where(end_flag, idx, d - 1)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty((n, d))
    np.put_along_axis(ranks, order, (start + end) / 2.0 + 1.0, axis=1)
    return np.where(finite, ranks, np.nan)


# --------------------------------------------------------------------------------------------------- parametric


def csect_t(sample: WindowSample) -> StatisticResult:
    """Cross-sectional t of the CAAR (Brown & Warner 1985, *JFE* 14, sec. 3.2; Campbell, Lo & MacKinlay 1997,
    eq. 4.4.24 with the variance estimated from the cross-section).

    ``t = CAAR / (S / √N)`` with ``CAAR = mean(CAR_i)`` and ``S`` the cross-sectional standard deviation
    (N − 1 denominator); p from Student t with N − 1 degrees of freedom. Robust to event-induced variance,
    not to cross-correlation of firms sharing an event day.
    """
    n = sample.n
    if n < 2:
        return _undefined(n)
    sd = float(np.std(sample.car, ddof=1))
    if sd == 0.0:
        return _undefined(n)
    t = float(np.mean(sample.car) / (sd / np.sqrt(n)))
    return StatisticResult(t, _two_sided_t(t, n - 1), n)


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
    n = sample.n
    if n < 2:
        return _undefined(n)
    sd = float(np.std(sample.scar, ddof=1))
    if sd == 0.0:
        return _undefined(n)
    t = float(np.mean(sample.scar) / (sd / np.sqrt(n)))
    return StatisticResult(t, _two_sided_t(t, n - 1), n)


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


def bhar_skew_t(sample: WindowSample) -> StatisticResult:
    """Skewness-adjusted t for the mean BHAR (Lyon, Barber & Tsai 1999, *J. Finance* 54, 165–201, eq. 5;
    after Johnson 1978).

    ``t_sa = √N (S + γ̂ S² / 3 + γ̂ / (6N))`` with ``S = mean(BHAR) / sd(BHAR)`` and
    ``γ̂ = Σ (BHAR_i − mean)³ / (N sd(BHAR)³)`` (sd with N − 1 denominator); p from Student t with N − 1
    degrees of freedom. Assumes independent firms.
    """
    bhar = sample.bhar[np.isfinite(sample.bhar)] if sample.bhar is not None else np.array([])
    n = len(bhar)
    if n < 2:
        return _undefined(n)
    sd = float(np.std(bhar, ddof=1))
    if sd == 0.0:
        return _undefined(n)
    s = float(np.mean(bhar)) / sd
    gamma = float(np.sum((bhar - bhar.mean()) ** 3) / (n * sd**3))
    t = float(np.sqrt(n) * (s + gamma * s * s / 3.0 + gamma / (6.0 * n)))
    return StatisticResult(t, _two_sided_t(t, n - 1), n)


# ----------------------------------------------------------------------------------------------- nonparametric


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


TESTS: dict[str, Callable[[WindowSample], StatisticResult]] = {
    "csect_t": csect_t,
    "bw_t": bw_t,
    "patell_z": patell_z,
    "bmp_t": bmp_t,
    "kp_bmp_t": kp_bmp_t,
    "corrado_rank": corrado_rank,
    "sign_cz": sign_cz,
    "gen_sign_z": gen_sign_z,
    "grank_t": grank_t,
    "wilcoxon_z": wilcoxon_z,
    "bhar_skew_t": bhar_skew_t,
    "portfolio_t": portfolio_t,
    "placebo_p": placebo_p,
}

CLUSTERING_ROBUST: frozenset[str] = frozenset(
    {"bw_t", "kp_bmp_t", "corrado_rank", "sign_cz", "grank_t", "portfolio_t", "placebo_p"}
)

TEST_REFERENCES: dict[str, str] = {
    "csect_t": "Brown & Warner (1985), J. Financial Economics 14, 3-31; Campbell, Lo & MacKinlay (1997), eq. 4.4.24",
    "bw_t": "Brown & Warner (1980), J. Financial Economics 8, 205-258 (crude dependence adjustment); (1985) eq. 4-5",
    "patell_z": "Patell (1976), J. Accounting Research 14, 246-276",
    "bmp_t": "Boehmer, Musumeci & Poulsen (1991), J. Financial Economics 30, 253-272",
    "kp_bmp_t": "Kolari & Pynnönen (2010), Review of Financial Studies 23, 3996-4025",
    "corrado_rank": "Corrado (1989), J. Financial Economics 23, 385-395; Corrado & Zivney (1992)",
    "sign_cz": "Corrado & Zivney (1992), J. Financial and Quantitative Analysis 27, 465-478",
    "gen_sign_z": "Cowan (1992), Review of Quantitative Finance and Accounting 2, 343-358",
    "grank_t": "Kolari & Pynnönen (2011), J. Empirical Finance 18, 953-971",
    "wilcoxon_z": "Wilcoxon (1945), Biometrics Bulletin 1, 80-83",
    "bhar_skew_t": "Lyon, Barber & Tsai (1999), J. Finance 54, 165-201",
    "portfolio_t": "Jaffe (1974), J. Business 47, 410-428; Mandelker (1974), J. Financial Economics 1, 303-335",
    "placebo_p": "Brown & Warner (1980) pseudo-event simulation; Lyon, Barber & Tsai (1999) empirical p-values",
}

for _name, _fn in TESTS.items():  # the report reads these attributes too
    _fn.clustering_robust = _name in CLUSTERING_ROBUST  # type: ignore[attr-defined]
    _fn.reference = TEST_REFERENCES[_name]  # type: ignore[attr-defined]


def _event_groups(ab: AbnormalReturns) -> dict[str, np.ndarray]:
    codes, uniques = pd.factorize(pd.Index([fe.event_id for fe in ab.firm_events]))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {str(u): order[bounds[i] : bounds[i + 1]] for i, u in enumerate(uniques)}


def window_samples(
    ab: AbnormalReturns,
    window: tuple[int, int],
    *,
    placebo_draws: int = 999,
    seed: int = 0,
    groups: dict[str, np.ndarray] | None = None,
    event_keys: Mapping[str, int] | None = None,
) -> dict[str, WindowSample]:
    """One :class:`WindowSample` per event id, keeping only firm-events with a return in the window.

    All firm-events are cumulated at once (:meth:`AbnormalReturns.cumulate`); each event then takes its rows.
    An event's placebo seed is ``(seed, key, window)`` with ``key`` its position among the event ids, or
    ``event_keys[event_id]`` when given (so a subset of the events gets the seeds it has in the whole).
    """
    days = ab.days(window)
    res = ab.cumulate(days)
    est = ab.in_estimation
    cols = est | days
    in_window = days[cols]
    # Estimation days: only the returns the model was fitted on (single-session); multi-session returns after
    # long halts would otherwise dominate the time-series variances. Window days: every AR.
    keep_day = ab.estimation | days[None, :]
    ar = np.where(keep_day, ab.ar, np.nan)[:, cols]
    sar = np.where(keep_day, ab.sar, np.nan)[:, cols]
    span = ab.span[:, cols]
    groups = groups if groups is not None else _event_groups(ab)
    p = ab.design.shape[-1]
    out: dict[str, WindowSample] = {}
    for k, (event_id, rows) in enumerate(groups.items()):
        keep = rows[res["n_obs"][rows] > 0]
        out[event_id] = WindowSample(
            window,
            res["car"][keep],
            res["car_se"][keep],
            ab.dof[keep].astype(float),
            bhar=res["bhar"][keep],
            ar=ar[keep],
            sar=sar[keep],
            span=span[keep],
            in_window=in_window,
            n_params=p,
            placebo_draws=placebo_draws,
            seed=(seed, k if event_keys is None else event_keys[event_id], window[0] + 100_000, window[1] + 100_000),
        )
    return out


def significance_table(
    ab: AbnormalReturns,
    windows: tuple[tuple[int, int], ...],
    *,
    daily_path: tuple[int, int] | None = None,
    placebo_draws: int = 999,
    seed: int = 0,
    tests: Sequence[str] | None = None,
    event_keys: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Every test for every event and window (and, with ``daily_path``, every day of the path as a one-day
    window with ``window_start == window_end``): the rows of ``tests.csv``."""
    names = list(tests) if tests is not None else list(TESTS)
    all_windows = list(windows)
    if daily_path is not None:
        all_windows += [(d, d) for d in range(daily_path[0], daily_path[1] + 1) if (d, d) not in all_windows]
    groups = _event_groups(ab)
    rows = []
    for window in all_windows:
        for event_id, sample in window_samples(
            ab, window, placebo_draws=placebo_draws, seed=seed, groups=groups, event_keys=event_keys
        ).items():
            for name in names:
                result = TESTS[name](sample)
                rows.append((event_id, window[0], window[1], name, result.statistic, result.p_value, result.n_firms))
    return pd.DataFrame(rows, columns=COLUMNS)


def with_markers(tests: pd.DataFrame) -> pd.DataFrame:
    """``tests.csv`` rows plus ``clustering_robust`` (bool) and ``reference`` columns, for the report."""
    out = tests.copy()
    out["clustering_robust"] = out["test"].isin(CLUSTERING_ROBUST)
    out["reference"] = out["test"].map(TEST_REFERENCES)
    return out
