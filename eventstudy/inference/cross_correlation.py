"""The average pairwise correlation ``r̄`` of a group's firms (``kp_bmp_t``'s cross-correlation, Kolari &
Pynnönen 2010, eq. 13–14; the report's CAAR bands), from their estimation-period abnormal returns on the days
both firms of a pair have one (pairwise-complete), in one compiled pass over the pairs.

For a pair ``(i, j)`` with ``n_ij ≥ 3`` common days: ``cov = Σ x_i x_j / n_ij − x̄_i x̄_j`` and
``var_i = Σ x_i² / n_ij − x̄_i²`` over those days, ``corr = cov / √(var_i var_j)``; pairs whose correlation is not
finite are left out, and ``r̄`` is the mean over the pairs (NaN for a group of fewer than two firms or without a
pair). A firm with a return on every day shares all of its days with another such firm: its sums over the row
are computed once and only the cross product is summed per pair.
"""

from __future__ import annotations

import numpy as np

from .jit import compiled


@compiled
def _mean_pair_correlation(est, n, out):
    g_count, f_count, t_count = est.shape
    complete = np.empty(f_count, dtype=np.bool_)
    sums = np.empty(f_count)
    squares = np.empty(f_count)
    for g in range(g_count):
        for i in range(f_count):
            whole = True
            s = 0.0
            q = 0.0
            for t in range(t_count):
                a = est[g, i, t]
                if np.isfinite(a):
                    s += a
                    q += a * a
                else:
                    whole = False
            complete[i] = whole
            sums[i] = s
            squares[i] = q
        total = 0.0
        pairs = 0
        for i in range(f_count):
            for j in range(i + 1, f_count):
                if complete[i] and complete[j]:  # every day in common: the rows' own sums
                    common = t_count
                    sx, sy, sxx, syy = sums[i], sums[j], squares[i], squares[j]
                    p0, p1, p2, p3 = 0.0, 0.0, 0.0, 0.0  # four running sums: independent additions
                    t = 0
                    while t + 4 <= t_count:
                        p0 += est[g, i, t] * est[g, j, t]
                        p1 += est[g, i, t + 1] * est[g, j, t + 1]
                        p2 += est[g, i, t + 2] * est[g, j, t + 2]
                        p3 += est[g, i, t + 3] * est[g, j, t + 3]
                        t += 4
                    while t < t_count:
                        p0 += est[g, i, t] * est[g, j, t]
                        t += 1
                    sxy = (p0 + p1) + (p2 + p3)
                else:
                    common = 0
                    sx, sy, sxx, syy, sxy = 0.0, 0.0, 0.0, 0.0, 0.0
                    for t in range(t_count):
                        a = est[g, i, t]
                        b = est[g, j, t]
                        if np.isfinite(a) and np.isfinite(b):
                            common += 1
                            sx += a
                            sy += b
                            sxx += a * a
                            syy += b * b
                            sxy += a * b
                if common < 3:
                    continue
                mean_i = sx / common
                mean_j = sy / common
                cov = sxy / common - mean_i * mean_j
                var = (sxx / common - mean_i * mean_i) * (syy / common - mean_j * mean_j)
                if not var > 0.0:  # no spread (or a negative rounding): the correlation is not finite
                    continue
                corr = cov / np.sqrt(var)
                if np.isfinite(corr):
                    total += corr
                    pairs += 1
        out[g] = total / pairs if n[g] >= 2 and pairs > 0 else np.nan


def mean_pair_correlation(est: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``r̄`` of each group's rows ``(G, F, T)`` (NaN: no return), ``n`` ``(G,)`` the group's firms: ``(G,)``."""
    out = np.empty(est.shape[0])
    _mean_pair_correlation(np.asarray(est, dtype=float), np.asarray(n), out)
    return out
