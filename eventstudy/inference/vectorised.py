"""The one implementation of every test of :data:`~eventstudy.inference.TESTS`: computed for all event groups of
one window in one pass, on padded ``(groups, firms, days)`` arrays with a firm mask. Studies, the placebo run and
the single-sample functions (``eventstudy.inference.bw_t`` …) all call :func:`battery`.

The resampling tests (``placebo_p``, ``gen_sign_z``'s pseudo-windows, ``bhar_boot_t``) live in
:mod:`eventstudy.inference.resampling`, the system regression ``mvrm_wald`` in :mod:`eventstudy.inference.mvrm`,
the GARCH-standardised ``garch_bmp_t`` in :mod:`eventstudy.inference.garch`; the shared numerics in
:mod:`eventstudy.inference.sample`. Each
``_<test>`` function's docstring gives the formula and its source (``docs/statistics.md`` has the table).
tests/inference/reference.py keeps per-event loops written independently, and tests/inference/test_vectorised.py
checks the two agree on every test. Means and standard deviations are masked sums over the firm axis; ranks and
medians are per firm row (one sort of all rows); nothing depends on which other groups share the call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model.jit import compiled
from .cross_correlation import mean_pair_correlation
from .garch import _garch_bmp_t
from .mvrm import _mvrm_wald
from .ranks import rank_day_totals
from .resampling import _bhar_boot_t, _gen_sign_z, _placebo_p
from .sample import (
    _cached,
    _day_mean,
    _days,
    _estimation_cached,
    _estimation_sar_ranks,
    _mean_sd,
    _mean_t,
    _sar_window_totals,
    _skew_adjusted_t,
    _t_p,
    _z_p,
    rank_rows,
)


def _time_series(sums: np.ndarray, cnt: np.ndarray, n: np.ndarray, window: slice) -> np.ndarray:
    """``(1/N) Σ_i Σ_{t∈W} S_it / (S √m̄)`` from the day totals of the firms' scores ``S_it``: per group and day
    their sum ``Σ_i S_it`` and number ``N_t`` ``(G, D)`` (``window`` the window's days) and ``N`` the firms with a
    score ``(G,)``. Each firm's window scores are summed and averaged over the ``N`` firms, so that a firm counts
    once however its returns fall on the days (a halted firm's one late return is one score of one firm, not a
    day of its own): ``(1/N) Σ_{t∈W} Σ_i S_it``. ``m̄ = (1/N) Σ_i m_i``, ``m_i`` firm i's number of window
    scores. ``S² = (1/T) Σ_t (N_t/N) S̄_t²`` over the ``T`` days with data (estimation and window) is the
    variance of one full day's mean score ``S̄_t`` (``N_t`` firms on day t; Kolari & Pynnönen 2011, eq. 8 and 11;
    Campbell & Wasley 1993, eq. 8), the cross-correlation of the firms in it; the window sum
    ``Σ_t (N_t/N) S̄_t`` then has variance ``Σ_t (N_t/N)² (N/N_t) S² = m̄ S²``. With every firm on every window
    day this is the classic ``Σ_W S̄_t / (S √L)``."""
    has = cnt > 0
    mean = np.where(has, sums, 0.0) / np.maximum(cnt, 1)
    n_has = has.sum(axis=1)
    s = np.sqrt(((cnt / n[:, None]) * mean**2).sum(axis=1) / n_has)
    m_bar = cnt[:, window].sum(axis=1) / n
    z = sums[:, window].sum(axis=1) / n / (np.sqrt(m_bar) * s)
    return np.where((m_bar == 0) | (n_has < 3) | (s == 0.0), np.nan, z)


def _estimation_aar(v: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per group and estimation day: the AAR and ``N_t`` (``(G, T)`` each), kept across windows (``shared``)."""
    return _estimation_cached(v, "estimation_aar", lambda: _day_mean(_days(v["ar"], v["est_days"])))


@compiled
def _firm_window_sums(ar, span, x, xtx_inv, sigma2, mask, cols, caar, sessions, error):
    g_count, f_count = mask.shape
    p = x.shape[3]
    h = np.zeros(p)
    for g in range(g_count):
        total, covered, variance, n = 0.0, 0.0, 0.0, 0
        for f in range(f_count):
            if not mask[g, f]:
                continue
            n += 1
            h[:] = 0.0
            for c in cols:
                a = ar[g, f, c]
                if np.isfinite(a):
                    total += a
                    covered += span[g, f, c]
                    for q in range(p):
                        xq = x[g, f, c, q]
                        h[q] += xq if xq == xq else 0.0  # a missing design value adds nothing
            quad = 0.0
            for q in range(p):
                for k in range(p):
                    quad += h[q] * xtx_inv[g, f, q, k] * h[k]
            if p:
                variance += sigma2[g, f] * quad
        caar[g] = total / n if n else np.nan
        sessions[g] = covered / n if n else np.nan
        error[g] = variance / n / n if n else 0.0


