"""The sample the tests read: :class:`WindowSample` (one event, one window), :class:`StatisticResult`, how
samples are built from :class:`~eventstudy.model.engine.AbnormalReturns` (:func:`window_samples`), and the numerics the
tests share (two-sided p-values, column means over firms with data, each firm's SARs ranked over the estimation and
window days: :mod:`eventstudy.inference.ranks`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from ..model.engine import AbnormalReturns
from ..model.jit import compiled
from .ranks import SortedRows, rank_day_totals, sorted_rows
from .ranks import rank_rows as rank_rows  # the rank tests read it from here


@dataclass(frozen=True)
class WindowSample:
    """The firm-events of one event over one window, with their cumulated quantities (firms with data only).

    ``ar``/``sar``/``span`` are ``(n, T + L)``: the estimation days first, then the window days
    (``in_window`` marks the latter); ``n_params`` is the number of model parameters. ``x`` ``(n, T + L, p)``
    are the model's design rows on the same days, ``xtx_inv`` ``(n, p, p)`` and ``sigma2`` ``(n,)`` the fit (for
    the estimation-error term of the time-series tests and the out-of-sample pseudo-windows; None when the
    sample is built by hand, and then both are left out). ``clusters`` ``(n,)`` codes each firm's calendar
    day 0 (None: one shared day 0); ``placebo_draws`` and ``seed`` drive ``placebo_p`` when there are several.
    ``extra["rel_days"]`` ``(T + L,)``: the relative day of each column (``garch_bmp_t``'s forecast horizons;
    absent: consecutive sessions).
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
    x: np.ndarray | None = None
    xtx_inv: np.ndarray | None = None
    sigma2: np.ndarray | None = None
    clusters: np.ndarray | None = None
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
        assert self.ar is not None and self.in_window is not None, "a sample of CARs only has no daily ARs"
        return self.ar[:, ~self.in_window]

    def win_ar(self) -> np.ndarray:
        assert self.ar is not None and self.in_window is not None, "a sample of CARs only has no daily ARs"
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


def _undefined(n: int) -> StatisticResult:
    return StatisticResult(float("nan"), float("nan"), n)


