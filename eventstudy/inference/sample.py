"""The sample the tests read: :class:`WindowSample` (one event, one window), :class:`StatisticResult`, how
samples are built from :class:`~eventstudy.model.engine.AbnormalReturns` (:func:`window_samples`), and the numerics the
tests share (two-sided p-values, column means over firms with data, row ranks and medians)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from ..model.engine import AbnormalReturns


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


def rank_rows(x: np.ndarray) -> np.ndarray:
    """Ranks (1 = smallest, ties averaged) of the finite values of each row; NaN elsewhere. Vectorised: one
    argsort; the rank is the sorted position, averaged over runs of equal values in the (rare) rows with ties."""
    return rank_sort_rows(x)[0]


def merged_ranks(base: np.ndarray, base_ranks: np.ndarray, extra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rank_rows` of each row of ``[base, extra]`` without sorting it again, from ``base_ranks`` (the
    :func:`rank_rows` of ``base``, ``(n, T)``) and a few ``extra`` values per row (``(n, m)``): the mid-rank of a
    value ``y`` among a row's finite values is ``#{< y} + (#{= y} + 1) / 2`` (itself counted once in ``#{= y}``),
    so a base value's rank grows by ``#{extra < x} + ½ #{extra = x}`` and an extra value's rank is
    ``#{base < y} + ½ #{base = y}`` plus its mid-rank among the extras. ``O(n T m)`` comparisons instead of a sort
    of every row (what a window adds to the estimation days, whose ranks are kept: :func:`_estimation_cached`).
    Returns the ranks of the base columns and of the extra columns, NaN where a value is not finite; equal to
    ``rank_rows(np.concatenate([base, extra], axis=1))`` (tests/inference/test_sample.py)."""
    ok = np.isfinite(extra)
    up = np.zeros(base.shape)
    for j in range(extra.shape[1]):
        y = extra[:, j : j + 1]
        up += (y < base) + 0.5 * (y == base)  # NaN compares False
    ranks_base = base_ranks + up
    lower = np.zeros(extra.shape)
    for j in range(extra.shape[1]):
        y = extra[:, j : j + 1]
        lower[:, j] = (base < y).sum(axis=1) + 0.5 * (base == y).sum(axis=1)
    among = rank_rows(extra) if extra.shape[1] > 1 else np.ones(extra.shape)
    return ranks_base, np.where(ok, lower + among, np.nan)


