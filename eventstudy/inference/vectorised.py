"""The one implementation of every test of :data:`~eventstudy.inference.TESTS`: computed for all event groups of
one window in one pass, on padded ``(groups, firms, days)`` arrays with a firm mask. Studies, the placebo run and
the single-sample functions (``eventstudy.inference.bw_t`` …) all call :func:`battery`.

The resampling tests (``placebo_p``, ``gen_sign_z``'s pseudo-windows, ``bhar_boot_t``) live in
:mod:`eventstudy.inference.resampling`; the shared numerics in :mod:`eventstudy.inference.sample`. Each
``_<test>`` function's docstring gives the formula and its source (``docs/statistics.md`` has the table).
tests/inference/reference.py keeps per-event loops written independently, and tests/inference/test_vectorised.py
checks the two agree on every test. Means and standard deviations are masked sums over the firm axis; ranks and
medians are per firm row (one sort of all rows); nothing depends on which other groups share the call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .garch import MIN_GARCH_RETURNS, cumulative_forecast, fit_garch
from .resampling import _bhar_boot_t, _gen_sign_z, _placebo_p
from .sample import _cached, _day_mean, _mean_sd, _row_median, _skew_adjusted_t, _t_p, _z_p, rank_rows, rank_sort_rows


def _mean_t(x: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, sd, n = _mean_sd(x, m)
    t = mean / (sd / np.sqrt(n))
    bad = (n < 2) | (sd == 0.0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, n - 1))


def _time_series(scores: np.ndarray, in_window: np.ndarray) -> np.ndarray:
    """``(1/N) Σ_i Σ_{t∈W} S_it / (S √m̄)``: each firm's window scores summed and averaged over the ``N`` firms,
    so that a firm counts once however its returns fall on the days (a halted firm's one late return is one score
    of one firm, not a day of its own). ``m̄ = (1/N) Σ_i m_i``, ``m_i`` firm i's number of window scores.
    ``S² = (1/T) Σ_t (N_t/N) S̄_t²`` over the ``T`` days with data is the variance of one full day's mean score
    (``N_t`` firms on day t; Kolari & Pynnönen 2011, eq. 8 and 11; Campbell & Wasley 1993, eq. 8), the
    cross-correlation of the firms in it; the window sum ``Σ_t (N_t/N) S̄_t`` then has variance
    ``Σ_t (N_t/N)² (N/N_t) S² = m̄ S²``. With every firm on every window day this is the classic
    ``Σ_W S̄_t / (S √L)``."""
    mean, cnt = _day_mean(scores)
    has = np.isfinite(mean)
    n = np.isfinite(scores).any(axis=2).sum(axis=1)
    in_win = np.isfinite(scores) & in_window[None, None, :]
    n_has = has.sum(axis=1)
    s = np.sqrt(np.where(has, (cnt / n[:, None]) * mean**2, 0.0).sum(axis=1) / n_has)
    m_bar = in_win.sum(axis=(1, 2)) / n
    z = np.where(in_win, scores, 0.0).sum(axis=(1, 2)) / n / (np.sqrt(m_bar) * s)
    return np.where((m_bar == 0) | (n_has < 3) | (s == 0.0), np.nan, z)


def _cross_correlation(est: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Average pairwise correlation ``r̄`` of each group's rows (pairwise-complete days): ``(G, F, T)`` → ``(G,)``."""
    ok = np.isfinite(est)
    x = np.where(ok, est, 0.0)
    m = ok.astype(float)
    f = est.shape[1]
    mt = m.transpose(0, 2, 1)
    stacked = np.concatenate([m, x, x * x], axis=1) @ mt  # Σ over days where j is observed
    nij, sx, sxx = stacked[:, :f], stacked[:, f : 2 * f], stacked[:, 2 * f :]
    sxy = x @ x.transpose(0, 2, 1)
    mean_i = sx / nij
    mean_j = mean_i.transpose(0, 2, 1)
    cov = sxy / nij - mean_i * mean_j
    var_i = sxx / nij - mean_i**2
    corr = cov / np.sqrt(var_i * var_i.transpose(0, 2, 1))
    off = ~np.eye(f, dtype=bool)[None] & (nij >= 3) & np.isfinite(corr)
    k = off.sum(axis=(1, 2))
    r = np.where(off, corr, 0.0).sum(axis=(1, 2)) / k
    return np.where((n < 2) | (k == 0), np.nan, r)


