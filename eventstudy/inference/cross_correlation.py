"""The average pairwise correlation ``r̄`` of a group's firms (``kp_bmp_t``'s cross-correlation, Kolari &
Pynnönen 2010, eq. 13–14; the report's CAAR bands), from their estimation-period abnormal returns on the days
both firms of a pair have one (pairwise-complete), in one compiled pass per group.

For a pair ``(i, j)`` with ``n_ij ≥ 3`` common days: ``cov = Σ x_i x_j / n_ij − x̄_i x̄_j`` and
``var_i = Σ x_i² / n_ij − x̄_i²`` over those days, ``corr = cov / √(var_i var_j)``; pairs whose correlation is not
finite are left out, and ``r̄`` is the mean over the pairs (NaN for a group of fewer than two firms or without a
pair).

The work grows with the pairs (a thousand firms on one event day make half a million), so the firms with a return
on every day and some spread (most of them) are taken together: their pairs share all ``T`` days, and with
``z_i = (x_i − x̄_i) / √(T var_i)`` their correlations are ``z_i'z_j``, whose sum over the pairs is
``(‖Σ_i z_i‖² − Σ_i ‖z_i‖²) / 2`` — one pass over those firms. Only the pairs with a firm that misses a day are
taken one by one.

A study's windows test the same firms less a few (a firm halted on a window's days has no return in it): with
:class:`PairCorrelations` the pairs are summed once, with each firm's share, and a window's ``r̄`` takes off the
shares of the firms it leaves out (``eventstudy.inference.significance``).
"""

from __future__ import annotations

import numpy as np

from ..model.jit import compiled


# one machine-code copy for the battery's estimation days (a view), the study's gathered rows (contiguous) and the
# report's fitted residuals (Fortran order, as boolean indexing of the columns leaves them)
@compiled(signature="void(float64[:, :, :], float64[:], int64[:], float64[:, :], int64[:, :], boolean)")
def _pair_sums(est, total, pairs, row_total, row_pairs, by_row):
    """Per group ``g`` of ``est`` ``(G, F, T)``: ``total[g]`` the sum of the finite pairwise correlations and
    ``pairs[g]`` their count; with ``by_row``, also each row's share ``row_total[g, i]`` (the sum over the pairs
    with row ``i``) and ``row_pairs[g, i]``."""
    g_count, f_count, t_count = est.shape
    sums = np.empty(f_count)
    squares = np.empty(f_count)
    days = np.empty(f_count, dtype=np.int64)
    missing = np.empty((f_count, t_count), dtype=np.int64)  # each row's days without a value
    n_missing = np.empty(f_count, dtype=np.int64)
    whole = np.empty(f_count, dtype=np.bool_)  # a value on every day and spread: its pairs in the closed form
    spread = np.empty(f_count)  # Σ (x_it − x̄_i)² of a row on every day
    z_sum = np.empty(t_count)
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
            mean = s / t_count
            whole[i] = k == 0 and t_count >= 3 and q / t_count - mean * mean > 0.0
            if whole[i]:
                centred = 0.0
                for t in range(t_count):
                    d = est[g, i, t] - mean
                    centred += d * d
                spread[i] = centred
                whole[i] = centred > 0.0
        # the firms on every day: Σ_{i<j} z_i'z_j = (‖Σ z_i‖² − Σ ‖z_i‖²) / 2
        z_sum[:] = 0.0
        norms = 0.0
        n_whole = 0
        for i in range(f_count):
            if not whole[i]:
                continue
            n_whole += 1
            mean = sums[i] / t_count
            scale = 1.0 / np.sqrt(spread[i])
            norms += spread[i] * scale * scale  # ‖z_i‖² (1 but for rounding), without a sum in the loop below
            for t in range(t_count):  # (no reduction: one vector loop)
                z_sum[t] += (est[g, i, t] - mean) * scale
        squared = 0.0
        for t in range(t_count):
            squared += z_sum[t] * z_sum[t]
        group_total = (squared - norms) / 2.0 if n_whole >= 2 else 0.0
        group_pairs = n_whole * (n_whole - 1) // 2
        if by_row:
            for i in range(f_count):
                row_total[g, i] = 0.0
                row_pairs[g, i] = 0
                if whole[i] and n_whole >= 2:  # z_i'(Σ_j z_j) − ‖z_i‖²: its pairs with the other whole rows
                    mean = sums[i] / t_count
                    scale = 1.0 / np.sqrt(spread[i])
                    dot = 0.0
                    for t in range(t_count):
                        dot += (est[g, i, t] - mean) * scale * z_sum[t]
                    row_total[g, i] = dot - spread[i] * scale * scale
                    row_pairs[g, i] = n_whole - 1
        # pairs with a firm that misses a day, one by one: Σ x_i x_j on the common days from the rows with
        # missing values as 0, each row's sums less its values on the other row's missing days
        partial = np.flatnonzero(~whole & (days >= 3))
        usable = np.flatnonzero(whole | (days >= 3))
        if len(partial):
            left = np.zeros((len(partial), t_count))
            right = np.zeros((len(usable), t_count))
            for r in range(len(partial)):
                for t in range(t_count):
                    a = est[g, partial[r], t]
                    left[r, t] = a if np.isfinite(a) else 0.0
            for r in range(len(usable)):
                for t in range(t_count):
                    a = est[g, usable[r], t]
                    right[r, t] = a if np.isfinite(a) else 0.0
            cross = np.dot(left, right.T)
            for r in range(len(partial)):
                i = partial[r]
                for c in range(len(usable)):
                    j = usable[c]
                    if j == i or (not whole[j] and j < i):  # each pair once
                        continue
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
                    cov = cross[r, c] / common - mean_i * mean_j
                    var = (sxx / common - mean_i * mean_i) * (syy / common - mean_j * mean_j)
                    if not var > 0.0:  # no spread (or a negative rounding): the correlation is not finite
                        continue
                    corr = cov / np.sqrt(var)
                    if np.isfinite(corr):
                        group_total += corr
                        group_pairs += 1
                        if by_row:
                            row_total[g, i] += corr
                            row_total[g, j] += corr
                            row_pairs[g, i] += 1
                            row_pairs[g, j] += 1
        total[g] = group_total
        pairs[g] = group_pairs


