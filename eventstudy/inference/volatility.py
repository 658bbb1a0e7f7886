"""Abnormal return volatility: is the event-window variance of abnormal returns larger than the estimation period's?

A reaction without a mean shift — news that leaves the price's level in doubt, not its direction — raises the
variance of abnormal returns while their mean stays zero, which the mean tests cannot see.

**Per firm: Beaver's U** (Beaver 1968, *J. Accounting Research* 6 Suppl., 67–92). With the standardised abnormal
returns ``SAR_it = AR_it / √Var(AR_it)`` of the window's ``L_i`` returns (forecast-error variance, which for a
trade-to-trade return spanning ``k`` sessions is ``k σ̂²`` plus the estimation error;
:attr:`eventstudy.model.abnormal.AbnormalReturns.sar`),

    U_i = (1/L_i) Σ_{t∈W} SAR_it².

Under the null (normal, independent abnormal returns whose variance is the estimation period's) the numerator
``Σ AR²/σ²`` is χ² on ``L_i`` and ``σ̂²/σ²`` is χ² on ``d_i`` over ``d_i`` (the estimation degrees of freedom), so
``U_i`` is F(``L_i``, ``d_i``) — exactly for known parameters, and to the order of the estimation error that the
forecast-error variance already carries otherwise. The p-value is one-sided, ``P(F > U_i)`` (more variance).

**Aggregate: the cross-sectional test of variance change.** ``E[U_i] = d_i/(d_i − 2)`` under the null (the
variance of Student t on ``d_i``), so ``D_i = U_i − d_i/(d_i − 2)`` has mean zero whatever the firm's estimation
length. ``var_csect_t = mean(D) / (sd(D)/√n)`` over the ``n`` firms with a ``U_i``, Student t on ``n − 1``,
two-sided. Like the standardised test of Boehmer, Musumeci & Poulsen (1991, *J. Financial Economics* 30,
253–272), it takes the variance of the standardised quantity from the cross-section rather than from the model,
so fat tails (which make ``Σ SAR²`` far more dispersed than χ²) do not inflate its variance; it assumes independent
firms. But ``U_i`` is strongly right-skewed for fat-tailed returns and short windows, and a t on 30 skewed values
rejects too often on the left (less variance): docs/validation.md measures it.

**Aggregate, rank form: ``var_rank_t``.** Distribution-free per firm, in the manner of Corrado's (1989, *J.
Financial Economics* 23, 385–395) rank test applied to squared standardised abnormal returns: pool the firm's
estimation days and its window days, rank their ``SAR²`` (average ranks for ties), and turn each rank into the
percentile ``K_it = rank_it / (n_i + 1)`` (``n_i`` pooled days). If the window's variance is the estimation
period's, every day is exchangeable and ``K_it`` is uniform with mean ½, whatever the distribution's tails. Per firm
``R_i = mean_{t∈W} K_it − ½``; ``var_rank_t = mean(R) / (sd(R)/√n)``, Student t on ``n − 1``, two-sided. ``R_i`` is
bounded in (−½, ½) and nearly symmetric, so the t holds its size at small N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ..model.jit import compiled
from .volume import grouped_t

VOLATILITY_TESTS = ("var_csect_t", "var_rank_t")


def beaver_u(sar: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(U, L)`` per row: the mean of ``SAR²`` over the finite ``sar`` in ``mask`` (``(W,)`` or ``(N, W)``) and
    their number; U is NaN where there is none."""
    mask = np.broadcast_to(mask, sar.shape)
    days = np.flatnonzero(mask.any(axis=0))  # only the columns from the mask's first day to its last are summed
    at = slice(int(days[0]), int(days[-1]) + 1) if len(days) else slice(0, 0)
    sar = sar[:, at]
    use = mask[:, at] & np.isfinite(sar)
    n = use.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(use, sar**2, 0.0).sum(axis=1) / n
    return np.where(n > 0, u, np.nan), n


