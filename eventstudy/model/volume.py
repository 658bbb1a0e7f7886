"""Abnormal trading volume: the log-volume market model, for all firm-events at once as ``(N, W)`` arrays.

**Transform.** A session's volume ``V_it`` (shares traded) enters as ``v_it = log(1 + V_it)``. Raw volume is
strongly right-skewed; its logarithm is close to normal, which is what makes parametric tests of mean abnormal
volume well behaved (Ajinkya & Jain 1989, *J. Accounting & Economics* 11, 331–359; Campbell & Wasley 1996,
*Review of Quantitative Finance and Accounting* 6, 309–326, who log turnover plus a small constant). The ``1 +``
plays the role of their constant (``log(100·turnover + 0.000255)``): it keeps a traded session with no shares
finite. Share volume, not turnover, is what the price data carry (no shares-outstanding series), so the transform
is of volume; a firm's constant share count only shifts its intercept. A **suspended** session (``traded`` 0) or
a session without a row has *no* volume observation (NaN), never ``log(1 + 0)``; so has a history whose volume is
unknown (close-only data).

**Model.** Over the estimation window, on the sessions where the firm traded,

    v_it = a_i + b_i v_mt + e_it,      Var(e_it) = σ_i²                (Campbell & Wasley 1996, eq. 2)

fitted by OLS, where ``v_mt`` is the market's log volume (the benchmark's own ``log(1 + V)`` when it carries
volume, else the mean log volume of a universe). Where no market volume exists the **mean-adjusted** model
``v_it = a_i + e_it`` is used (``use_market`` False; the study says so in its note). Abnormal log volume on an
event-window session is ``AV_it = v_it − â_i − b̂_i v_mt``; over a set ``S`` of the firm's traded sessions its
cumulative abnormal volume is ``CAV_i = Σ_{t∈S} AV_it`` with the forecast-error variance

    Var(CAV_i) = σ̂_i² (|S| + g_S' (X_i'X_i)⁻¹ g_S),      g_S = Σ_{t∈S} x_t,  x_t = (1, v_mt)

(the variance of a sum of out-of-sample OLS prediction errors; MacKinlay 1997, eq. 8 and 16, for returns),
``t_i = CAV_i / √Var(CAV_i)``, compared with Student t on ``n_est − p`` degrees of freedom. Log volume is
autocorrelated, so for windows of several sessions the per-firm ``t_i`` is only a guide; the aggregate tests of
:mod:`eventstudy.inference.volume` use the cross-section of firms instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.histories import StackedRows
from ..data.volume import log_volume  # noqa: F401  (re-exported: the transform belongs to the model's definition)
from .abnormal import t_statistics
from .jit import compiled


@compiled
def _log_volume_days(bounds, stamps, volume, traded, axis, codes, day0, rel_days, out):  # pragma: no cover
    """``out[i, j]``: :func:`log_volume` of the row of ticker ``codes[i]`` (its rows ``bounds[c]:bounds[c + 1]``,
    dates ``stamps`` ascending) dated session ``day0[i] + rel_days[j]`` of the axis (``axis``: the sessions'
    stamps; ``rel_days`` ascending); NaN without such a row, off the axis or for ``codes[i]`` −1. Of two rows of
    one date, the later one's. Each firm-event's rows are walked once from its first day (a binary search)."""
    n_s, w = len(axis), len(rel_days)
    for i in range(len(codes)):
        for j in range(w):
            out[i, j] = np.nan
        c = codes[i]
        if c < 0:
            continue
        lo, hi = bounds[c], bounds[c + 1]
        j = 0
        while j < w and day0[i] + rel_days[j] < 0:
            j += 1
        if j == w or day0[i] + rel_days[j] >= n_s:
            continue
        first = axis[day0[i] + rel_days[j]]
        while lo < hi:  # the first row dated on or after the first day on the axis
            mid = (lo + hi) // 2
            if stamps[mid] < first:
                lo = mid + 1
            else:
                hi = mid
        r, end = lo, bounds[c + 1]
        while j < w and r < end:
            p = day0[i] + rel_days[j]
            if p >= n_s:
                break
            day = axis[p]
            found = -1
            while r < end and stamps[r] <= day:
                if stamps[r] == day:
                    found = r
                r += 1
            if found >= 0:
                v = volume[found]
                if traded[found] and np.isfinite(v) and v >= 0.0:
                    out[i, j] = np.log1p(v)
            j += 1


def log_volume_days(
    rows: StackedRows, sessions: pd.DatetimeIndex, codes: np.ndarray, day0: np.ndarray, rel_days: np.ndarray
) -> np.ndarray:
    """``(N, W)``: each firm-event's ``log(1 + V)`` (:func:`log_volume`: NaN on a suspended session, a session
    without a row and where the volume is unknown) on its relative days ``rel_days`` (ascending) from its day 0 at
    ``day0`` on ``sessions``, read from the stacked rows of ticker ``codes[i]`` (−1: none, NaN throughout); NaN off
    the axis. Only the firm-events' own days are read: no sessions × tickers matrix."""
    out = np.empty((len(codes), len(rel_days)))
    if not out.size:
        return out
    _log_volume_days(
        np.asarray(rows.bounds, dtype=np.int64), rows.stamps, np.asarray(rows.volume, dtype=float),
        np.asarray(rows.traded, dtype=bool), rows.stamp(sessions), np.asarray(codes, dtype=np.int64),
        np.asarray(day0, dtype=np.int64), np.asarray(rel_days, dtype=np.int64), out,
    )  # fmt: skip
    return out