def _mean(total: np.ndarray, pairs: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``r̄ = total / pairs``; NaN for a group of fewer than two firms or without a pair."""
    ok = (np.asarray(n) >= 2) & (pairs > 0)
    return np.where(ok, total / np.where(ok, pairs, 1), np.nan)


def mean_pair_correlation(est: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``r̄`` of each group's rows ``(G, F, T)`` (NaN: no return), ``n`` ``(G,)`` the group's firms: ``(G,)``."""
    est = np.asarray(est, dtype=float)
    g = est.shape[0]
    total, pairs = np.empty(g), np.empty(g, dtype=np.int64)
    _pair_sums(est, total, pairs, np.empty((0, 0)), np.empty((0, 0), dtype=np.int64), False)
    return _mean(total, pairs, n)


class PairCorrelations:
    """The pairwise correlations of every group's rows summed once, so that ``r̄`` of a group less some of its rows
    (a window whose firms are those of the group less the ones without a return in it) needs only the pairs among
    the rows left out: ``Σ_{pairs in S} c = Σ_{pairs} c − Σ_{i ∉ S} Σ_j c_ij + Σ_{pairs outside S} c`` (the pairs
    with both rows left out are subtracted twice), and the same for the count of pairs. Each pair's correlation
    depends on its two rows only (their common days), so the result is :func:`mean_pair_correlation` of the rows
    kept, but for rounding."""

    def __init__(self, est: np.ndarray) -> None:
        """``est`` ``(G, F, T)``: every row of each group (NaN: no return)."""
        est = np.asarray(est, dtype=float)
        g, f = est.shape[:2]
        self.total, self.pairs = np.empty(g), np.empty(g, dtype=np.int64)
        self.row_total, self.row_pairs = np.empty((g, f)), np.empty((g, f), dtype=np.int64)
        _pair_sums(est, self.total, self.pairs, self.row_total, self.row_pairs, True)

    def without(self, left_out: np.ndarray, est_left_out: np.ndarray, n: np.ndarray) -> np.ndarray:
        """``r̄`` of each group without the rows ``left_out`` ``(G, F)`` (bool, on the rows given to the
        constructor), whose values are ``est_left_out`` ``(G, L, T)`` (each group's left-out rows, NaN-padded);
        ``n`` ``(G,)`` the firms each group keeps."""
        est_left_out = np.asarray(est_left_out, dtype=float)
        g = est_left_out.shape[0]
        inner_total, inner_pairs = np.empty(g), np.empty(g, dtype=np.int64)
        _pair_sums(est_left_out, inner_total, inner_pairs, np.empty((0, 0)), np.empty((0, 0), dtype=np.int64), False)
        total = self.total - np.where(left_out, self.row_total, 0.0).sum(axis=1) + inner_total
        pairs = self.pairs - np.where(left_out, self.row_pairs, 0).sum(axis=1) + inner_pairs
        return _mean(total, pairs, n)