def _rank(x: np.ndarray) -> np.ndarray:
    return rank_rows(x.reshape(-1, x.shape[-1])).reshape(x.shape)


def _aar(v: dict) -> np.ndarray:
    return _cached(v, "aar", lambda: _day_mean(v["ar"])[0])


def _sar_rank_sort(v: dict) -> tuple[np.ndarray, np.ndarray]:
    sar = v["sar"]
    return _cached(v, "sar_rank_sort", lambda: rank_sort_rows(sar.reshape(-1, sar.shape[-1])))


def _day_counts(v: dict) -> np.ndarray:
    """Per group and day: ``N_t``, the firms with an AR, ``(G, D)``."""
    return _cached(v, "day_counts", lambda: np.isfinite(v["ar"]).sum(axis=1))


def _window_sum(v: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per group: ``CAAR = (1/N) Σ_i Σ_{t∈W} AR_it`` (each firm's window CAR, averaged over the ``N`` firms with a
    return in the window) and ``L̄ = (1/N) Σ_i Σ_{t∈W} k_it``, the mean number of sessions the firms' CARs cover
    (a return after a halt spans ``k_it`` sessions)."""

    def make():
        win = v["ar"][:, :, v["in_window"]]
        ok = np.isfinite(win) & v["mask"][:, :, None]
        n = v["n"]
        caar = np.where(ok, win, 0.0).sum(axis=(1, 2)) / n
        sessions = np.where(ok, v["span"][:, :, v["in_window"]], 0.0).sum(axis=(1, 2)) / n
        return caar, sessions

    return _cached(v, "window_sum", make)


def _window_estimation_error(v: dict) -> np.ndarray:
    """``Σ_i σ_i² h_i' (X_i'X_i)⁻¹ h_i``, ``h_i = (1/N) Σ_{t∈W} x_it`` over the window days firm i has an AR: the
    variance that the firms' estimation errors add to the CAAR, ``(1/N²) Σ_i σ_i² g_i'(X_i'X_i)⁻¹ g_i`` with
    ``g_i`` the design sum of firm i's CAR (Campbell, Lo & MacKinlay 1997, eq. 4.4.13, averaged over firms).
    Zero without a design (a sample built by hand)."""
    if v["x"] is None or v["x"].shape[-1] == 0:
        return np.zeros(len(v["n"]))
    ok = np.isfinite(v["ar"][:, :, v["in_window"]])
    w = np.where(ok, 1.0 / v["n"][:, None, None], 0.0)
    h = np.einsum("gfl,gflp->gfp", w, np.nan_to_num(v["x"][:, :, v["in_window"]]))
    q = np.einsum("gfp,gfpq,gfq->gf", h, v["xtx_inv"], h)
    return np.where(v["mask"], v["sigma2"] * q, 0.0).sum(axis=1)


def battery(
    car: np.ndarray,
    car_se: np.ndarray,
    dof: np.ndarray,
    bhar: np.ndarray,
    ar: np.ndarray,
    sar: np.ndarray,
    span: np.ndarray,
    mask: np.ndarray,
    in_window: np.ndarray,
    *,
    names: Sequence[str],
    n_params: int,
    length: int,
    placebo_draws: int = 0,
    seeds: Sequence[object] = (),
    x: np.ndarray | None = None,
    xtx_inv: np.ndarray | None = None,
    sigma2: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
    shared: dict | None = None,
    rel_days: np.ndarray | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every test in ``names`` for ``G`` groups: per-firm inputs ``(G, F)``, daily ``(G, F, D)`` (estimation days
    then window days, ``in_window`` ``(D,)`` marks the latter); padded firms are ``~mask`` (NaN in the arrays).
    ``x`` ``(G, F, D, p)`` are the model's design rows on those days, ``xtx_inv`` ``(G, F, p, p)`` and ``sigma2``
    ``(G, F)`` the fit: they give the estimation-error term of ``bw_t``/``portfolio_t`` and the out-of-sample
    pseudo-windows of ``placebo_p``/``gen_sign_z`` (without them — a sample built by hand — both are left out).
    ``clusters`` ``(G, F)`` codes each firm's calendar day 0 (None: all firms of a group share it);
    ``placebo_draws`` and ``seeds`` (one per group) drive ``placebo_p``'s draws when a group has several days 0.
    ``shared``: a dict kept between calls on the same groups and estimation-day data (the placebo's injected
    day-0 returns change window days only): the out-of-sample pseudo-CARs are computed once and reused.
    ``rel_days`` ``(D,)``: the relative day of each column (``garch_bmp_t``'s forecast horizons; None: the
    columns are consecutive sessions, the window right after the estimation days).
    Returns ``name → (statistic, p_value, n_firms)``, each ``(G,)``; undefined tests are NaN."""
    with np.errstate(invalid="ignore", divide="ignore"):
        v = dict(car=car, scar=car / car_se, dof=dof, bhar=bhar, ar=ar, sar=sar, span=span, mask=mask,
                 n=mask.sum(axis=1), in_window=in_window, est_days=~in_window, n_params=n_params, length=length,
                 x=x, xtx_inv=xtx_inv, sigma2=sigma2, clusters=clusters, placebo_draws=placebo_draws,
                 seeds=seeds, shared=shared, rel_days=rel_days)  # fmt: skip
        return {name: _TESTS[name](v) for name in names}


# Each test reads the ``battery`` locals (``v``) and returns (statistic, p_value, n_firms).


def _csect_t(v):
    """Cross-sectional t of the CAAR (Brown & Warner 1985, *JFE* 14, sec. 3.2; Campbell, Lo & MacKinlay 1997,
    eq. 4.4.24 with the variance estimated from the cross-section).

    ``t = CAAR / (S / √N)`` with ``CAAR = mean(CAR_i)`` and ``S`` the cross-sectional standard deviation
    (N − 1 denominator); p from Student t with N − 1 degrees of freedom. Robust to event-induced variance,
    not to cross-correlation of firms sharing an event day."""
    return (*_mean_t(v["car"], v["mask"]), v["n"])


def _bmp_t(v):
    """Boehmer, Musumeci & Poulsen (1991, *JFE* 30, 253–272), standardised cross-sectional test, eq. (9).

    ``t = mean(SCAR_i) / (S_SCAR / √N)`` with ``S_SCAR`` the cross-sectional standard deviation of the
    standardised CARs; p from Student t with N − 1 degrees of freedom. Robust to event-induced variance."""
    return (*_mean_t(v["scar"], v["mask"]), v["n"])


def _bw_t(v):
    """Brown & Warner (1980, *JFE* 8, 205–258, Appendix A.1; 1985, *JFE* 14, 3–31, eq. 4–5) t with the
    "crude dependence adjustment", with the estimation-error term and trade-to-trade returns.

    ``t = CAAR / √(S² L̄ + EE)``. ``CAAR = (1/N) Σ_i CAR_i`` over the ``N`` firms with a return in the window,
    each firm once whatever days its returns fall on. ``S² = Σ_{t∈E} (N_t/N)(AAR_t − mean_E AAR)² / (T − 1)`` is
    the variance of one session's average AR over all ``N`` firms, from its own estimation-period time series
    (single-session returns; ``N_t/N`` weights for days with ``N_t`` firms, Kolari & Pynnönen 2011, eq. 11), so
    the firms' cross-correlation is in it. ``L̄ = (1/N) Σ_i L_i``, ``L_i`` the sessions firm i's CAR covers (a
    return after a halt spans several: Maynes & Rumsey 1993): the CAAR sums ``Σ_s (n_s/N) ē_s`` over sessions
    with ``n_s`` firms, of variance ``Σ_s (n_s/N)² (N/n_s) S² = L̄ S²``. ``EE = Σ_i σ_i² h_i'(X_i'X_i)⁻¹ h_i``,
    ``h_i = (1/N) Σ_{t∈W} x_it``, is the variance the estimated parameters add (Campbell, Lo & MacKinlay 1997,
    eq. 4.4.13, averaged over firms). p from Student t with T − 1 degrees of freedom. With every firm on every
    window day, ``CAAR = Σ_W AAR_t`` and ``L̄ = L``: the textbook form. The ``N/n_s`` scaling is exact for
    uncorrelated firms; under clustering it is the usual approximation."""
    aar = _aar(v)
    n = v["n"]
    n_t = _day_counts(v)
    caar, sessions = _window_sum(v)
    est = aar[:, v["est_days"]]
    ok_e = np.isfinite(est)
    n_est = ok_e.sum(axis=1)
    mean = np.where(ok_e, est, 0.0).sum(axis=1) / n_est
    wt = n_t[:, v["est_days"]] / n[:, None]
    s2 = np.where(ok_e, wt * (est - mean[:, None]) ** 2, 0.0).sum(axis=1) / (n_est - 1)
    t = caar / np.sqrt(s2 * sessions + _window_estimation_error(v))
    bad = (n < 1) | (n_est < 3) | ~(sessions > 0) | ~(s2 > 0.0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, n_est - 1)), n


