"""The battery for many events at once: every test of :data:`~eventstudy.inference.TESTS` computed for all event
groups of one window in one pass, on padded ``(groups, firms, days)`` arrays with a firm mask.

Same formulas, same undefined cases and same placebo seeds as the per-event functions in
:mod:`~eventstudy.inference.parametric`, :mod:`~eventstudy.inference.nonparametric` and
:mod:`~eventstudy.inference.resampling` (which stay the reference: tests/inference/test_vectorised.py compares
the two on every test). Means and standard deviations are masked sums over the firm axis; ranks and medians are
per firm row (one sort of all rows); the placebo draws of each group come from the group's own seed, so a result
does not depend on which other groups share the call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

from .sample import _row_median, rank_rows, rank_sort_rows


def _t_p(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return 2.0 * special.stdtr(df, -np.abs(t))


def _z_p(z: np.ndarray) -> np.ndarray:
    return 2.0 * special.ndtr(-np.abs(z))


def _mean_sd(x: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group (last axis = firms) mean, sd (N − 1 denominator) and count of ``x`` where ``m``."""
    n = m.sum(axis=-1)
    mean = np.where(m, x, 0.0).sum(axis=-1) / n
    var = np.where(m, (x - mean[..., None]) ** 2, 0.0).sum(axis=-1) / (n - 1)
    return mean, np.sqrt(var), n


def _mean_t(x: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, sd, n = _mean_sd(x, m)
    t = mean / (sd / np.sqrt(n))
    bad = (n < 2) | (sd == 0.0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, n - 1))


