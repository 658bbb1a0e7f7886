"""Compiled loops of the resampling tests (:mod:`eventstudy.inference.resampling`): the leave-run-out refits
behind the out-of-sample pseudo-CARs, the placebo's drawn pseudo-CAARs and the bootstrap of the skewness-adjusted
t (their random draws: :mod:`eventstudy.inference.random_streams`). Each is a plain loop over a firm row or a pseudo-study, compiled by :func:`.jit.compiled`; the definitions
are those of the tests' docstrings (and docs/statistics.md).
"""

from __future__ import annotations

import math

import numpy as np

from ..model.jit import compiled

#: A refit is singular when ``|det(X'X − X_s'X_s)|`` is at most this times the product of its diagonal's
#: absolute values (collinear design columns outside the run).
SINGULAR = 1e-10


@compiled
def leave_run_out(ar, cols, x, rows_g, rows_f, lengths, starts, pcar, has):
    """Out-of-sample pseudo-CARs of the firm rows ``(rows_g[r], rows_f[r])`` of ``ar`` ``(G, F, D)`` over their
    estimation days ``cols`` ``(T,)``: for each start ``s < starts``, ``Σ_s e_t + g_s'(X'X − X_s'X_s)⁻¹ X_s'e_s``
    with ``e`` the in-sample residuals (the ARs), ``X`` the design ``x`` ``(G, F, D, p)`` on the firm's returns,
    the run ``s`` the ``lengths[r]`` days from ``s`` and ``g_s = Σ_s x_t`` (the leave-block-out identity). Writes
    ``pcar`` ``(R, starts)`` (NaN where undefined) and ``has`` (the run holds a return of the firm, ends within
    the ``T`` days, and the refit leaves more returns than parameters and a non-singular ``X'X``).

    Every run sum is a difference of two running sums over the days (added in day order); ``X'X`` without the run
    is the total less the run's sum; the ``p × p`` system is solved by Gaussian elimination with partial pivoting
    (the rows swap only for a strictly larger pivot), its determinant the product of the pivots."""
    t_days = cols.shape[0]
    p = x.shape[3]
    nq = 2 + 2 * p + p * p  # running sums: e, count, x_j, x_j e, x_i x_j (i ≤ j)
    c = np.zeros((t_days + 1, nq))  # c[t] the sums over the first t days (one day's sums are contiguous)
    xv = np.empty(p)
    a = np.empty((p, p))
    b = np.empty(p)
    for r in range(rows_g.shape[0]):
        g, f, length = rows_g[r], rows_f[r], lengths[r]
        for t in range(t_days):
            for q in range(nq):
                c[t + 1, q] = c[t, q]
            e = ar[g, f, cols[t]]
            if math.isfinite(e):
                c[t + 1, 0] += e
                c[t + 1, 1] += 1.0
                for j in range(p):
                    xj = x[g, f, cols[t], j]
                    xv[j] = 0.0 if math.isnan(xj) else xj
                for j in range(p):
                    c[t + 1, 2 + j] += xv[j]
                    c[t + 1, 2 + p + j] += xv[j] * e
                    for i in range(j + 1):
                        c[t + 1, 2 + 2 * p + i * p + j] += xv[i] * xv[j]
        count = c[t_days, 1]
        for s in range(starts):
            end = s + length
            in_run = 0.0 if end > t_days else c[end, 1] - c[s, 1]
            if in_run <= 0.0:  # no return of the firm in the run, or the run ends past the estimation days
                has[r, s] = False
                pcar[r, s] = np.nan
                continue
            value = c[end, 0] - c[s, 0]
            ok = True
            if p > 0:
                ok = count - in_run > p  # more returns outside the run than parameters
                if ok:
                    scale = 1.0
                    for i in range(p):
                        b[i] = c[end, 2 + p + i] - c[s, 2 + p + i]
                        for j in range(i, p):
                            k = 2 + 2 * p + i * p + j
                            a[i, j] = c[t_days, k] - (c[end, k] - c[s, k])
                            a[j, i] = a[i, j]
                        scale *= abs(a[i, i])
                    det = 1.0
                    for k in range(p):  # elimination with partial pivoting
                        piv = k
                        for i in range(k + 1, p):
                            if abs(a[i, k]) > abs(a[piv, k]):
                                piv = i
                        if piv != k:
                            det = -det
                            for j in range(p):
                                a[k, j], a[piv, j] = a[piv, j], a[k, j]
                            b[k], b[piv] = b[piv], b[k]
                        det *= a[k, k]
                        if a[k, k] == 0.0:
                            break
                        for i in range(k + 1, p):
                            lower = a[i, k] / a[k, k]
                            for j in range(k + 1, p):
                                a[i, j] -= lower * a[k, j]
                            b[i] -= lower * b[k]
                    ok = abs(det) > SINGULAR * scale  # (False for a NaN determinant)
                    if ok:
                        for i in range(p - 1, -1, -1):  # back substitution: b becomes θ̂ − θ̂_{−s}
                            acc = b[i]
                            for j in range(i + 1, p):
                                acc -= a[i, j] * b[j]
                            b[i] = acc / a[i, i]
                        for j in range(p):
                            value += (c[end, 2 + j] - c[s, 2 + j]) * b[j]
            has[r, s] = ok
            pcar[r, s] = value if ok else np.nan