def _patell_z(v):
    """Patell (1976, *J. Accounting Research* 14, 246–276), standardised-residual test, eq. (4)–(6) as
    cumulated over a window in Campbell, Lo & MacKinlay (1997, eq. 4.4.22 J₂).

    ``Z = Σ SCAR_i / √(Σ d_i / (d_i − 2))``: each SCAR_i is Student t with d_i degrees of freedom under the
    null, whose variance is d_i / (d_i − 2). p from the standard normal. Assumes no event-induced variance,
    independence across firms and normal returns: on fat-tailed, volatile returns it over-rejects (7.8 % at
    5 % in the 100k placebo run, ``docs/statistics.md``)."""
    m = v["mask"]
    scale = np.sqrt(np.where(m, v["dof"] / (v["dof"] - 2.0), 0.0).sum(axis=1))
    z = np.where(m, v["scar"], 0.0).sum(axis=1) / scale
    bad = v["n"] < 1
    return np.where(bad, np.nan, z), np.where(bad, np.nan, _z_p(z)), v["n"]


def _kp_bmp_t(v):
    """Kolari & Pynnönen (2010, *RFS* 23, 3996–4025), BMP t adjusted for cross-correlation, eq. (13)–(14).

    ``t_KP = t_BMP · √((1 − r̄) / (1 + (N − 1) r̄))`` with ``r̄`` the average pairwise correlation of the firms'
    estimation-period abnormal returns; p from Student t with N − 1 degrees of freedom. Valid under event-day
    clustering (and event-induced variance)."""
    (base, base_p), n = _mean_t(v["scar"], v["mask"]), v["n"]
    r = _cross_correlation(v["ar"][:, :, v["est_days"]], n)
    factor = (1.0 - r) / (1.0 + (n - 1) * r)
    t = base * np.sqrt(factor)
    keep = ~np.isfinite(base)  # an undefined or infinite BMP t is returned as it is
    bad = ~keep & (~np.isfinite(r) | (factor <= 0))
    return (np.where(keep, base, np.where(bad, np.nan, t)),
            np.where(keep, base_p, np.where(bad, np.nan, _t_p(t, n - 1))), n)  # fmt: skip


