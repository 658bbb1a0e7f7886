"""eventstudy.inference.ranks: each row's ranks (ties averaged) and median from its base part sorted once and a
few extra values merged in, against scipy's rankdata and numpy's nanmedian of the joined rows."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import rankdata

from eventstudy.inference import ranks


def _joined(base: np.ndarray, extra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """rankdata and nanmedian of each row of [base, extra] over its finite values (NaN where none)."""
    joined = np.concatenate([base, extra], axis=1)
    joined[~np.isfinite(joined)] = np.nan
    want = np.full(joined.shape, np.nan)
    median = np.full(len(joined), np.nan)
    for i, row in enumerate(joined):
        ok = np.isfinite(row)
        if ok.any():
            want[i, ok] = rankdata(row[ok])
            median[i] = np.median(row[ok])
    return want, median


def test_hand_worked_row():
    """Base [3, 1, NaN, 3] and window [3, 0]: sorted 0, 1, 3, 3, 3 — ranks 1, 2 and (3 + 4 + 5) / 3 = 4 for the
    three 3s, median 3; a row with nothing finite has NaN ranks and median."""
    nan = np.nan
    base = np.array([[3.0, 1.0, nan, 3.0], [nan, nan, np.inf, nan]])
    extra = np.array([[3.0, 0.0], [nan, nan]])
    got_base, got_extra, median = ranks.merged_ranks(base, extra)
    np.testing.assert_array_equal(got_base, [[4.0, 2.0, nan, 4.0], [nan] * 4])
    np.testing.assert_array_equal(got_extra, [[4.0, 1.0], [nan, nan]])
    np.testing.assert_array_equal(median, [3.0, nan])


@pytest.mark.parametrize("m", [0, 1, 2, 5, 21, 40, 100])
def test_merged_ranks_equal_the_ranks_of_the_joined_rows(m):
    """Mid-ranks and medians of ``[base, extra]`` from the base sorted once equal those of the joined rows, with
    many ties (small integers, also between the parts), missing and infinite values in both parts, rows with
    nothing finite, even and odd counts; many extras (40, and 100: sorted by the Shell sort, not by counting) too."""
    rng = np.random.default_rng(m)
    base = rng.integers(0, 6, (400, 30)).astype(float)
    base[::2] += rng.normal(0, 1, (200, 30))  # rows without ties too
    extra = rng.integers(0, 6, (400, m)).astype(float)
    base[rng.random(base.shape) < 0.2] = np.nan
    extra[rng.random(extra.shape) < 0.3] = np.nan
    base[rng.random(base.shape) < 0.02] = -np.inf
    base[:3] = np.nan
    extra[2:5] = np.nan
    want, want_median = _joined(base, extra)
    kept = ranks.sorted_rows(base)
    for sorted_base in (None, kept):  # sorted here, or kept from an earlier window
        got_base, got_extra, median = ranks.merged_ranks(base, extra, sorted_base)
        np.testing.assert_array_equal(got_base, want[:, :30])
        np.testing.assert_array_equal(got_extra, want[:, 30:])
        np.testing.assert_array_equal(median, want_median)


def test_rank_rows_and_row_median_match_scipy_and_numpy():
    rng = np.random.default_rng(8)
    x = rng.integers(0, 4, (50, 13)).astype(float)
    x[rng.random(x.shape) < 0.25] = np.nan
    x[0] = np.nan
    np.testing.assert_array_equal(ranks.rank_rows(x), rankdata(x, axis=1, nan_policy="omit"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the all-NaN row
        np.testing.assert_array_equal(ranks.row_median(x), np.nanmedian(x, axis=1))


def test_values_apart_only_in_their_last_bits_and_signed_zeros():
    """The sort keys drop a value's lowest bits for its column: values that differ only there (a few ulps), of
    either sign, denormals, and −0 = +0 (one tie) still rank by value."""
    rng = np.random.default_rng(4)
    one = np.nextafter(1.0, 2.0) - 1.0  # an ulp of 1
    tiny = np.array([5e-324, 1e-323, -5e-324, 0.0, -0.0])
    rows = []
    for _ in range(200):
        row = np.concatenate([1.0 + one * rng.integers(0, 300, 6), -1.0 - one * rng.integers(0, 300, 6), tiny,
                              rng.normal(size=4)])  # fmt: skip
        rows.append(rng.permutation(row))
    base = np.array(rows)
    extra = base[:, :3] + one * rng.integers(-2, 3, (200, 3))
    want, want_median = _joined(base, extra)
    got_base, got_extra, median = ranks.merged_ranks(base, extra)
    np.testing.assert_array_equal(got_base, want[:, : base.shape[1]])
    np.testing.assert_array_equal(got_extra, want[:, base.shape[1] :])
    np.testing.assert_array_equal(median, want_median)


def test_rank_day_totals_add_each_firms_scores_to_its_groups_days():
    """The day totals of the rank and sign scores, ``K / (1 + M) − ½`` and ``sign(x − median)``, equal sums over
    the rows of each group of scores computed from rankdata and the median of each joined row."""
    rng = np.random.default_rng(6)
    groups, size, t, m = 4, 5, 20, 3
    base = rng.integers(0, 7, (groups * size, t)).astype(float)
    extra = rng.integers(0, 7, (groups * size, m)).astype(float)
    base[rng.random(base.shape) < 0.2] = np.nan
    extra[rng.random(extra.shape) < 0.3] = np.nan
    base[3], extra[3] = np.nan, np.nan  # a firm without data
    want, median = _joined(base, extra)
    count = np.isfinite(want).sum(axis=1, keepdims=True)
    u = want / (1.0 + count) - 0.5
    joined = np.concatenate([base, extra], axis=1)
    sign = np.where(np.isfinite(joined), np.sign(joined - median[:, None]), np.nan)
    rank_sums, sign_sums, day_counts, firms = ranks.rank_day_totals(ranks.sorted_rows(base), extra, size)
    shape = (groups, size, t + m)
    np.testing.assert_allclose(rank_sums, np.nansum(u.reshape(shape), axis=1), rtol=1e-13, atol=1e-14)
    np.testing.assert_array_equal(sign_sums, np.nansum(sign.reshape(shape), axis=1))
    np.testing.assert_array_equal(day_counts, np.isfinite(want).reshape(shape).sum(axis=1))
    np.testing.assert_array_equal(firms, [4, 5, 5, 5])


def test_kernels_compute_what_their_python_source_computes(monkeypatch):
    """The compiled kernels and their Python source (what NUMBA_DISABLE_JIT=1 runs) give the same ranks."""
    rng = np.random.default_rng(2)
    base = rng.integers(0, 5, (20, 12)).astype(float) + rng.normal(0, 1e-15, (20, 12))
    base[rng.random(base.shape) < 0.2] = np.nan
    extra = rng.integers(0, 5, (20, 3)).astype(float)
    compiled = ranks.merged_ranks(base, extra)
    compiled_totals = ranks.rank_day_totals(ranks.sorted_rows(base), extra, 5)
    for name in ("_sort_keys", "_sorted_rows", "_merge_rows"):
        monkeypatch.setattr(ranks, name, getattr(ranks, name).py_func)
    source = ranks.merged_ranks(base, extra)
    source_totals = ranks.rank_day_totals(ranks.sorted_rows(base), extra, 5)
    for a, b in zip(compiled + compiled_totals, source + source_totals, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_rank_merge_and_the_refits_compile_once_whatever_their_callers_pass():
    """A window's SARs are a strided view of the daily arrays, ``grank_t``'s and ``rank_rows``' extras are
    contiguous, and the refits' rows come from ``np.nonzero`` (strided) or from ``divmod`` (contiguous): each
    kernel is still compiled for one layout (``compiled``'s docstring), in a fresh process."""
    import subprocess
    import sys

    code = """
import numpy as np
from eventstudy.inference import ranks, pseudo_windows
from eventstudy.inference.resampling import _leave_run_out
x = np.random.default_rng(0).normal(size=(6, 40))
base = ranks.sorted_rows(x[:, :30])
ranks.rank_day_totals(base, x[:, 30:], 3)            # a window's columns: a strided view
ranks.rank_day_totals(base, x[:, :1].copy(), 3)      # grank_t's collapsed window: contiguous
ranks.rank_rows(x[:, :5].copy())                      # wilcoxon_z's CARs: contiguous
ar = np.random.default_rng(1).normal(size=(2, 3, 40))
design = np.stack([np.ones_like(ar), ar[::-1]], axis=-1)
cols = np.arange(30)
odd = np.array([[True, False, True], [False, True, False]])
_leave_run_out(ar, cols, design, np.nonzero(odd), np.full(3, 2), 20)
_leave_run_out(ar, cols, design, np.divmod(np.arange(6), 3), np.full(6, 2), 20)
print(len(ranks._merge_rows.signatures()), len(pseudo_windows.leave_run_out_2.signatures()),
      len(ranks._sort_keys.signatures()))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "1", "1"]  # (the sort keys: one signature for arrays of any layout)