def _day_mean(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over firms (axis 1) of each group's days, ignoring NaN; and the count. ``(G, F, D)`` → ``(G, D)``."""
    ok = np.isfinite(x)
    n = ok.sum(axis=1)
    return np.where(ok, x, 0.0).sum(axis=1) / n, n


def _time_series(scores: np.ndarray, in_window: np.ndarray) -> np.ndarray:
    mean, _ = _day_mean(scores)
    has = np.isfinite(mean)
    win = in_window[None, :] & has
    n_win, n_has = win.sum(axis=1), has.sum(axis=1)
    s = np.sqrt((np.where(has, mean, 0.0) ** 2).sum(axis=1) / n_has)
    z = np.where(win, mean, 0.0).sum(axis=1) / (np.sqrt(n_win) * s)
    return np.where((n_win == 0) | (n_has < 3) | (s == 0.0), np.nan, z)


def _cross_correlation(est: np.ndarray, n: np.ndarray) -> np.ndarray:
    """:func:`~eventstudy.inference.parametric.mean_cross_correlation` of each group's rows."""
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


def _cached(v: dict, key: str, make):
    """What two tests share (the daily AAR; the ranks and sorted rows of the ARs), computed once per call."""
    if key not in v:
        v[key] = make()
    return v[key]


def _aar(v: dict) -> np.ndarray:
    return _cached(v, "aar", lambda: _day_mean(v["ar"])[0])


def _ar_rank_sort(v: dict) -> tuple[np.ndarray, np.ndarray]:
    ar = v["ar"]
    return _cached(v, "ar_rank_sort", lambda: rank_sort_rows(ar.reshape(-1, ar.shape[-1])))


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
    placebo_draws: int,
    seeds: Sequence[object],
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every test in ``names`` for ``G`` groups: per-firm inputs ``(G, F)``, daily ``(G, F, D)`` (estimation days
    then window days, ``in_window`` ``(D,)`` marks the latter); padded firms are ``~mask`` (NaN in the arrays).
    Returns ``name → (statistic, p_value, n_firms)``, each ``(G,)``; undefined tests are NaN."""
    with np.errstate(invalid="ignore", divide="ignore"):
        v = dict(car=car, scar=car / car_se, dof=dof, bhar=bhar, ar=ar, sar=sar, span=span, mask=mask,
                 n=mask.sum(axis=1), in_window=in_window, est_days=~in_window, n_params=n_params, length=length,
                 placebo_draws=placebo_draws, seeds=seeds)  # fmt: skip
        return {name: _TESTS[name](v) for name in names}


# Each test reads the ``battery`` locals (``v``) and returns (statistic, p_value, n_firms).


def _csect_t(v):
    return (*_mean_t(v["car"], v["mask"]), v["n"])


def _bmp_t(v):
    return (*_mean_t(v["scar"], v["mask"]), v["n"])


def _bw_t(v):
    aar = _aar(v)
    est, win = aar[:, v["est_days"]], aar[:, v["in_window"]]
    ok_e, ok_w = np.isfinite(est), np.isfinite(win)
    _, s, n_est = _mean_sd(est, ok_e)
    n_win = ok_w.sum(axis=1)
    t = np.where(ok_w, win, 0.0).sum(axis=1) / (np.sqrt(n_win) * s)
    bad = (v["n"] < 1) | (n_est < 3) | (n_win == 0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, n_est - 1)), v["n"]


def _patell_z(v):
    m = v["mask"]
    scale = np.sqrt(np.where(m, v["dof"] / (v["dof"] - 2.0), 0.0).sum(axis=1))
    z = np.where(m, v["scar"], 0.0).sum(axis=1) / scale
    bad = v["n"] < 1
    return np.where(bad, np.nan, z), np.where(bad, np.nan, _z_p(z)), v["n"]


def _kp_bmp_t(v):
    base, base_p, n = *_mean_t(v["scar"], v["mask"]), v["n"]
    r = _cross_correlation(v["ar"][:, :, v["est_days"]], n)
    factor = (1.0 - r) / (1.0 + (n - 1) * r)
    t = base * np.sqrt(factor)
    keep = ~np.isfinite(base)  # an undefined or infinite BMP t is returned as it is
    bad = ~keep & (~np.isfinite(r) | (factor <= 0))
    return (np.where(keep, base, np.where(bad, np.nan, t)),
            np.where(keep, base_p, np.where(bad, np.nan, _t_p(t, n - 1))), n)  # fmt: skip


def _corrado_rank(v):
    ar = v["ar"]
    u = _ar_rank_sort(v)[0].reshape(ar.shape) / (1.0 + np.isfinite(ar).sum(axis=2, keepdims=True)) - 0.5
    z = _time_series(u, v["in_window"])
    return z, np.where(np.isfinite(z), _z_p(z), np.nan), v["n"]


def _sign_cz(v):
    ar = v["ar"]
    ok = np.isfinite(ar)
    flat = ar.reshape(-1, ar.shape[-1])
    med = _row_median(flat, _ar_rank_sort(v)[1]).reshape(ar.shape[:2] + (1,))
    g = np.where(ok, np.sign(ar - med), np.nan)
    z = _time_series(g, v["in_window"])
    z = np.where(ok.any(axis=(1, 2)), z, np.nan)
    return z, np.where(np.isfinite(z), _z_p(z), np.nan), v["n"]


def _gen_sign_z(v):
    n, est = v["n"], v["ar"][:, :, v["est_days"]]
    ok = np.isfinite(est)
    frac = (np.where(ok, est, 0.0) > 0).sum(axis=2) / ok.sum(axis=2)
    fin = np.isfinite(frac)
    p = np.where(fin, frac, 0.0).sum(axis=1) / fin.sum(axis=1)
    w = (v["mask"] & (v["car"] > 0)).sum(axis=1)
    z = (w - n * p) / np.sqrt(n * p * (1.0 - p))
    bad = (n < 1) | (fin.sum(axis=1) == 0) | ~(p > 0.0) | ~(p < 1.0)
    return np.where(bad, np.nan, z), np.where(bad, np.nan, _z_p(z)), n


def _grank_t(v):
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
    b = v["bhar"]
    ok = v["mask"] & np.isfinite(b)
    mean, sd, n = _mean_sd(b, ok)
    s = mean / sd
    gamma = np.where(ok, (b - mean[:, None]) ** 3, 0.0).sum(axis=1) / (n * sd**3)
    t = np.sqrt(n) * (s + gamma * s * s / 3.0 + gamma / (6.0 * n))
    bad = (n < 2) | (sd == 0.0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, n - 1)), n


def _portfolio_t(v):
    ar, n = v["ar"], v["n"]
    aar = _aar(v)
    kbar, _ = _day_mean(np.where(np.isfinite(ar), v["span"], np.nan))
    est = aar[:, v["est_days"]]
    ok_e = np.isfinite(est)
    win = v["in_window"][None, :] & np.isfinite(aar)
    dof = ok_e.sum(axis=1) - max(v["n_params"], 1)
    sigma = np.sqrt((np.where(ok_e, est, 0.0) ** 2).sum(axis=1) / dof)
    t = np.where(win, aar, 0.0).sum(axis=1) / (sigma * np.sqrt(np.where(win, kbar, 0.0).sum(axis=1)))
    bad = (n < 1) | (dof < 2) | ~win.any(axis=1)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, dof)), n


def _placebo_p(v):
    n, length, draws = v["n"], v["length"], v["placebo_draws"]
    est = v["ar"][:, :, v["est_days"]]
    g, f, t = est.shape
    if t < length + 1 or draws < 1:
        return np.full(g, np.nan), np.full(g, np.nan), n
    ok = np.isfinite(est)
    cs = np.zeros((g, f, t + 1))
    np.cumsum(np.where(ok, est, 0.0), axis=2, out=cs[:, :, 1:])
    cn = np.zeros((g, f, t + 1), dtype=np.int64)
    np.cumsum(ok, axis=2, out=cn[:, :, 1:])
    starts = np.arange(t - length + 1)
    pcar = cs[:, :, length:] - cs[:, :, : t - length + 1]  # exactly 0 for a firm without data in the window
    has = (cn[:, :, length:] - cn[:, :, : t - length + 1]) > 0
    caar_by_start = pcar.sum(axis=1) / has.sum(axis=1)  # (G, starts)
    # How often each start is drawn: the group's own seeded draws (as in placebo_p), counted per start.
    weight = np.stack([np.bincount(np.random.default_rng(s).integers(0, len(starts), size=draws),
                                   minlength=len(starts)) for s in v["seeds"]])  # fmt: skip
    caar = np.where(v["mask"], v["car"], 0.0).sum(axis=1) / n
    fin = np.isfinite(caar_by_start)
    n_fin = np.where(fin, weight, 0).sum(axis=1)
    hits = np.where(fin & (np.abs(caar_by_start) >= np.abs(caar)[:, None]), weight, 0).sum(axis=1)
    p = (1.0 + hits) / (n_fin + 1.0)
    bad = (n < 1) | (n_fin == 0)
    return np.where(bad, np.nan, caar), np.where(bad, np.nan, p), n


_TESTS = {
    "csect_t": _csect_t, "bw_t": _bw_t, "patell_z": _patell_z, "bmp_t": _bmp_t, "kp_bmp_t": _kp_bmp_t,
    "corrado_rank": _corrado_rank, "sign_cz": _sign_cz, "gen_sign_z": _gen_sign_z, "grank_t": _grank_t,
    "wilcoxon_z": _wilcoxon_z, "bhar_skew_t": _bhar_skew_t, "portfolio_t": _portfolio_t, "placebo_p": _placebo_p,
}  # fmt: skip