def _corrado_rank(v):
    """Corrado (1989, *JFE* 23, 385–395) rank test, eq. (4)–(5), with Corrado & Zivney's (1992, *JFQA* 27,
    465–478) standardised ranks for missing returns, the multi-day form of Campbell & Wasley (1993, eq. 8) and
    the ranks of standardised ARs of Kolari & Pynnönen (2011, *J. Empirical Finance* 18, eq. 4–8).

    Each firm's standardised ARs ``SAR_it`` over the estimation and window days are ranked (a return spanning
    ``k`` sessions is standardised by its own forecast-error sd, so it ranks like a one-session return),
    ``U_it = K_it / (1 + M_i) − ½`` (``M_i`` its number of ARs); ``Ū_t`` = mean over the ``N_t`` firms with an
    AR on t, ``S_U² = (1/T) Σ_t (N_t/N) Ū_t²`` over all days with data (KP 2011 eq. 11) the variance of a full
    day's mean; ``Z = (1/N) Σ_i Σ_{t∈W} U_it / (S_U √m̄)``, ``m̄`` the mean number of window ARs per firm: each
    firm counts once, however a halt moves its return (:func:`_time_series`). p from the standard normal. ``S_U`` is a time-series quantity, but the test
    over-rejects when every firm shares day 0 (``docs/statistics.md``), so it is not labelled clustering-robust."""
    sar = v["sar"]
    u = _sar_rank_sort(v)[0].reshape(sar.shape) / (1.0 + np.isfinite(sar).sum(axis=2, keepdims=True)) - 0.5
    z = _time_series(u, v["in_window"])
    return z, np.where(np.isfinite(z), _z_p(z), np.nan), v["n"]