@compiled
def leave_run_out_2(ar, cols, x, rows_g, rows_f, lengths, starts, pcar, has, other):
    """:func:`leave_run_out` for the market model's design (a constant column and the market return), written
    out, for the rows whose constant column is 1 on every day with a return (single-session estimation returns:
    every study's and placebo's). Then ``x₀e = e``, ``x₀² = 1`` and ``x₀x₁ = x₁``, so five running sums (of
    ``e``, the count, ``x₁``, ``x₁e`` and ``x₁²``) hold all nine; the 2 × 2 system by Cramer's rule,
    ``g_s'(θ̂ − θ̂_{−s}) = (g₀(a₁₁b₀ − a₀₁b₁) + g₁(a₀₀b₁ − a₀₁b₀)) / det`` with ``det = a₀₀a₁₁ − a₀₁²`` (one
    division per run; for two unknowns Cramer's rule is forward stable: Higham 2002, *Accuracy and Stability of
    Numerical Algorithms*, sec. 1.10.1), singular by the same rule on ``|det|``. A row's runs are three straight
    loops (the terms, the divisions, the checks), which the compiler turns into vector instructions. ``other[r]``
    is set for a row whose constant column is not 1 on some day (its ``pcar`` and ``has`` are left for
    :func:`leave_run_out`)."""
    t_days = cols.shape[0]
    c = np.zeros((5, t_days + 1))  # running sums of e, count, x1, x1 e, x1², by day
    shift = np.empty(starts)
    divisor = np.empty(starts)
    for r in range(rows_g.shape[0]):
        g, f, length = rows_g[r], rows_f[r], lengths[r]
        s_e = s_n = s_1 = s_1e = s_11 = 0.0
        unit = True
        for t in range(t_days):
            e = ar[g, f, cols[t]]
            if math.isfinite(e):
                unit = unit and x[g, f, cols[t], 0] == 1.0
                x1 = x[g, f, cols[t], 1]
                x1 = 0.0 if math.isnan(x1) else x1
                s_e += e
                s_n += 1.0
                s_1 += x1
                s_1e += x1 * e
                s_11 += x1 * x1
            c[0, t + 1] = s_e
            c[1, t + 1] = s_n
            c[2, t + 1] = s_1
            c[3, t + 1] = s_1e
            c[4, t + 1] = s_11
        other[r] = not unit
        if not unit:
            continue
        within = min(starts, max(t_days - length + 1, 0))  # the runs that end within the estimation days
        lo, hi = c[:, :within], c[:, length : length + within]  # each run's sums: hi − lo
        for s in range(within):
            in_run = hi[1, s] - lo[1, s]  # (x₀ = 1: also g₀ and the run's x₀², and s_n is Σ x₀²)
            a00 = s_n - in_run
            a01 = s_1 - (hi[2, s] - lo[2, s])
            a11 = s_11 - (hi[4, s] - lo[4, s])
            b0 = hi[0, s] - lo[0, s]
            b1 = hi[3, s] - lo[3, s]
            g1 = hi[2, s] - lo[2, s]
            det = a00 * a11 - a01 * a01
            # a return of the firm in the run, more returns outside it than parameters, and a non-singular X'X
            # (False for a NaN determinant); the division only where all hold (1 elsewhere: never by zero)
            ok = (in_run > 0.0) & (s_n - in_run > 2.0) & (abs(det) > SINGULAR * (abs(a00) * abs(a11)))
            has[r, s] = ok
            divisor[s] = det if ok else 1.0
            shift[s] = in_run * (a11 * b0 - a01 * b1) + g1 * (a00 * b1 - a01 * b0)
        np.divide(shift[:within], divisor[:within], shift[:within])  # (an array division: no test per value)
        for s in range(within):
            pcar[r, s] = (hi[0, s] - lo[0, s]) + shift[s] if has[r, s] else np.nan
        for s in range(within, starts):  # the runs that would end past the estimation days: no data
            has[r, s] = False
            pcar[r, s] = np.nan