def _window_sums(v: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group: ``CAAR = (1/N) Σ_i Σ_{t∈W} AR_it`` (each firm's window CAR, averaged over the ``N`` firms with a
    return in the window), ``L̄ = (1/N) Σ_i Σ_{t∈W} k_it``, the mean number of sessions the firms' CARs cover
    (a return after a halt spans ``k_it`` sessions), and ``EE = (1/N²) Σ_i σ_i² g_i'(X_i'X_i)⁻¹ g_i`` with
    ``g_i = Σ_{t∈W} x_it`` the design sum of firm i's CAR (over the window days it has an AR): the variance the
    firms' estimation errors add to the CAAR (Campbell, Lo & MacKinlay 1997, eq. 4.4.13, averaged over firms);
    zero without a design (a sample built by hand). One compiled pass over the firms' window days."""

    def make():
        mask, x = v["mask"], v["x"]
        g, f = mask.shape
        if x is None or x.shape[-1] == 0:
            x, xtx_inv, sigma2 = np.zeros((g, f, 0, 0)), np.zeros((g, f, 0, 0)), np.zeros((g, f))
        else:
            xtx_inv, sigma2 = v["xtx_inv"], v["sigma2"]
        caar, sessions, error = np.empty(g), np.empty(g), np.empty(g)
        cols = np.flatnonzero(v["in_window"])
        _firm_window_sums(v["ar"], v["span"], x, xtx_inv, sigma2, mask, cols, caar, sessions, error)
        return caar, sessions, error

    return _cached(v, "window_sums", make)


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
    ``shared``: a dict kept between calls on the same groups of firm-events and estimation days (other windows,
    the placebo's injected day-0 returns): what depends on the estimation days only — the out-of-sample
    pseudo-CARs of a run length, the firms' cross-correlation, the system fit of ``mvrm_wald``, the estimation-day
    AARs — is computed once and reused.
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
    n = v["n"]
    caar, sessions, error = _window_sums(v)
    est, n_t = _estimation_aar(v)
    ok_e = np.isfinite(est)
    n_est = ok_e.sum(axis=1)
    mean = np.where(ok_e, est, 0.0).sum(axis=1) / n_est
    wt = n_t / n[:, None]
    s2 = np.where(ok_e, wt * (est - mean[:, None]) ** 2, 0.0).sum(axis=1) / (n_est - 1)
    t = caar / np.sqrt(s2 * sessions + error)
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
    r = _estimation_cached(v, "cross_correlation", lambda: mean_pair_correlation(_days(v["ar"], v["est_days"]), n))
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
    rank_sums, _, cnt, firms = _sar_window_totals(v)
    z = _time_series(rank_sums, cnt, firms, slice(int(v["est_days"].sum()), None))
    return z, np.where(np.isfinite(z), _z_p(z), np.nan), v["n"]


def _sign_cz(v):
    """Corrado & Zivney (1992, *JFQA* 27, 465–478) sign test, eq. (3)–(4), multi-day as in Cowan (1992), on
    standardised ARs (Kolari & Pynnönen 2011).

    ``G_it = sign(SAR_it − median_i)`` (the firm's median SAR over estimation and window days);
    ``Z = (1/N) Σ_i Σ_{t∈W} G_it / (S_G √m̄)``, ``S_G² = (1/T) Σ_t (N_t/N) Ḡ_t²`` over all days with data,
    ``m̄`` the mean number of window ARs per firm (:func:`_time_series`).
    p from the standard normal. Not labelled clustering-robust (it over-rejects when every firm shares day 0)."""
    _, sign_sums, cnt, firms = _sar_window_totals(v)
    z = _time_series(sign_sums, cnt, firms, slice(int(v["est_days"].sum()), None))
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
    gsar = (v["scar"] / sd[:, None]).reshape(-1, 1)
    sums, _, cnt, _ = rank_day_totals(_estimation_sar_ranks(v), gsar, m.shape[1])  # estimation days, then GSAR
    ubar = sums / cnt
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
    caar, sessions, error = _window_sums(v)
    est, n_t = _estimation_aar(v)
    ok_e = np.isfinite(est)
    dof = ok_e.sum(axis=1) - max(v["n_params"], 1)
    wt = n_t / n[:, None]
    s2 = np.where(ok_e, wt * est**2, 0.0).sum(axis=1) / dof
    t = caar / np.sqrt(s2 * sessions + error)
    bad = (n < 1) | (dof < 2) | ~(sessions > 0) | ~(s2 > 0.0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, dof)), n


#: Tests whose cost per group is a model fit per firm (the placebo or a validation run may leave them out).
EXPENSIVE: frozenset[str] = frozenset({"garch_bmp_t"})


_TESTS = {
    "csect_t": _csect_t, "bw_t": _bw_t, "patell_z": _patell_z, "bmp_t": _bmp_t, "kp_bmp_t": _kp_bmp_t,
    "corrado_rank": _corrado_rank, "sign_cz": _sign_cz, "gen_sign_z": _gen_sign_z, "grank_t": _grank_t,
    "wilcoxon_z": _wilcoxon_z, "bhar_skew_t": _bhar_skew_t, "bhar_boot_t": _bhar_boot_t, "portfolio_t": _portfolio_t,
    "placebo_p": _placebo_p, "mvrm_wald": _mvrm_wald, "garch_bmp_t": _garch_bmp_t,
}  # fmt: skip