def _sign_cz(v):
    """Corrado & Zivney (1992, *JFQA* 27, 465–478) sign test, eq. (3)–(4), multi-day as in Cowan (1992), on
    standardised ARs (Kolari & Pynnönen 2011).

    ``G_it = sign(SAR_it − median_i)`` (the firm's median SAR over estimation and window days);
    ``Z = (1/N) Σ_i Σ_{t∈W} G_it / (S_G √m̄)``, ``S_G² = (1/T) Σ_t (N_t/N) Ḡ_t²`` over all days with data,
    ``m̄`` the mean number of window ARs per firm (:func:`_time_series`).
    p from the standard normal. Not labelled clustering-robust (it over-rejects when every firm shares day 0)."""
    sar = v["sar"]
    ok = np.isfinite(sar)
    flat = sar.reshape(-1, sar.shape[-1])
    med = _row_median(flat, _sar_rank_sort(v)[1]).reshape(sar.shape[:2] + (1,))
    g = np.where(ok, np.sign(sar - med), np.nan)
    z = _time_series(g, v["in_window"])
    z = np.where(ok.any(axis=(1, 2)), z, np.nan)
    return z, np.where(np.isfinite(z), _z_p(z), np.nan), v["n"]


def _grank_t(v):
    """Kolari & Pynnönen (2011, *J. Empirical Finance* 18, 953–971) generalised rank test, eq. (4)–(12).

    The window is collapsed to one "day": ``GSAR_i = SCAR_i / S_SCAR`` (cross-sectional sd, which absorbs
    event-induced variance), appended to the firm's estimation-period standardised ARs ``SAR_it``. Ranks
    ``U_it = K_it / (T_i + 1) − ½`` over these ``T_i`` values; ``Z = Ū_0 / S_Ū`` with
    ``S_Ū² = (1/T) Σ_t (N_t / N) Ū_t²``; ``t = Z √((T − 2) / (T − 1 − Z²))``, Student t with T − 2 degrees
    of freedom (T = estimation days + 1). Designed for event-day clustering and event-induced variance, but not
    labelled clustering-robust: measured, it over-rejects on a shared day 0 (13.5 % at N = 4) and on random days. On
    fat-tailed, volatile returns it over-rejects (8.6 % at 5 % in the 100k placebo run, ``docs/statistics.md``)."""
    n, m = v["n"], v["mask"]
    _, sd, _ = _mean_sd(v["scar"], m)
    gsar = np.concatenate([v["sar"][:, :, v["est_days"]], (v["scar"] / sd[:, None])[:, :, None]], axis=2)
    u = _rank(gsar) / (np.isfinite(gsar).sum(axis=2, keepdims=True) + 1.0) - 0.5
    ubar, cnt = _day_mean(u)
    has = cnt > 0
    t_days = has.sum(axis=1)
    s = np.sqrt(np.where(has, (cnt / n[:, None]) * ubar**2, 0.0).sum(axis=1) / t_days)
    z = ubar[:, -1] / s
    denom = t_days - 1 - z * z
    t = z * np.sqrt((t_days - 2) / denom)
    bad = (n < 2) | ~np.isfinite(sd) | (sd == 0.0) | (t_days < 4) | (denom <= 0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, t_days - 2)), n


def _wilcoxon_z(v):
    """Wilcoxon (1945, *Biometrics Bulletin* 1, 80–83, sec. on paired comparisons) signed-rank test of the
    CARs, large-sample normal form with the tie correction (zero CARs dropped), as in ``scipy.stats.wilcoxon``.

    ``W⁺ = Σ_{CAR_i>0} rank|CAR_i|``, ``Z = (W⁺ − n(n+1)/4) / √(n(n+1)(2n+1)/24 − Σ(t³ − t)/48)``; p from the
    standard normal. Assumes independent firms."""
    car = v["car"]
    use = v["mask"] & np.isfinite(car) & (car != 0.0)
    a = np.where(use, np.abs(car), np.nan)
    k = use.sum(axis=1)
    ranks = rank_rows(a)
    w_plus = np.where(use & (car > 0), ranks, 0.0).sum(axis=1)
    same = (a[:, :, None] == a[:, None, :]).sum(axis=2)  # tie size of each value (t values contribute t³ − t)
    ties = np.where(use, same.astype(float) ** 2 - 1.0, 0.0).sum(axis=1)
    var = k * (k + 1) * (2 * k + 1) / 24.0 - ties / 48.0
    z = (w_plus - k * (k + 1) / 4.0) / np.sqrt(var)
    bad = (k < 1) | (var <= 0)
    return np.where(bad, np.nan, z), np.where(bad, np.nan, _z_p(z)), v["n"]