@compiled
def covered_sessions(ar, span, cols, out):
    """``out[g, f]``: the spans (sessions) of the returns of firm row ``(g, f)`` in the columns ``cols`` added up
    (a NaN span counts 0); 0 without a return there."""
    for g in range(ar.shape[0]):
        for f in range(ar.shape[1]):
            total = 0.0
            for c in cols:
                if math.isfinite(ar[g, f, c]) and not math.isnan(span[g, f, c]):
                    total += span[g, f, c]
            out[g, f] = int(total)


@compiled
def run_signs(pcar, has, positive, with_data):
    """Per firm row (the last axis its runs): ``positive`` the runs with a pseudo-CAR above 0 (NaN is not), and
    ``with_data`` the runs with data (``has``); one pass over the runs."""
    for r in range(pcar.shape[0]):
        above, found = 0, 0
        for s in range(pcar.shape[1]):
            above += pcar[r, s] > 0.0
            found += has[r, s]
        positive[r] = above
        with_data[r] = found


@compiled
def enumerated_caars(pcar, patch, patch_row, groups, caar, hits, n_fin):
    """Per pseudo-study ``k`` in ``groups`` and run ``s``: ``CAAR_s``, the mean pseudo-CAR of its firms with data
    in the run (``pcar[k, i, s]`` not NaN; ``patch[patch_row[k, i], s]`` for a firm with a patch row ``≥ 0``);
    ``n_fin[k]`` counts the runs with data and ``hits[k]`` those with ``|CAAR_s| ≥ |caar[k]|``."""
    starts = pcar.shape[2]
    total = np.empty(starts)
    count = np.empty(starts, dtype=np.int64)
    for k in groups:
        total[:] = 0.0
        count[:] = 0
        for i in range(pcar.shape[1]):
            r = patch_row[k, i]
            row = pcar[k, i] if r < 0 else patch[r]
            for s in range(starts):
                if row[s] == row[s]:  # (not NaN: the run has data)
                    total[s] += row[s]
                    count[s] += 1
        found, above = 0, 0
        level = abs(caar[k])
        for s in range(starts):
            if count[s] > 0:
                found += 1
                if abs(total[s] / count[s]) >= level:
                    above += 1
        hits[k] = above
        n_fin[k] = found


