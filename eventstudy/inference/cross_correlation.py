"""The average pairwise correlation ``r̄`` of a group's firms (``kp_bmp_t``'s cross-correlation, Kolari &
Pynnönen 2010, eq. 13–14; the report's CAAR bands), from their estimation-period abnormal returns on the days
both firms of a pair have one (pairwise-complete), in one compiled pass over the pairs.

For a pair ``(i, j)`` with ``n_ij ≥ 3`` common days: ``cov = Σ x_i x_j / n_ij − x̄_i x̄_j`` and
``var_i = Σ x_i² / n_ij − x̄_i²`` over those days, ``corr = cov / √(var_i var_j)``; pairs whose correlation is not
finite are left out, and ``r̄`` is the mean over the pairs (NaN for a group of fewer than two firms or without a
pair).
"""

from __future__ import annotations

import numpy as np

from ..model.jit import compiled


@compiled
def _mean_pair_correlation(est, cross, n, out):
    g_count, f_count, t_count = est.shape
    sums = np.empty(f_count)
    squares = np.empty(f_count)
    days = np.empty(f_count, dtype=np.int64)
    missing = np.empty((f_count, t_count), dtype=np.int64)  # each row's days without a value
    n_missing = np.empty(f_count, dtype=np.int64)
    for g in range(g_count):
        for i in range(f_count):
            s = 0.0
            q = 0.0
            k = 0
            for t in range(t_count):
                a = est[g, i, t]
                if np.isfinite(a):
                    s += a
                    q += a * a
                else:
                    missing[i, k] = t
                    k += 1
            sums[i] = s
            squares[i] = q
            n_missing[i] = k
            days[i] = t_count - k
        total = 0.0
        pairs = 0
        for i in range(f_count):
            for j in range(i + 1, f_count):
                # the rows' sums over their own days, less their values on the other row's missing days
                common = days[i]
                sx, sxx = sums[i], squares[i]
                for k in range(n_missing[j]):
                    a = est[g, i, missing[j, k]]
                    if np.isfinite(a):
                        common -= 1
                        sx -= a
                        sxx -= a * a
                sy, syy = sums[j], squares[j]
                for k in range(n_missing[i]):
                    b = est[g, j, missing[i, k]]
                    if np.isfinite(b):
                        sy -= b
                        syy -= b * b
                if common < 3:
                    continue
                mean_i = sx / common
                mean_j = sy / common
                cov = cross[g, i, j] / common - mean_i * mean_j
                var = (sxx / common - mean_i * mean_i) * (syy / common - mean_j * mean_j)
                if not var > 0.0:  # no spread (or a negative rounding): the correlation is not finite
                    continue
                corr = cov / np.sqrt(var)
                if np.isfinite(corr):
                    total += corr
                    pairs += 1
        out[g] = total / pairs if n[g] >= 2 and pairs > 0 else np.nan


def mean_pair_correlation(est: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``r̄`` of each group's rows ``(G, F, T)`` (NaN: no return), ``n`` ``(G,)`` the group's firms: ``(G,)``.
    The cross products ``Σ x_i x_j`` over the common days are one batched matrix product (missing values as 0);
    each row's sums over a pair's common days are its sums less its values on the other row's missing days."""
    est = np.asarray(est, dtype=float)
    filled = np.where(np.isfinite(est), est, 0.0)
    cross = filled @ filled.transpose(0, 2, 1)
    out = np.empty(est.shape[0])
    _mean_pair_correlation(est, cross, np.asarray(n), out)
    return out