def _bhar_skew_t(v):
    """Skewness-adjusted t for the mean BHAR (Lyon, Barber & Tsai 1999, *J. Finance* 54, 165–201, eq. 5;
    after Johnson 1978).

    ``t_sa = √N (S + γ̂ S² / 3 + γ̂ / (6N))`` with ``S = mean(BHAR) / sd(BHAR)`` and
    ``γ̂ = Σ (BHAR_i − mean)³ / (N sd(BHAR)³)`` (sd with N − 1 denominator); p from Student t with N − 1
    degrees of freedom. Assumes independent firms."""
    b = v["bhar"]
    ok = v["mask"] & np.isfinite(b)
    t, mean, sd, n = _skew_adjusted_t(b, ok)
    bad = (n < 2) | (sd == 0.0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, n - 1)), n


def _portfolio_t(v):
    """Calendar-time portfolio t (Jaffe 1974, *J. Business* 47, 410–428; Mandelker 1974, *JFE* 1, 303–335;
    Brown & Warner 1980, sec. 3), with the estimation-error term and trade-to-trade returns.

    The firms of one event share day 0, so their equally weighted portfolio of abnormal returns ``AAR_t`` is
    one calendar-time series. Its residual variance for one full session (all ``N`` firms, single-session
    returns) is ``σ_p² = Σ_{t∈E} (N_t/N) AAR_t² / (T − p)`` (portfolio residuals have mean zero under the model;
    ``p`` model parameters, at least 1; ``N_t/N`` weights, Kolari & Pynnönen 2011, eq. 11). The window's
    portfolio return is ``CAAR = (1/N) Σ_i CAR_i``, each firm once, of variance ``σ_p² L̄`` with ``L̄`` the mean
    number of sessions the firms' CARs cover (as in ``bw_t``); the estimated parameters add ``EE`` (Campbell,
    Lo & MacKinlay 1997, eq. 4.4.13): ``t = CAAR / √(σ_p² L̄ + EE)``; p from Student t with T − p degrees of
    freedom. Valid under event-day clustering: the cross-correlation is in σ_p."""
    n = v["n"]
    aar = _aar(v)
    n_t = _day_counts(v)
    caar, sessions = _window_sum(v)
    est = aar[:, v["est_days"]]
    ok_e = np.isfinite(est)
    dof = ok_e.sum(axis=1) - max(v["n_params"], 1)
    wt = n_t[:, v["est_days"]] / n[:, None]
    s2 = np.where(ok_e, wt * est**2, 0.0).sum(axis=1) / dof
    t = caar / np.sqrt(s2 * sessions + _window_estimation_error(v))
    bad = (n < 1) | (dof < 2) | ~(sessions > 0) | ~(s2 > 0.0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, dof)), n