def _col_mean(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over rows of each column, ignoring NaN; and the count. Columns without data give NaN."""
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, x, 0.0).sum(axis=0) / n, n


def _event_groups(ab: AbnormalReturns) -> dict[str, np.ndarray]:
    codes, uniques = pd.factorize(pd.Index([fe.event_id for fe in ab.firm_events]))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {str(u): order[bounds[i] : bounds[i + 1]] for i, u in enumerate(uniques)}


def _window_columns(ab: AbnormalReturns, window: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(counted, days, cols)``: the returns that count in ``window`` (``(N, W)``, those whose span overlaps it:
    :meth:`~eventstudy.model.engine.AbnormalReturns.overlap`), the window's columns — its days plus the days of returns
    that end after it but overlap it (a halted firm's delayed reaction), so that every test reads the same
    firm-events and returns as ``car.csv`` — and the columns the tests read (estimation days, then those)."""
    counted = ab.overlap(window)
    days = ab.days(window) | counted.any(axis=0)
    return counted, days, ab.in_estimation | days


@compiled
def _gather_returns(ar, ar_var, span, estimation, counted, source, cols, out_ar, out_sar, out_span):
    for s in range(source.shape[0]):
        i = source[s]
        for j in range(cols.shape[0]):
            if i < 0:  # a padded row
                out_ar[s, j] = np.nan
                out_sar[s, j] = np.nan
                out_span[s, j] = np.nan
            else:
                c = cols[j]
                out_span[s, j] = span[i, c]
                if not (estimation[i, c] or counted[i, c]):  # (no AR: its variance is not read)
                    out_ar[s, j] = np.nan
                    out_sar[s, j] = np.nan
                    continue
                a = ar[i, c]
                out_ar[s, j] = a
                sd = np.sqrt(ar_var[i, c])  # SAR = AR / √Var(AR), as AbnormalReturns.sar, with numpy's division
                if sd != 0.0:
                    out_sar[s, j] = a / sd
                else:  # (a compiled `/` would raise)
                    out_sar[s, j] = np.inf if a > 0.0 else -np.inf if a < 0.0 else np.nan


@compiled
def _gather_design(design, source, cols, out):
    p = design.shape[2]
    for s in range(source.shape[0]):
        i = source[s]
        if i < 0:  # a padded row
            out[s] = np.nan
        elif p == 2:  # (the market model's two columns: one copy a day, no loop over the columns)
            for j in range(cols.shape[0]):
                c = cols[j]
                out[s, j, 0] = design[i, c, 0]
                out[s, j, 1] = design[i, c, 1]
        else:
            for j in range(cols.shape[0]):
                for q in range(p):
                    out[s, j, q] = design[i, cols[j], q]


def daily_rows(
    ab: AbnormalReturns, counted: np.ndarray, cols: np.ndarray, source: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``ar``, ``sar = AR / √Var(AR)`` and ``span`` (float) on the columns ``cols`` (indices) of the firm-events
    ``source`` (row indices; −1: a padded row, NaN), ``(len(source), len(cols))`` each, in one pass. Estimation
    days keep only the returns the model was fitted on (single-session; multi-session returns after long halts
    would otherwise dominate the time-series variances); window columns every ``counted`` AR."""
    shape = (len(source), len(cols))
    ar, sar, span = np.empty(shape), np.empty(shape), np.empty(shape)
    _gather_returns(ab.ar, ab.ar_var, ab.span, ab.estimation, counted, source, cols, ar, sar, span)
    return ar, sar, span


def design_rows(ab: AbnormalReturns, cols: np.ndarray, source: np.ndarray) -> np.ndarray:
    """The model's design rows ``(len(source), len(cols), p)`` of the firm-events ``source`` (−1: NaN) on ``cols``."""
    out = np.empty((len(source), len(cols), ab.design.shape[-1]))
    _gather_design(ab.design, source, cols, out)
    return out


def window_arrays(
    ab: AbnormalReturns, window: tuple[int, int]
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the tests of ``window`` read, for all firm-events: the cumulated quantities (:meth:`cumulate`) and
    ``ar``/``sar``/``span`` over the estimation days then the window days (:func:`daily_rows`), with the
    ``in_window`` mask."""
    counted, days, cols = _window_columns(ab, window)
    res = ab.cumulate(counted)
    ar, sar, span = daily_rows(ab, counted, np.flatnonzero(cols), np.arange(ab.ar.shape[0]))
    return res, ar, sar, span, days[cols]


def day0_codes(ab: AbnormalReturns) -> np.ndarray:
    """``(N,)`` each firm-event's calendar day 0 as days since 1970-01-01 (firms with the same code share it; the
    code does not depend on which other firm-events are in ``ab``, nor on the unit the days are held in: pandas 3
    makes ``Timestamp("2019-10-08")`` in microseconds, the sessions' axis is in nanoseconds)."""
    day0s = getattr(ab.firm_events, "day0s", None)  # the placebo's draw holds them as one index (DrawnEvents)
    days = pd.DatetimeIndex(day0s if day0s is not None else [fe.day0 for fe in ab.firm_events]).normalize()
    return (days.as_unit("ns").asi8 // 86_400_000_000_000).astype(np.int64)


def design_columns(ab: AbnormalReturns, window: tuple[int, int]) -> np.ndarray:
    """The model's design rows ``(N, D, p)`` on the columns of :func:`window_arrays` (estimation then window days)."""
    cols = _window_columns(ab, window)[2]
    return ab.design if cols.all() else ab.design[:, cols]


def column_days(ab: AbnormalReturns, window: tuple[int, int]) -> np.ndarray:
    """The relative day of each column of :func:`window_arrays` (estimation then window days)."""
    cols = _window_columns(ab, window)[2]
    return ab.rel_days if cols.all() else ab.rel_days[cols]


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
    res, ar, sar, span, in_window = window_arrays(ab, window)
    groups = groups if groups is not None else _event_groups(ab)
    p = ab.design.shape[-1]
    x = design_columns(ab, window)
    rel_days = column_days(ab, window)
    day0 = day0_codes(ab)
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
            x=x[keep],
            xtx_inv=ab.xtx_inv[keep],
            sigma2=ab.sigma2[keep],
            clusters=day0[keep],
            n_params=p,
            placebo_draws=placebo_draws,
            seed=(seed, k if event_keys is None else event_keys[event_id], window[0] + 100_000, window[1] + 100_000),
            extra={"rel_days": rel_days},
        )
    return out


# ---- numerics of the vectorised battery (groups × firms × days arrays)


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
    """``(t, p)`` of the mean of ``x`` where ``m`` (last axis): ``mean / (sd / √n)``, Student t with n − 1 d.f.;
    NaN with fewer than two values or no spread."""
    mean, sd, n = _mean_sd(x, m)
    t = mean / (sd / np.sqrt(n))
    bad = (n < 2) | (sd == 0.0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, n - 1))


def _skew_adjusted_t(b: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Skewness-adjusted t of the mean of ``b`` where ``ok`` (Lyon, Barber & Tsai 1999, eq. 5; Johnson 1978):
    ``t_sa = √N (S + γ̂ S²/3 + γ̂/(6N))``, ``S = mean/sd``, ``γ̂ = Σ (b − mean)³ / (N sd³)``. Returns t, mean, sd, N."""
    mean, sd, n = _mean_sd(b, ok)
    s = mean / sd
    gamma = np.where(ok, (b - mean[..., None]) ** 3, 0.0).sum(axis=-1) / (n * sd**3)
    return np.sqrt(n) * (s + gamma * s * s / 3.0 + gamma / (6.0 * n)), mean, sd, n


@compiled
def _firm_day_totals(x, sums, counts):
    g, f, d = x.shape
    for a in range(g):
        for t in range(d):
            sums[a, t] = 0.0
            counts[a, t] = 0
        for i in range(f):
            for t in range(d):
                y = x[a, i, t]
                if np.isfinite(y):
                    sums[a, t] += y
                    counts[a, t] += 1


def _day_mean(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over firms (axis 1) of each group's days, ignoring NaN; and the count. ``(G, F, D)`` → ``(G, D)``:
    one pass over the firm-days, the firms added in order."""
    x = np.asarray(x, dtype=float)
    sums = np.empty((x.shape[0], x.shape[2]))
    counts = np.empty((x.shape[0], x.shape[2]), dtype=np.int64)
    _firm_day_totals(x, sums, counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts, counts


def _cached(v: dict, key, make):
    """What two tests share (the daily AAR; the ranks and sorted rows of the ARs), computed once per call."""
    if key not in v:
        v[key] = make()
    return v[key]


def _estimation_cached(v: dict, key, make):
    """What depends only on the estimation days of the call's firm-events (and on what ``key`` names): computed
    once for every window and injected level of the same firm-events when the battery is given ``shared``
    (:func:`eventstudy.inference.significance.window_battery` keys it by the firm-events and estimation days), else once
    per call."""
    return _cached(v if v.get("shared") is None else v["shared"], key, make)


# ---- ranks of the SARs over the estimation and window days (corrado_rank, sign_cz, grank_t)


def _days(x: np.ndarray, days: np.ndarray) -> np.ndarray:
    """``x[..., days]`` for a boolean ``days``: a view when the days are one run of columns (the estimation days,
    the window days), else a copy."""
    at = np.flatnonzero(days)
    if len(at) and at[-1] - at[0] + 1 == len(at):
        return x[..., at[0] : at[-1] + 1]
    return np.take(x, at, axis=-1)


def _estimation_sar_ranks(v: dict) -> SortedRows:
    """Each firm's estimation-day SARs sorted (:func:`~.ranks.sorted_rows`, rows ``G·F``): the same for every
    window (``shared``)."""

    def make():
        est = _days(v["sar"], v["est_days"])
        return sorted_rows(est.reshape(-1, est.shape[-1]))

    return _estimation_cached(v, "estimation_sar_ranks", make)


def _sar_window_totals(v: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each firm's SARs of the estimation and window days ranked among themselves (ties averaged) and compared
    with their median, as day totals per group (:func:`~.ranks.rank_day_totals`): ``Σ_i U_it`` with
    ``U_it = K_it / (1 + M_i) − ½``, ``Σ_i sign(SAR_it − median_i)`` and ``N_t``, ``(G, T + L)`` (the estimation
    days, then the window days), and the firms with a SAR ``(G,)``. The estimation days' sorted rows are merged
    with each firm's window SARs."""

    def make():
        g, f, _ = v["sar"].shape
        win = _days(v["sar"], v["in_window"]).reshape(g * f, -1)
        return rank_day_totals(_estimation_sar_ranks(v), win, f)

    return _cached(v, "sar_window_totals", make)