def merged_median(sorted_base: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """:func:`_row_median` of each row of ``[base, extra]`` from the base rows already sorted (``sorted_base``,
    non-finite values as +inf, last: :func:`rank_sort_rows`) and a few ``extra`` values per row (``(n, m)``):
    the ``k``-th smallest value of the union is ``min_j max(B_(k−j), E_(j−1))`` over the ``j = 0 .. m`` extra
    values that can be among the ``k + 1`` smallest (``B``, ``E`` the sorted parts, ``−∞`` for an empty part).
    Returns ``(n, 1)``; NaN for a row without a finite value."""
    n, t = sorted_base.shape
    a = np.isfinite(sorted_base).sum(axis=1)
    e = np.sort(np.where(np.isfinite(extra), extra, np.inf), axis=1)
    b = np.isfinite(extra).sum(axis=1)
    total = a + b

    def kth(k: np.ndarray) -> np.ndarray:
        best = np.full(n, np.inf)
        for j in range(extra.shape[1] + 1):
            i = k - j
            valid = (i <= a - 1) & (i >= -1) & (j <= b)
            from_base = np.take_along_axis(sorted_base, np.clip(i, 0, max(t - 1, 0))[:, None], axis=1)[:, 0]
            from_base = np.where(i >= 0, from_base, -np.inf)
            cand = from_base if j == 0 else np.maximum(from_base, e[:, j - 1])
            best = np.where(valid, np.minimum(best, cand), best)
        return best

    with np.errstate(invalid="ignore"):
        median = (kth((total - 1) // 2) + kth(total // 2)) / 2.0
    return np.where(total > 0, median, np.nan)[:, None]


def compact_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's finite values moved to its front, in column order, cut to the longest row's count: ``(values,
    columns)`` ``(n, m)`` — a window's returns for a firm are a few of the window's many columns (other firms'
    returns after halts add columns)."""
    finite = np.isfinite(x)
    m = int(finite.sum(axis=1).max(initial=0))
    columns = np.argsort(~finite, axis=1, kind="stable")[:, :m]
    return np.take_along_axis(x, columns, axis=1), columns


def rank_sort_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rank_rows` and each row sorted (NaN and ±inf as +inf, last)."""
    x = np.asarray(x, dtype=float)
    n, d = x.shape
    finite = np.isfinite(x)
    keyed = np.where(finite, x, np.inf)
    order = np.argsort(keyed, axis=1)
    s = np.sort(keyed, axis=1)  # = keyed in ``order`` (a second, vectorised sort is cheaper than gathering)
    pos = np.broadcast_to(np.arange(1.0, d + 1.0), (n, d))
    tied = np.flatnonzero(((s[:, 1:] == s[:, :-1]) & (s[:, 1:] < np.inf)).any(axis=1))
    if len(tied):  # ties get their average rank whatever their order: first and last position of each run
        st = s[tied]
        idx = np.broadcast_to(np.arange(d), st.shape)
        start_flag = np.ones(st.shape, dtype=bool)
        start_flag[:, 1:] = st[:, 1:] != st[:, :-1]
        end_flag = np.ones(st.shape, dtype=bool)
        end_flag[:, :-1] = st[:, 1:] != st[:, :-1]
        start = np.maximum.accumulate(np.where(start_flag, idx, 0), axis=1)
        end = np.minimum.accumulate(np.where(end_flag, idx, d - 1)[:, ::-1], axis=1)[:, ::-1]
        pos = pos.copy()
        pos[tied] = (start + end) / 2.0 + 1.0
    ranks = np.empty((n, d))
    np.put_along_axis(ranks, order, pos, axis=1)
    ranks[~finite] = np.nan
    return ranks, s


def _row_median(x: np.ndarray, s: np.ndarray | None = None) -> np.ndarray:
    """Median of the finite values of each row, ``(n, 1)`` (``np.nanmedian(x, axis=1, keepdims=True)``; NaN for
    a row without values), from one sort: NaN sorts last, so the middle values sit at ``(k − 1) // 2``, ``k // 2``.
    ``s``: the rows already sorted with the non-finite values last (:func:`rank_sort_rows`)."""
    s = np.sort(x, axis=1) if s is None else s
    k = np.isfinite(x).sum(axis=1, keepdims=True)
    lo = np.take_along_axis(s, np.maximum((k - 1) // 2, 0), axis=1)
    hi = np.take_along_axis(s, k // 2, axis=1)
    return np.where(k > 0, (lo + hi) / 2.0, np.nan)


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


def window_arrays(
    ab: AbnormalReturns, window: tuple[int, int]
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the tests of ``window`` read, for all firm-events: the cumulated quantities (:meth:`cumulate`) and
    ``ar``/``sar``/``span`` over the estimation days then the window days, with the ``in_window`` mask."""
    counted, days, cols = _window_columns(ab, window)
    res = ab.cumulate(counted)
    # Estimation days: only the returns the model was fitted on (single-session); multi-session returns after
    # long halts would otherwise dominate the time-series variances. Window columns: every counted AR.
    keep_day = ab.estimation | counted
    if cols.all():  # already restricted to these days (engine.window_only): no copies
        return res, np.where(keep_day, ab.ar, np.nan), np.where(keep_day, ab.sar, np.nan), ab.span, days
    ar = np.where(keep_day, ab.ar, np.nan)[:, cols]
    sar = np.where(keep_day, ab.sar, np.nan)[:, cols]
    return res, ar, sar, ab.span[:, cols], days[cols]


def day0_codes(ab: AbnormalReturns) -> np.ndarray:
    """``(N,)`` each firm-event's calendar day 0 as days since 1970-01-01 (firms with the same code share it; the
    code does not depend on which other firm-events are in ``ab``)."""
    day0s = getattr(ab.firm_events, "day0s", None)  # the placebo's draw holds them as one index (DrawnEvents)
    days = pd.DatetimeIndex(day0s if day0s is not None else [fe.day0 for fe in ab.firm_events]).normalize()
    return (days.asi8 // 86_400_000_000_000).astype(np.int64)


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


def _day_mean(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over firms (axis 1) of each group's days, ignoring NaN; and the count. ``(G, F, D)`` → ``(G, D)``."""
    ok = np.isfinite(x)
    n = ok.sum(axis=1)
    return np.where(ok, x, 0.0).sum(axis=1) / n, n


def _cached(v: dict, key, make):
    """What two tests share (the daily AAR; the ranks and sorted rows of the ARs), computed once per call."""
    if key not in v:
        v[key] = make()
    return v[key]


def _estimation_cached(v: dict, key, make):
    """What depends only on the estimation days of the call's firm-events (and on what ``key`` names): computed
    once for every window and injected level of the same firm-events when the battery is given ``shared``
    (:func:`eventstudy.inference.battery.window_battery` keys it by the firm-events and estimation days), else once
    per call."""
    return _cached(v if v.get("shared") is None else v["shared"], key, make)


# ---- ranks of the SARs over the estimation and window days (corrado_rank, sign_cz, grank_t)


#: Most window returns per firm for which the rank tests merge them into the estimation days' kept ranks
#: (``O(T m)`` comparisons per firm) rather than sort each firm's joined row (``O((T + m) log(T + m))``): the
#: one-day windows of a daily path take the first, a 21-day placebo window the second.
MERGE_MAX_WINDOW_RETURNS = 4


def _estimation_sar_ranks(v: dict) -> tuple[np.ndarray, np.ndarray]:
    """Each firm's estimation-day SARs ranked among themselves and sorted, ``(G·F, T)`` each: the same for every
    window (``shared``)."""
    est = v["sar"][:, :, v["est_days"]]
    return _estimation_cached(v, "estimation_sar_ranks", lambda: rank_sort_rows(est.reshape(-1, est.shape[-1])))


def _sar_window_ranks(v: dict) -> tuple[np.ndarray, np.ndarray]:
    """Ranks of each firm's SARs over the estimation and window days ``(G, F, D)`` and their median ``(G, F, 1)``,
    as :func:`rank_rows` / :func:`_row_median` of the joined rows, from the estimation days' ranks and sorted rows
    and the firm's few window SARs (:func:`merged_ranks`, :func:`merged_median`)."""

    def make():
        sar, w = v["sar"], v["in_window"]
        g, f, d = sar.shape
        values, columns = compact_rows(sar[:, :, w].reshape(g * f, -1))
        if values.shape[1] > MERGE_MAX_WINDOW_RETURNS:  # a sort of the joined rows is cheaper
            ranks, joined_sorted = rank_sort_rows(sar.reshape(g * f, d))
            return ranks.reshape(g, f, d), _row_median(sar.reshape(g * f, d), joined_sorted).reshape(g, f, 1)
        est_ranks, est_sorted = _estimation_sar_ranks(v)
        base_ranks, extra_ranks = merged_ranks(sar[:, :, ~w].reshape(g * f, -1), est_ranks, values)
        window_ranks = np.full((g * f, int(w.sum())), np.nan)
        np.put_along_axis(window_ranks, columns, extra_ranks, axis=1)
        ranks = np.empty((g, f, d))
        ranks[:, :, ~w] = base_ranks.reshape(g, f, -1)
        ranks[:, :, w] = window_ranks.reshape(g, f, -1)
        return ranks, merged_median(est_sorted, values).reshape(g, f, 1)

    return _cached(v, "sar_window_ranks", make)