def _inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of each ``p × p`` matrix of ``a`` ``(..., p, p)`` and where it is singular (condition number above
    1e12, or not finite): those get NaN instead of raising."""
    cond = np.linalg.cond(np.where(np.isfinite(a), a, 0.0)) if a.shape[-1] else np.ones(a.shape[:-2])
    singular = ~(cond < 1e12)
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    inv = np.linalg.inv(np.where(singular[..., None, None], eye, a))
    return np.where(singular[..., None, None], np.nan, inv), singular


def _mvrm_wald(v):
    """Multivariate regression model with event-day dummies (Schipper & Thompson 1983, *J. Accounting Research*
    21, 184–221; Binder 1985, *J. Accounting Research* 23, 370–383): the Wald test of zero CAAR that carries the
    firms' cross-correlation, reported as the signed t (``t² = F(1, T − p)``, the Wald statistic of one linear
    restriction).

    The system, one equation per firm ``i`` over the common estimation days ``E`` and firm i's window returns
    ``W_i``: ``AR_it = x_it'δ_i + Σ_{k∈W_i} γ_ik D_kt + ε_it`` with ``x_it = (k_t, M_t)`` the model's design row
    and ``D_kt = 1`` on window day k only; ``Cov(ε_it, ε_jt) = σ_ij`` (per session), independent over days.
    Regressing the AR instead of the return ``R_it = x_it'θ_i + …`` changes only the design coefficients
    (``δ_i = θ_i − θ̂_i``, the engine's fit subtracted): ``AR = R − Xθ̂`` lies in the span of the equation's own
    regressors, so the dummy coefficients, the residuals, ``Σ̂`` and the test are the same. One dummy per window
    return makes its residual zero, so ``γ̂_ik = AR_ik − x_ik'δ̂_i``, the out-of-sample prediction error, and
    ``δ̂_i`` is the OLS fit on ``E`` alone (Karafiath 1988, *Financial Review* 23: the dummy
    coefficients are the prediction errors).

    Hypothesis ``H₀: Σ_i Σ_{k∈W_i} γ_ik = 0`` (the sum of the firms' CARs, N·CAAR). With the same regressors
    in every equation (one benchmark, one day 0) SUR's GLS equals OLS equation by equation (Zellner 1962,
    *JASA* 57, 348–368) and ``Var(Σ γ̂) = Σ_ij σ_ij c'(Z'Z)⁻¹c`` (Binder 1985), ``Z = [X, D]``, ``c`` the
    dummies' indicator. In general (halts, different benchmarks or days 0) the OLS estimate is kept with its
    exact covariance under the system's disturbances:

        Var(Σ γ̂) = Σ_ij σ_ij (S_ij + b_i'b_j),   b_i = X_i (X_i'X_i)⁻¹ g_i,  g_i = Σ_{k∈W_i} x_ik,
        S_ij = Σ_{k∈W} 1[k∈W_i ∩ W_j] min(s_ik, s_jk)

    (``b_i'b_j σ_ij`` the estimation error, Campbell, Lo & MacKinlay 1997 eq. 4.4.13 for a pair of firms;
    ``s_ik`` the sessions a return spans — two returns ending on the same day share the shorter one's sessions; ``S_ii = L_i``; a session one firm's multi-session return
    shares with another firm's return on an earlier day is not counted: exact without halts).
    ``σ̂_ij = Σ_E e_it e_jt / (T − p)``, ``T`` common estimation days, ``p`` design columns (the SUR
    covariance with linearmodels' ``debiased=True``, homoskedastic: White's estimator would see zero residuals
    on the dummies' days and miss the window variance). ``t = Σ γ̂ / √Var̂``, p from Student t with ``T − p``
    d.f. (exact under normality with identical regressors and every firm on every day: then it is the t of the
    equally weighted portfolio's prediction errors).

    The common sample: estimation days on which every firm of the group has a single-session return (the MVRM
    needs one sample; other days are dropped for every firm). A firm without a return on a window day has no
    dummy for it. Cross-checked against ``linearmodels.system.SUR`` in tests/inference/test_mvrm.py; the closed
    form is used here because a SUR fit costs ~0.5 s per 13-firm event (the placebo runs thousands)."""
    ar, mask, w = v["ar"], v["mask"], v["in_window"]
    x = v["x"]
    p = 0 if x is None else x.shape[-1]
    est, win = ar[:, :, ~w], ar[:, :, w]
    real = mask[:, :, None]
    fin = np.isfinite(est)
    if p:
        fin &= np.isfinite(x[:, :, ~w]).all(axis=-1)
    common = (fin | ~real).all(axis=1) & mask.any(axis=1)[:, None]  # (G, T)
    dof = common.sum(axis=1) - p
    keep = common[:, None, :] & real
    e = np.where(keep, est, 0.0)
    ok = np.isfinite(win) & real
    singular = np.zeros(mask.shape, dtype=bool)
    gamma = np.where(ok, win, 0.0)
    b = np.zeros(e.shape)
    if p:
        xc = np.where(keep[..., None], x[:, :, ~w], 0.0)
        inv, singular = _inverse(np.einsum("gftp,gftq->gfpq", xc, xc))
        delta = np.einsum("gfpq,gfq->gfp", inv, np.einsum("gftp,gft->gfp", xc, e))
        e = e - np.einsum("gftp,gfp->gft", xc, delta)
        xw = np.where(ok[..., None], np.nan_to_num(x[:, :, w]), 0.0)
        gamma = gamma - np.where(ok, np.einsum("gflp,gfp->gfl", xw, delta), 0.0)
        b = np.einsum("gftp,gfpq,gfq->gft", xc, inv, xw.sum(axis=2))
    sigma = np.einsum("git,gjt->gij", e, e) / dof[:, None, None]
    k = np.where(ok, v["span"][:, :, w], 0.0)
    shared = sum((np.minimum(k[:, :, None, d], k[:, None, :, d]) for d in range(k.shape[2])), np.zeros(sigma.shape))
    var = np.nan_to_num(sigma * (shared + np.einsum("git,gjt->gij", b, b))).sum(axis=(1, 2))
    t = gamma.sum(axis=(1, 2)) / np.sqrt(var)
    bad = (v["n"] < 1) | (dof < 2) | ~(var > 0) | (singular & mask).any(axis=1) | ~ok.any(axis=(1, 2))
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, dof)), v["n"]


def _garch_bmp_t(v):
    """GARCH-standardised cross-sectional test (Savickas 2003, *J. Financial Research* 26, 165–178):
    the BMP t of CARs standardised by their GARCH(1,1) conditional variances.

    Each firm's estimation abnormal returns get a GARCH(1,1) (Bollerslev 1986; ``arch``, see
    :mod:`eventstudy.inference.garch`), whose forecasts ``ĥ_i(s)``, ``s`` sessions after its last estimation
    return, give the window CAR's conditional variance ``V_i = Σ_{t∈W_i} Σ_{u=s_t−k_t+1..s_t} ĥ_i(u)`` (each
    return over the ``k_t`` sessions it spans, ``s_t`` = its relative day − the last estimation day) and
    ``SCAR_i^G = CAR_i / √V_i``. The test is BMP's (1991, eq. 9) on these: ``t = mean(SCAR^G) / (S / √N)``,
    ``S`` their cross-sectional sd; p from Student t with N − 1 d.f. Savickas fits the market model and the
    GARCH jointly with an event dummy in the mean (``γ̂_i / √ĥ_i,0``); here, two-step: the engine's OLS ARs,
    then the GARCH on them, forecast over the window (multi-step from the end of the estimation period, which
    the event-day dummy form equals when the window follows the estimation days). The estimation error of the
    mean parameters is left out, as in Savickas. A firm with fewer than 100 single-session estimation returns
    (:data:`~eventstudy.inference.garch.MIN_GARCH_RETURNS`) or whose fit fails keeps its OLS ``SCAR_i``
    (``bmp_t``'s), so ``n_firms`` is bmp_t's. Robust to event-induced variance and volatility clustering, not
    to cross-correlation. One model fit per firm (cached by its estimation ARs): in :data:`EXPENSIVE`."""
    ar, mask, w = v["ar"], v["mask"], v["in_window"]
    rel = np.arange(ar.shape[2], dtype=float) if v.get("rel_days") is None else np.asarray(v["rel_days"], float)
    est, win = ar[:, :, ~w], ar[:, :, w]
    fin = np.isfinite(est)
    last = np.where(fin, rel[~w], -np.inf).max(axis=2)  # (G, F) each firm's last estimation return
    ok = np.isfinite(win) & mask[:, :, None]
    span = np.where(ok, v["span"][:, :, w], 0.0)
    car = np.where(ok, win, 0.0).sum(axis=2)
    scar = np.array(v["scar"], dtype=float, copy=True)
    for gi, fi in zip(*np.nonzero(mask & (fin.sum(axis=2) >= MIN_GARCH_RETURNS) & ok.any(axis=2)), strict=True):
        fit = fit_garch(est[gi, fi])
        if fit is None:
            continue
        end = rel[w] - last[gi, fi]
        var = (cumulative_forecast(fit, end) - cumulative_forecast(fit, end - span[gi, fi]))[ok[gi, fi]].sum()
        if var > 0:
            scar[gi, fi] = car[gi, fi] / np.sqrt(var)
    return (*_mean_t(scar, mask), v["n"])


#: Tests whose cost per group is a model fit per firm (the placebo or a validation run may leave them out).
EXPENSIVE: frozenset[str] = frozenset({"garch_bmp_t"})


_TESTS = {
    "csect_t": _csect_t, "bw_t": _bw_t, "patell_z": _patell_z, "bmp_t": _bmp_t, "kp_bmp_t": _kp_bmp_t,
    "corrado_rank": _corrado_rank, "sign_cz": _sign_cz, "gen_sign_z": _gen_sign_z, "grank_t": _grank_t,
    "wilcoxon_z": _wilcoxon_z, "bhar_skew_t": _bhar_skew_t, "bhar_boot_t": _bhar_boot_t, "portfolio_t": _portfolio_t,
    "placebo_p": _placebo_p, "mvrm_wald": _mvrm_wald, "garch_bmp_t": _garch_bmp_t,
}  # fmt: skip