@dataclass(frozen=True)
class AbnormalVolume:
    """The fitted log-volume model of N firm-events over relative days ``rel_days``; arrays are ``(N, W)`` unless
    noted. ``market`` is the regressor ``v_mt`` (0 for the mean-adjusted rows and where there is none: the second
    column of :attr:`design`, ``(N, W, 2)``), ``xtx_inv`` ``(N, 2, 2)``
    (a pseudo-inverse: exact for both models), ``sigma2``, ``n_est``, ``dof``, ``use_market`` and ``market_mean``
    (the mean ``v̄_m`` of ``v_mt`` over the estimation sessions; 0 for the mean-adjusted rows) ``(N,)``."""

    rel_days: np.ndarray
    volume: np.ndarray
    market: np.ndarray
    estimation: np.ndarray
    params: np.ndarray
    xtx_inv: np.ndarray
    sigma2: np.ndarray
    n_est: np.ndarray
    dof: np.ndarray
    use_market: np.ndarray
    av: np.ndarray
    market_mean: np.ndarray

    def days(self, window: tuple[int, int]) -> np.ndarray:
        """Boolean ``(W,)`` mask of relative days inside ``window`` (inclusive)."""
        return (self.rel_days >= window[0]) & (self.rel_days <= window[1])

    @property
    def design(self) -> np.ndarray:
        """``(N, W, 2)``: each session's regressors ``x_t = (1, v_mt)``."""
        x = np.empty((*self.market.shape, 2))
        x[..., 0], x[..., 1] = 1.0, self.market
        return x

    @property
    def sav(self) -> np.ndarray:
        """Standardised abnormal log volume ``AV_it / (σ̂_i √(1 + x_t'(X'X)⁻¹x_t))``, NaN where no AV."""
        return self.cumulate_daily()[1]

    def cumulate_daily(self) -> tuple[np.ndarray, np.ndarray]:
        """``(AV, SAV)``: each session's abnormal log volume and its standardised value."""
        design = self.design
        q = np.einsum("nwi,nij,nwj->nw", design, self.xtx_inv, design)
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.av, self.av / np.sqrt(self.sigma2[:, None] * (1.0 + q))

    def cumulate(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        """``cav``, ``cav_se``, ``cav_t``, ``cav_p`` (two-sided, Student t on ``dof``) and ``n_days`` over the
        sessions in ``mask`` (``(W,)``) on which the firm traded (module docstring): :meth:`cumulate_windows` of
        one window."""
        return {k: v[0] for k, v in self.cumulate_windows(np.asarray(mask, dtype=bool)[None, :]).items()}

    def cumulate_windows(self, masks: np.ndarray) -> dict[str, np.ndarray]:
        """:meth:`cumulate` over each row of ``masks`` (``(K, W)``: K windows' sessions) at once: ``(K, N)``
        arrays. The sums over a window's sessions ``S`` (``|S|``, ``CAV``, ``g_S``) are products with the windows'
        0/1 day matrix; ``g_S'(X'X)⁻¹g_S = |S|²/n + (Σ_S v_mt − |S| v̄_m)² / Σ_est (v_mt − v̄_m)²`` for the two
        regressors ``(1, v_mt)`` (the same quadratic form, centred: no cancellation of its large terms)."""
        masks = np.asarray(masks, dtype=bool).reshape(-1, len(self.rel_days))
        days = np.flatnonzero(masks.any(axis=0))
        # Only the columns from the first to the last day some window uses enter the sums.
        at = slice(int(days[0]), int(days[-1]) + 1) if len(days) else slice(0, 0)
        av = self.av[:, at]
        traded = np.isfinite(av)
        pick = masks[:, at].T.astype(float)  # (W', K): 1 where the window holds the session
        g0 = traded.astype(float) @ pick  # g_S = (Σ 1, Σ v_mt) over the sessions used
        n_days = np.rint(g0).astype(np.int64)  # (N, K)
        cav = np.where(traded, av, 0.0) @ pick
        g1 = np.where(traded, self.market[:, at], 0.0) @ pick
        with np.errstate(invalid="ignore", divide="ignore"):
            quad = (
                g0 * g0 / self.n_est[:, None] + self.xtx_inv[:, 1, 1, None] * (g1 - self.market_mean[:, None] * g0) ** 2
            )
        var = self.sigma2[:, None] * (n_days + quad)
        cavs, se, t, p = t_statistics(cav, var, self.dof[:, None], n_days == 0)
        out = {"cav": cavs, "cav_se": se, "cav_t": t, "cav_p": p, "n_days": n_days}
        return {k: np.ascontiguousarray(v.T) for k, v in out.items()}


def abnormal_volume(
    volume: np.ndarray,
    market: np.ndarray,
    rel_days: np.ndarray,
    estimation_window: tuple[int, int],
    use_market: np.ndarray,
    exclude: np.ndarray | None = None,
) -> AbnormalVolume:
    """Fit the log-volume model (module docstring) for every firm-event and compute abnormal log volume on every
    relative day. ``volume`` and ``market``: ``(N, W)`` log volumes (:func:`log_volume`; NaN: no observation);
    ``use_market`` ``(N,)``: the market model (True) or the mean-adjusted one; ``exclude``: ``(N, W)`` estimation
    sessions to leave out (the firm's other events). A firm-event with fewer than ``p + 2`` estimation sessions,
    or whose log volume is the same on all of them, gets NaN throughout. The fit is the closed-form OLS of one
    regressor in deviations from the estimation sample's means (well conditioned however large log volumes are),
    in one compiled pass per firm-event (:func:`_fit_rows`): the arrays it returns are all it allocates (a
    50,000-firm-event study's model took ~0.5 GB of ``(N, W)`` temporaries beside them as numpy steps)."""
    volume = np.asarray(volume, dtype=float)
    n, w = volume.shape
    use_market = np.asarray(use_market, dtype=bool)
    in_window = np.flatnonzero((rel_days >= estimation_window[0]) & (rel_days <= estimation_window[1]))
    lo, hi = (int(in_window[0]), int(in_window[-1]) + 1) if len(in_window) else (0, 0)  # (rel_days ascend)
    m0, av = np.empty((n, w)), np.empty((n, w))
    estimation = np.empty((n, w), dtype=bool)
    params, xtx_inv = np.empty((n, 2)), np.empty((n, 2, 2))
    sigma2, market_mean = np.empty(n), np.empty(n)
    n_est, dof = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    skip = np.zeros((0, 0), dtype=bool) if exclude is None else np.asarray(exclude, dtype=bool)
    _fit_rows(volume, np.asarray(market, dtype=float), use_market, skip, lo, hi,
              m0, estimation, av, params, xtx_inv, sigma2, n_est, dof, market_mean)  # fmt: skip
    return AbnormalVolume(
        rel_days, volume, m0, estimation, params, xtx_inv, sigma2, n_est, dof, use_market, av, market_mean
    )


@compiled
def _fit_rows(volume, market, use_market, exclude, lo, hi,
              m0, estimation, av, params, xtx_inv, sigma2, n_est, dof, market_mean):  # fmt: skip  # pragma: no cover
    """:func:`abnormal_volume` row by row, in passes over the row's columns (no ``(N, W)`` temporary): the regressor
    ``v_mt`` (0 for the mean-adjusted rows and where there is none) and the estimation sample (columns ``lo .. hi − 1``,
    both volumes observed, not excluded); the sample's means; ``Sxx = Σ (v_mt − v̄_m)²`` and ``Sxy``; the residuals'
    sum of squares; the abnormal log volume on every column. Each sum runs over the days in order."""
    n, w = volume.shape
    excluding = exclude.shape[0] > 0
    for i in range(n):
        with_market = use_market[i]
        count, sum_v, sum_m = 0, 0.0, 0.0
        top, bottom = -np.inf, np.inf
        for t in range(w):
            m = market[i, t] if with_market else 0.0
            has = np.isfinite(m)
            m0[i, t] = m if has else 0.0
            inside = has and np.isfinite(volume[i, t]) and lo <= t < hi and not (excluding and exclude[i, t])
            estimation[i, t] = inside
            if inside:
                v = volume[i, t]
                count += 1
                sum_v += v
                sum_m += m0[i, t]
                top, bottom = max(top, v), min(bottom, v)
        v_bar = sum_v / count if count else np.nan
        m_bar = sum_m / count if count else np.nan
        if count:  # each mean refined by the mean of the deviations from it (a running sum of ~15s drifts by ulps)
            dv_sum, dm_sum = 0.0, 0.0
            for t in range(lo, hi):
                if estimation[i, t]:
                    dv_sum += volume[i, t] - v_bar
                    dm_sum += m0[i, t] - m_bar
            v_bar += dv_sum / count
            m_bar += dm_sum / count
        sxx, sxy = 0.0, 0.0  # in deviations from the sample's means (no cancellation of large log volumes)
        for t in range(lo, hi):
            if estimation[i, t]:
                dm = m0[i, t] - m_bar
                sxx += dm * dm
                sxy += dm * (volume[i, t] - v_bar)
        d = count - (2 if with_market else 1)
        fit = d >= 2 and top - bottom > 0  # a volume that never changes has no model (not a zero variance)
        sloped = fit and with_market and sxx > 0  # (a market volume constant on the sample: the mean model)
        slope = sxy / sxx if sloped else 0.0
        inv_sxx = 1.0 / sxx if sloped else 0.0
        mean_m = m_bar if with_market else 0.0
        squares = 0.0  # the residuals (v_t − v̄) − b̂ (v_mt − v̄_m), squared
        for t in range(lo, hi):
            if estimation[i, t]:
                e = (volume[i, t] - v_bar) - (m0[i, t] - m_bar) * slope
                squares += e * e
        # AV = (v_t − v̄) − b̂ (v_mt − v̄_m): the fitted value â + b̂ v_mt taken off in deviations from the means; NaN
        # where either volume is missing or the firm-event has no model
        for t in range(w):
            m = market[i, t] if with_market else 0.0
            if fit and np.isfinite(volume[i, t]) and np.isfinite(m):
                av[i, t] = (volume[i, t] - v_bar) - (m0[i, t] - mean_m) * slope
            else:
                av[i, t] = np.nan
        n_est[i], dof[i] = count, d
        # (X'X)⁻¹ for x_t = (1, v_mt): [[1/n + v̄_m²/Sxx, −v̄_m/Sxx], [−v̄_m/Sxx, 1/Sxx]] (the pseudo-inverse where
        # Sxx is 0 or there is no slope: [[1/n, 0], [0, 0]], the same fitted values and forecast variances)
        if fit:
            xtx_inv[i, 0, 0] = 1.0 / count + mean_m * mean_m * inv_sxx
            xtx_inv[i, 0, 1] = xtx_inv[i, 1, 0] = -mean_m * inv_sxx
            xtx_inv[i, 1, 1] = inv_sxx
            params[i, 0] = v_bar - slope * mean_m
            params[i, 1] = slope if with_market else np.nan
            sigma2[i] = squares / d
            market_mean[i] = mean_m
        else:
            xtx_inv[i, :, :] = np.nan
            params[i, :] = np.nan
            sigma2[i] = np.nan
            market_mean[i] = np.nan