@compiled
def drawn_caars(pcar, patch, patch_row, codes, n, groups, offsets, caar, hits, n_fin):
    """Per pseudo-study ``groups[j]`` (its ``n[k]`` firms first) and draw ``b``: the mean pseudo-CAR of its firms
    with data in the run starting at ``offsets[j, codes[k, i], b]`` (one offset per day 0 and draw, a day 0's draws
    side by side; the runs read as in :func:`enumerated_caars`); ``n_fin[k]`` counts the draws with data and
    ``hits[k]`` those with ``|CAAR_b| ≥ |caar[k]|``.

    The firms are the outer loop (each draw's total still adds them in order): one firm's runs stay in cache while
    every draw reads them, its offsets are read in order, and the draws' totals are independent sums (no chain of
    dependent additions: one vector loop)."""
    draws = offsets.shape[2]
    total = np.empty(draws)
    count = np.empty(draws, dtype=np.int64)
    for j in range(groups.shape[0]):
        k = groups[j]
        total[:] = 0.0
        count[:] = 0
        complete = 0  # firms with data in every run: counted in every draw, without a test per value
        for i in range(n[k]):
            r = patch_row[k, i]
            row = pcar[k, i] if r < 0 else patch[r]
            at = offsets[j, codes[k, i]]
            gaps = 0
            for s in range(row.shape[0]):
                gaps += row[s] != row[s]
            if gaps == 0:
                complete += 1
                for d in range(draws):
                    total[d] += row[at[d]]
            else:
                for d in range(draws):
                    value = row[at[d]]
                    found = value == value  # (not NaN: the run has data)
                    total[d] += value if found else 0.0
                    count[d] += found
        found, above = 0, 0
        level = abs(caar[k])
        for d in range(draws):
            m = count[d] + complete
            if m > 0:
                found += 1
                if abs(total[d] / m) >= level:
                    above += 1
        hits[k] = above
        n_fin[k] = found


@compiled
def bootstrap_p(values, picks, mean, t, p):
    """Per group ``j``: the bootstrap p of ``t[j]`` over the resamples ``values[j, picks[j, b]]``, each giving
    ``t_b = √n_b (S_b + γ̂_b S_b²/3 + γ̂_b/(6 n_b))`` with ``S_b = (mean_b − mean[j]) / sd_b`` and ``γ̂_b`` the
    resample's skewness; resamples of one repeated value (or a non-finite ``t_b``) are left out;
    ``p = min(1, 2 min(1 + #{t_b ≤ t}, 1 + #{t_b ≥ t}) / (B' + 1))`` over the ``B'`` kept, NaN without any."""
    size = picks.shape[2]
    x = np.empty(size)
    inv_n, inv_n1, root_n = 1.0 / size, 1.0 / (size - 1), math.sqrt(size)  # (one division per resample below)
    for j in range(picks.shape[0]):
        below, above, used = 0, 0, 0
        for d in range(picks.shape[1]):
            total = 0.0
            other = 0  # values unlike the first (0: one repeated value)
            first = values[j, picks[j, d, 0]]
            for i in range(size):
                x[i] = values[j, picks[j, d, i]]
                total += x[i]
                other += x[i] != first
            if other == 0:
                continue
            mb = total * inv_n
            s2, s3 = 0.0, 0.0
            for i in range(size):
                dev = x[i] - mb
                sq = dev * dev
                s2 += sq
                s3 += sq * dev
            sb = math.sqrt(s2 * inv_n1)
            if not sb > 0.0:
                continue
            inv_sb = 1.0 / sb
            z = (mb - mean[j]) * inv_sb
            gamma = s3 * inv_n * inv_sb * inv_sb * inv_sb
            tb = root_n * (z + gamma * z * z / 3.0 + gamma * inv_n / 6.0)
            if not math.isfinite(tb):
                continue
            used += 1
            below += tb <= t[j]
            above += tb >= t[j]
        p[j] = min(1.0, 2.0 * (min(below, above) + 1.0) / (used + 1.0)) if used > 0 else np.nan
