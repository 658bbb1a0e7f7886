"""Ranks and medians of each firm's returns (the rank and sign tests): every row's finite values ranked
(1 = smallest, ties given their average rank) and its median, with the row in two parts — a ``base`` sorted once
(the estimation days, the same for every window of a study: :func:`sorted_rows`) and a few ``extra`` values (a
window's returns, or ``grank_t``'s collapsed window).

The mid-rank of a value ``y`` among a row's finite values is ``#{< y} + (#{= y} + 1) / 2``. So a base value ``x``
ranks at its mid-rank among the base plus ``#{extra < x} + ½ #{extra = x}``, and an extra value ``y`` at
``#{base < y} + #{extra < y} + (#{base = y} + #{extra = y} + 1) / 2``: with the extras sorted, one walk along the
sorted base finds them all (``T + m`` steps per row instead of a sort of every joined row). The median is the
mean of the values at the joined row's middle positions, read off the same walk. Non-finite values (NaN, ±inf)
are not ranked (NaN rank) and leave the median out.

:func:`merged_ranks` returns the ranks; :func:`rank_day_totals` adds the rank and sign scores of each firm
(``U = K / (1 + M) − ½`` and ``sign(x − median)``, ``M`` the row's finite values) to its group's day totals, the
sums the rank tests' time series read (:mod:`eventstudy.inference.vectorised`), without an array of ranks.
"""

from __future__ import annotations

import numpy as np

from ..model.jit import compiled