def beaver_p(u: np.ndarray, n_days: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """One-sided ``P(F(L, d) > U)`` per firm (NaN without a U or with ``d < 1``)."""
    ok = np.isfinite(u) & (n_days > 0) & (dof >= 1)
    out = np.full(np.shape(u), np.nan)
    out[ok] = special.fdtrc(n_days[ok], dof[ok], u[ok])
    return out


def null_mean(dof: np.ndarray) -> np.ndarray:
    """``E[U] = d/(d − 2)`` under the null (NaN for ``d ≤ 2``, where it is not finite)."""
    dof = np.asarray(dof, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dof > 2, dof / (dof - 2.0), np.nan)


def variance_change_test(u: np.ndarray, dof: np.ndarray, groups: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """``var_csect_t`` per group (module docstring): ``mean`` is the mean excess variance ratio ``mean(D)``."""
    return grouped_t(u - null_mean(dof), groups, n_groups)


@dataclass(frozen=True)
class EstimationSquares:
    """Each firm's estimation-day ``SAR²`` in ascending order (``values`` ``(N, T)``, the finite ``counts`` first,
    NaN after them), what :func:`rank_excess` ranks a window's ``SAR²`` among: the same for every window, so sorted
    once (:func:`estimation_squares`)."""

    values: np.ndarray
    counts: np.ndarray


def estimation_squares(sar: np.ndarray, estimation: np.ndarray) -> EstimationSquares:
    """The sorted estimation-day ``SAR²`` of each row of ``sar`` ``(N, W)`` (``estimation`` ``(N, W)``)."""
    days = np.flatnonzero(estimation.any(axis=0))
    at = slice(int(days[0]), int(days[-1]) + 1) if len(days) else slice(0, 0)
    sq = sar[:, at] * sar[:, at]
    held = estimation[:, at] & np.isfinite(sq)
    return EstimationSquares(np.sort(np.where(held, sq, np.nan), axis=1), held.sum(axis=1))


@compiled
def _window_rank_terms(sar, estimation, window, start, values, counts, terms, n_use):
    n, width = terms.shape
    own = np.empty(width)
    for i in range(n):
        m = 0  # the window's own SAR² (days that are not estimation days)
        for c in range(width):
            terms[i, c] = 0.0
            if window[i, start + c] and not estimation[i, start + c]:
                v = sar[i, start + c] * sar[i, start + c]
                if np.isfinite(v):
                    own[m] = v
                    m += 1
        base = values[i, : counts[i]]
        pooled = counts[i] + m
        used = 0
        for c in range(width):
            if not window[i, start + c]:
                continue
            v = sar[i, start + c] * sar[i, start + c]
            if not np.isfinite(v):
                continue
            below = np.searchsorted(base, v, side="left")
            tied = np.searchsorted(base, v, side="right") - below
            for k in range(m):
                if own[k] < v:
                    below += 1
                elif own[k] == v:
                    tied += 1
            rank = below + (tied + 1) / 2.0  # the average of the tied positions below + 1 .. below + tied
            terms[i, c] = rank / (pooled + 1.0) - 0.5
            used += 1
        n_use[i] = used


def rank_excess(
    sar: np.ndarray, estimation: np.ndarray, window: np.ndarray, squares: EstimationSquares | None = None
) -> np.ndarray:
    """``R_i`` per row (module docstring): the mean rank percentile of the window's ``SAR²`` among the firm's
    estimation and window days, less ½; NaN without a window day. ``estimation``, ``window``: ``(N, W)``;
    ``squares``: :func:`estimation_squares` of the same ``sar`` and ``estimation`` if kept across windows. Each
    window ``SAR²`` is ranked by counting the pooled values below and equal to it (ties averaged: as
    ``scipy.stats.rankdata``) — binary searches in the sorted estimation days, a count over the window's own
    days — in one compiled pass per row; ``K_it − ½`` is summed over the window's columns."""
    squares = squares if squares is not None else estimation_squares(sar, estimation)
    ranked = np.flatnonzero(window.any(axis=0))  # only the window's columns are ranked (the estimation days'
    at = slice(int(ranked[0]), int(ranked[-1]) + 1) if len(ranked) else slice(0, 0)  # SAR² are in ``squares``)
    terms = np.empty((len(sar), at.stop - at.start))
    n_use = np.empty(len(sar), dtype=np.int64)
    _window_rank_terms(np.asarray(sar, dtype=float), np.asarray(estimation, dtype=bool),
                       np.asarray(window, dtype=bool), at.start, squares.values, squares.counts, terms, n_use)  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        r = terms.sum(axis=1) / n_use
    return np.where(n_use > 0, r, np.nan)


def variance_rank_test(r: np.ndarray, groups: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """``var_rank_t`` per group (module docstring): ``mean`` is the mean rank excess ``mean(R)``."""
    return grouped_t(r, groups, n_groups)