SortedRows = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Extra values per row up to which they are sorted by counting (``b²`` branch-free comparisons; a Shell sort
#: beyond).
COUNTING_SORT = 64

#: A value's share of a day's tally in :func:`_merge_rows`: the count in the bits above 32, ``1 + sign`` below
#: (at most 2 per value: exact for fewer than 2³¹ rows per group).
TALLY_UNIT = 1 << 32
TALLY_LOW = TALLY_UNIT - 1


# one machine-code copy for the estimation days' view (the battery) and a contiguous array (rank_rows)
@compiled(signature="void(float64[:, :], uint64[:, :], int64, uint64[:, :])")
def _sort_keys(base, bits, column_bits, keys):
    """Each value's IEEE bits mapped to an unsigned integer of the same order (negatives flipped), the low
    ``column_bits`` replaced by the value's column; non-finite values get the largest high part (sorted last)."""
    n, t = base.shape
    sign = np.uint64(1) << np.uint64(63)
    low = (np.uint64(1) << np.uint64(column_bits)) - np.uint64(1)
    high = ~low
    for r in range(n):
        for c in range(t):
            if np.isfinite(base[r, c]):
                u = bits[r, c]
                u = ~u if u & sign else u | sign
                keys[r, c] = (u & high) | np.uint64(c)
            else:
                keys[r, c] = high | np.uint64(c)


@compiled
def _sorted_rows(base, keys, column_bits, sorted_values, counts, order):
    """Decode the sorted keys: each row's column order and its values sorted (non-finite as +inf, last), the
    values written over their keys (``sorted_values`` may share ``keys``' memory: each key is read first)."""
    n, t = base.shape
    low = (np.uint64(1) << np.uint64(column_bits)) - np.uint64(1)
    for r in range(n):
        a = 0  # finite values: the first a of the sorted keys
        for k in range(t):
            c = np.int64(keys[r, k] & low)
            order[r, k] = c
            y = base[r, c]
            if np.isfinite(y):
                sorted_values[r, k] = y
                a += 1
            else:
                sorted_values[r, k] = np.inf
        # the keys ordered the values up to their dropped low bits: an insertion pass puts any values that
        # differ only there in order (one comparison per value when none do)
        for k in range(1, a):
            y = sorted_values[r, k]
            if y < sorted_values[r, k - 1]:
                c = order[r, k]
                q = k
                while q > 0 and sorted_values[r, q - 1] > y:
                    sorted_values[r, q] = sorted_values[r, q - 1]
                    order[r, q] = order[r, q - 1]
                    q -= 1
                sorted_values[r, q] = y
                order[r, q] = c
        counts[r] = a


@compiled
def _merge_rows(sorted_values, counts, order, extra, group_size,
                base_ranks, extra_ranks, median, rank_sums, sign_sums, day_counts, firms):  # fmt: skip
    """Per row: the ranks of its base and extra values among them all and its median, written to ``base_ranks``
    ``extra_ranks`` ``median`` (when ``base_ranks`` has rows), or the scores ``K / (1 + M) − ½`` and
    ``sign(x − median)`` added to the day totals of the row's group (rows ``group_size`` at a time; base column
    ``c`` is day ``c``, extra ``j`` day ``T + j``) (when ``rank_sums`` has rows)."""
    n, t = sorted_values.shape
    m = extra.shape[1]
    write = base_ranks.shape[0] > 0
    add = rank_sums.shape[0] > 0
    if add:
        rank_sums[:] = 0.0
        firms[:] = 0
    # per group and day, the values counted and their signs plus one, in one integer: ``TALLY_UNIT`` per value
    # (the high 32 bits count them) plus ``1 + sign(x − median)`` (0, 1 or 2: the low 32 bits) — one addition
    # per value instead of two; decoded into ``day_counts`` and ``sign_sums`` at the end
    tally = np.zeros(rank_sums.shape, dtype=np.int64)
    values = np.empty(m)
    mid_ranks = np.empty(t)
    step = np.empty(t + 1)
    columns = np.empty(m, dtype=np.int64)
    found = np.empty(m)
    found_at = np.empty(m, dtype=np.int64)
    below = np.empty(m, dtype=np.int64)  # #{base < y_j}
    equal = np.empty(m, dtype=np.int64)  # #{base = y_j}
    for r in range(n):
        g = r // group_size
        a = counts[r]
        b = 0  # finite extra values, sorted into values[:b] (their columns in columns[:b])
        for j in range(m):
            if write:
                extra_ranks[r, j] = np.nan
            if np.isfinite(extra[r, j]):
                found[b] = extra[r, j]
                found_at[b] = j
                b += 1
        if b <= COUNTING_SORT:  # each value's place: the values below it and the equal ones before it (no branch)
            for j in range(b):
                y = found[j]
                place = 0
                for q in range(j):
                    place += found[q] <= y
                for q in range(j + 1, b):
                    place += found[q] < y
                values[place] = y
                columns[place] = found_at[j]
        else:  # a Shell sort (Knuth's gaps 1, 4, 13, …)
            values[:b] = found[:b]
            columns[:b] = found_at[:b]
            gap = 1
            while gap < b // 3:
                gap = 3 * gap + 1
            while gap > 0:
                for j in range(gap, b):
                    y, col = values[j], columns[j]
                    k = j
                    while k >= gap and values[k - gap] > y:
                        values[k] = values[k - gap]
                        columns[k] = columns[k - gap]
                        k -= gap
                    values[k] = y
                    columns[k] = col
                gap //= 3
        tied_pairs = 0  # base values tied among themselves: their mid-ranks (else the k-th ranks k + 1)
        for k in range(1, a):
            tied_pairs += sorted_values[r, k] == sorted_values[r, k - 1]
        ties = tied_pairs > 0
        if ties:
            k = 0
            while k < a:
                e = k + 1
                while e < a and sorted_values[r, e] == sorted_values[r, k]:
                    e += 1
                for q in range(k, e):
                    mid_ranks[q] = (k + 1 + e) / 2.0
                k = e
        # each extra value's place among the sorted base values (a merge of the two sorted lists)
        i = 0
        for j in range(b):
            y = values[j]
            while i < a and sorted_values[r, i] < y:
                i += 1
            below[j] = i
            k = i
            while k < a and sorted_values[r, k] == y:
                k += 1
            equal[j] = k - i
        total = a + b
        # the median: the values at the middle positions of the joined sorted row, extras placed before equal
        # base values (extra j sits at below[j] + j; base value i after the extras with below <= i)
        middle = 0.0
        for at in ((total - 1) // 2, total // 2):
            before = 0  # extras placed before position at
            y = np.nan
            for j in range(b):
                p = below[j] + j
                if p == at:
                    y = values[j]
                    break
                if p < at:
                    before += 1
            if not y == y:  # not an extra: the base value after those extras
                y = sorted_values[r, at - before] if total > 0 else np.nan
            middle += y
        med = middle / 2.0
        joined = 1.0 + total
        if write:
            median[r] = med
            for k in range(a, t):
                base_ranks[r, order[r, k]] = np.nan
        inv = 1.0 / joined  # (a score is rank · inv − ½)
        under = 0  # base values below the median (sign −1), then up to ``above`` equal to it (sign 0), then +1
        while under < a and sorted_values[r, under] < med:
            under += 1
        above = under
        while above < a and sorted_values[r, above] == med:
            above += 1
        if add and total > 0:
            firms[g] += 1
        # base value k ranks at its mid-rank among the base plus #{extras below it} + ½ #{extras equal to it}:
        # each extra adds ½ from its place among the base (``below``) on and ½ past the base values equal to it
        for k in range(a + 1):
            step[k] = 0.0
        for j in range(b):
            step[below[j]] += 0.5
            step[below[j] + equal[j]] += 0.5
        shift = 0.0
        for k in range(a):
            shift += step[k]
            rank = (mid_ranks[k] if ties else k + 1.0) + shift
            day = order[r, k]
            if write:
                base_ranks[r, day] = rank
            if add:
                rank_sums[g, day] += rank * inv - 0.5
                tally[g, day] += TALLY_UNIT + (k >= above) + (k >= under)  # (1 + sign: +1 from above, −1 under)
        j = 0
        while j < b:  # each run of equal extras: #{base below} + #{extras before} + the run's mid-place among the equal
            c = 1
            while j + c < b and values[j + c] == values[j]:
                c += 1
            rank = below[j] + j + (equal[j] + c + 1) / 2.0
            y = values[j]
            score = rank * inv - 0.5
            counted = TALLY_UNIT + (2 if y > med else (0 if y < med else 1))  # (1 + sign)
            for k in range(j, j + c):
                if write:
                    extra_ranks[r, columns[k]] = rank
                if add:
                    day = t + columns[k]
                    rank_sums[g, day] += score
                    tally[g, day] += counted
            j += c
    for g in range(tally.shape[0]):
        for day in range(tally.shape[1]):
            day_counts[g, day] = tally[g, day] >> 32
            sign_sums[g, day] = (tally[g, day] & TALLY_LOW) - day_counts[g, day]


def sorted_rows(base: np.ndarray) -> SortedRows:
    """Each row of ``base`` ``(n, T)`` sorted, what :func:`merged_ranks` reads: the sorted values (non-finite
    as +inf, last), the number of finite values ``(n,)`` and the column order that sorts the row. The sort is of
    integer keys (a value's bits in an order-preserving map, its column in the lowest bits), finished by an
    insertion pass over the values themselves."""
    base = np.asarray(base, dtype=float)  # a view of the estimation days is read in place
    n, t = base.shape
    column_bits = max(int(t - 1).bit_length(), 1)
    keys = np.empty(base.shape, dtype=np.uint64)
    _sort_keys(base, base.view(np.uint64), column_bits, keys)
    keys.sort(axis=1)
    sorted_values = keys.view(np.float64)  # each key is read, then overwritten by its value
    counts = np.empty(n, dtype=np.int64)
    order = np.empty(base.shape, dtype=np.int16 if t <= np.iinfo(np.int16).max else np.int64)
    _sorted_rows(base, keys, column_bits, sorted_values, counts, order)
    return sorted_values, counts, order


def _no_rows(ndim: int, dtype: type = float) -> np.ndarray:
    """An output the kernel leaves alone (no rows)."""
    return np.empty((0,) * ndim, dtype=dtype)


def merged_ranks(
    base: np.ndarray, extra: np.ndarray, sorted_base: SortedRows | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ranks of each row of ``[base, extra]`` among its finite values (ties averaged) and its median,
    without sorting the joined rows: ``base`` ``(n, T)``, ``extra`` ``(n, m)``; ``sorted_base``: the
    :func:`sorted_rows` of ``base`` if kept (the estimation days' across windows). Returns the ranks of the base
    columns ``(n, T)`` and of the extra columns ``(n, m)`` (NaN where a value is not finite) and the median of the
    row's finite values ``(n,)`` (NaN for a row without one); equal to ``scipy.stats.rankdata`` and
    ``np.nanmedian`` of the joined rows (tests/inference/test_ranks.py)."""
    sorted_values, counts, order = sorted_rows(base) if sorted_base is None else sorted_base
    extra = np.ascontiguousarray(extra, dtype=float)
    base_ranks = np.empty(sorted_values.shape)
    extra_ranks = np.empty(extra.shape)
    median = np.empty(len(sorted_values))
    _merge_rows(sorted_values, counts, order, extra, 1, base_ranks, extra_ranks, median,
                _no_rows(2), _no_rows(2), _no_rows(2, dtype=np.int64), _no_rows(1, dtype=np.int64))  # fmt: skip
    return base_ranks, extra_ranks, median


def rank_day_totals(
    sorted_base: SortedRows, extra: np.ndarray, group_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Day totals of the rank and sign scores of rows in groups of ``group_size`` (``G · group_size`` rows):
    each row's base (:func:`sorted_rows`, ``T`` days) and ``extra`` ``(n, m)`` values (``m`` more days) ranked
    together as in :func:`merged_ranks`, ``K`` the rank, ``M`` the row's finite values. Returns, per group and day
    ``(G, T + m)``, ``Σ_i (K_it / (1 + M_i) − ½)``, ``Σ_i sign(x_it − median_i)`` and the number of finite values
    ``N_t``; and per group the rows with a finite value ``(G,)``."""
    sorted_values, counts, order = sorted_base
    # contiguous, as merged_ranks passes it (a window's few columns): one compiled kernel for both, not two
    extra = np.ascontiguousarray(extra, dtype=float)
    n, t = sorted_values.shape
    g, d = n // group_size, t + extra.shape[1]
    rank_sums, sign_sums = np.empty((g, d)), np.empty((g, d))
    day_counts, firms = np.empty((g, d), dtype=np.int64), np.empty(g, dtype=np.int64)
    _merge_rows(sorted_values, counts, order, extra, group_size, _no_rows(2), _no_rows(2),
                _no_rows(1), rank_sums, sign_sums, day_counts, firms)  # fmt: skip
    return rank_sums, sign_sums, day_counts, firms


def rank_rows(x: np.ndarray) -> np.ndarray:
    """Ranks (1 = smallest, ties averaged) of the finite values of each row of ``x`` ``(n, d)``; NaN elsewhere."""
    x = np.asarray(x, dtype=float)
    return merged_ranks(x, np.zeros((len(x), 0)))[0]


def row_median(x: np.ndarray) -> np.ndarray:
    """Median of the finite values of each row of ``x`` ``(n, d)``, ``(n,)``; NaN for a row without one."""
    x = np.asarray(x, dtype=float)
    return merged_ranks(x, np.zeros((len(x), 0)))[2]
