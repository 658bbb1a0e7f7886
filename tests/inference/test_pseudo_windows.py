"""eventstudy.inference.pseudo_windows: the leave-run-out refits against explicit least-squares refits for designs of
1 to 3 columns, the written-out market-model kernel against the general one; the placebo's drawn pseudo-CAARs by
hand; every kernel against its own Python source."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.inference.pseudo_windows import (
    bootstrap_p,
    covered_sessions,
    drawn_caars,
    enumerated_caars,
    leave_run_out,
    leave_run_out_2,
    run_signs,
)


def explicit_refits(est, x, length, starts):
    """Per start: the run's prediction errors summed after an OLS refit without the run (numpy.linalg.lstsq)."""
    t = len(est)
    ok = np.isfinite(est)
    pcar, has = np.full(starts, np.nan), np.zeros(starts, dtype=bool)
    for s in range(starts):
        run = np.zeros(t, dtype=bool)
        run[s : s + length] = True
        if s + length > t or not (ok & run).any():
            continue
        fit = ok & ~run
        if x.shape[1] and fit.sum() <= x.shape[1]:
            continue
        beta = np.linalg.lstsq(x[fit], est[fit], rcond=None)[0] if x.shape[1] else np.zeros(0)
        pcar[s], has[s] = (est[ok & run] - x[ok & run] @ beta).sum(), True
    return pcar, has


def random_rows(rng, p, rows=6, t=40):
    ar = rng.standard_t(4, (1, rows, t + 3)) * 0.02  # 3 window days after the estimation days
    ar[0, 1, [3, 4, 5, t // 2]] = np.nan  # missing returns
    ar[0, 2, : t - 10] = np.nan  # few returns: most refits left with too few
    x = np.concatenate([np.ones((1, rows, t + 3, 1)), rng.normal(0, 0.01, (1, rows, t + 3, 3))], axis=-1)[..., :p]
    if p > 1:
        x[0, 3, 10, 1] = np.nan  # a design value missing on a day with a return: counts as 0, as the fit's zero
    for i in range(rows * (p > 0)):  # the ARs: residuals of the OLS fit on the estimation days (as the engine's)
        fit = np.isfinite(ar[0, i, :t])
        if fit.sum() > p:
            xi = np.nan_to_num(x[0, i])
            ar[0, i] -= xi @ np.linalg.lstsq(xi[:t][fit], ar[0, i, :t][fit], rcond=None)[0]
    return ar, x


@pytest.mark.parametrize("p", [0, 1, 2, 3])
def test_leave_run_out_equals_explicit_refits(p):
    rng = np.random.default_rng(p)
    ar, x = random_rows(rng, p)
    cols = np.arange(40)
    lengths = np.array([5, 5, 5, 7, 1, 39])
    rows = np.zeros(6, dtype=np.int64), np.arange(6)
    pcar, has = np.empty((6, 36)), np.empty((6, 36), dtype=bool)
    leave_run_out(ar, cols, x if p else np.zeros((1, 1, 1, 0)), *rows, lengths, 36, pcar, has)
    for i in range(6):
        want, want_has = explicit_refits(ar[0, i, :40], np.nan_to_num(x[0, i, :40]), lengths[i], 36)
        np.testing.assert_array_equal(has[i], want_has)
        np.testing.assert_allclose(pcar[i], want, rtol=1e-12, atol=1e-15)
        assert np.isnan(pcar[i][~has[i]]).all()
    assert has.any() and not has.all()


def test_market_model_kernel_equals_the_general_one():
    """The two-column kernel (five running sums: the constant column 1 on every day with a return) gives the
    general kernel's pseudo-CARs, with singular and collinear designs; rows whose constant column is not 1 on some
    day are marked for the general kernel, and the battery's refits (``_leave_run_out``) give its numbers there."""
    from eventstudy.inference.resampling import _leave_run_out

    rng = np.random.default_rng(5)
    ar, x = random_rows(rng, 2, rows=40, t=120)
    x[0, 7, :, 1] = 0.0  # no market returns: X'X singular, no refit
    x[0, 8, :, 1] = 0.5  # a constant market column: collinear with the constant
    x[0, 9, 30, 0] = 2.0  # a return spanning two sessions: the constant column is not 1 on every day
    x[0, 10, :, 0] = rng.integers(1, 4, 123)  # spans of 1 to 3 sessions
    cols = np.arange(120)
    lengths = rng.integers(1, 30, 40)
    rows = np.zeros(40, dtype=np.int64), np.arange(40)
    pcar, has = np.empty((40, 100)), np.empty((40, 100), dtype=bool)
    leave_run_out(ar, cols, x, *rows, lengths, 100, pcar, has)
    two = [np.empty((40, 100)), np.empty((40, 100), dtype=bool), np.zeros(40, dtype=bool)]
    leave_run_out_2(ar, cols, x, *rows, lengths, 100, *two)
    assert np.flatnonzero(two[2]).tolist() == [9, 10]
    unit = ~two[2]
    np.testing.assert_array_equal(two[1][unit], has[unit])
    np.testing.assert_allclose(two[0][unit], pcar[unit], rtol=1e-12, atol=1e-15)
    got_pcar, got_has = _leave_run_out(ar, cols, x, rows, lengths, 100)
    np.testing.assert_array_equal(got_has, has)
    np.testing.assert_allclose(got_pcar, pcar, rtol=1e-12, atol=1e-15)
    assert not has[7:9].any()


def test_kernels_match_their_python_source():
    rng = np.random.default_rng(1)
    ar, x = random_rows(rng, 2, rows=4, t=12)
    args = (ar, np.arange(12), x, np.zeros(4, dtype=np.int64), np.arange(4), np.array([2, 3, 4, 2]), 9)
    for kernel, marks in ((leave_run_out, ()), (leave_run_out_2, (np.zeros(4, dtype=bool),))):
        got = [np.empty((4, 9)), np.empty((4, 9), dtype=bool), *(m.copy() for m in marks)]
        want = [np.empty((4, 9)), np.empty((4, 9), dtype=bool), *(m.copy() for m in marks)]
        kernel(*args, *got)
        kernel.py_func(*args, *want)
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_allclose(got[0], want[0], rtol=1e-15, atol=0.0)
    values, picks = np.array([[0.1, 0.2, 0.6, -0.3]]), rng.integers(0, 4, (1, 50, 4))
    got, want = np.empty(1), np.empty(1)
    bootstrap_p(values, picks, np.array([0.15]), np.array([0.4]), got)
    bootstrap_p.py_func(values, picks, np.array([0.15]), np.array([0.4]), want)
    assert got[0] == pytest.approx(want[0], rel=1e-15)


def test_drawn_caars_hand():
    """One pseudo-study of 3 firms, firms 0 and 2 on one day 0 (code 0), firm 1 on another (code 1); 2 runs."""
    pcar = np.array([[[0.01, 0.03], [0.02, np.nan], [0.00, -0.03]]])
    codes = np.array([[0, 1, 0]])
    offsets = np.array([[[0, 0], [1, 0], [0, 1], [1, 1]]], dtype=np.int32).transpose(0, 2, 1).copy()  # (days 0, draws)
    # draw 0: runs 0, 0, 0 → (0.01 + 0.02 + 0.00)/3 = 0.01; draw 1: firms 0, 2 on run 1, firm 1 on run 0
    # → (0.03 + 0.02 − 0.03)/3 = 0.00667; draw 2: firm 1 on run 1 has no data → (0.01 + 0.00)/2 = 0.005;
    # draw 3: (0.03 − 0.03)/2 = 0
    hits, n_fin = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    no_patch = np.empty((0, 2)), np.full((1, 3), -1)
    drawn_caars(pcar, *no_patch, codes, np.array([3]), np.array([0]), offsets, np.array([-0.006]), hits, n_fin)
    assert n_fin[0] == 4 and hits[0] == 2  # |0.01| and |0.00667| ≥ 0.006
    # firm 1 reads its own runs (a patch row: its window covers other sessions), [no data, 0.04]: the draws give
    # (0.01 + 0.00)/2 = 0.005, (0.03 − 0.03)/2 = 0, (0.01 + 0.04 + 0.00)/3 = 0.0167, (0.03 + 0.04 − 0.03)/3 = 0.0133
    patch, patch_row = np.array([[np.nan, 0.04]]), np.array([[-1, 0, -1]])
    drawn_caars(pcar, patch, patch_row, codes, np.array([3]), np.array([0]), offsets, np.array([0.013]), hits, n_fin)
    assert n_fin[0] == 4 and hits[0] == 2
    source = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)  # the kernel's Python source: the same
    drawn_caars.py_func(
        pcar, patch, patch_row, codes, np.array([3]), np.array([0]), offsets, np.array([0.013]), *source
    )
    assert source[1][0] == 4 and source[0][0] == 2


def test_enumerated_caars_hand():
    """Two pseudo-studies on one day 0 each; the second's third firm is padding (NaN)."""
    pcar = np.array([[[0.01, 0.03, np.nan], [0.03, -0.01, np.nan]], [[0.02, 0.0, 0.01], [np.nan] * 3]])
    hits, n_fin = np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64)
    # study 0: CAAR_s = 0.02, 0.01, none; study 1: 0.02, 0.0, 0.01
    enumerated_caars(pcar, np.empty((0, 3)), np.full((2, 2), -1), np.array([0, 1]), np.array([0.015, -0.01]),
                     hits, n_fin)  # fmt: skip
    assert n_fin.tolist() == [2, 3] and hits.tolist() == [1, 2]


def test_covered_sessions_hand():
    """Window columns 2 and 3: firm 0 has both returns (spans 1 and 3: 4 sessions), firm 1 only the second (a NaN
    span counts 0), firm 2 none."""
    ar = np.array([[[0.1, 0.2, 0.3, 0.4], [0.1, 0.2, np.nan, 0.4], [0.1, 0.2, np.nan, np.nan]]])
    span = np.array([[[1.0, 1.0, 1.0, 3.0], [1.0, 1.0, 2.0, np.nan], [1.0, 1.0, 1.0, 1.0]]])
    out = np.empty((1, 3), dtype=np.int64)
    covered_sessions(ar, span, np.array([2, 3]), out)
    assert out.tolist() == [[4, 0, 0]]
    span[0, 1, 3] = 2.0
    covered_sessions(ar, span, np.array([2, 3]), out)
    assert out.tolist() == [[4, 2, 0]]


def test_run_signs_hand():
    """Row 0: runs 0.2, −0.1, no data, 0.0 — one positive of three with data; row 1: none with data."""
    pcar = np.array([[0.2, -0.1, np.nan, 0.0], [np.nan] * 4])
    has = np.isfinite(pcar)
    for kernel in (run_signs, run_signs.py_func):
        positive, with_data = np.full(2, -1, dtype=np.int64), np.full(2, -1, dtype=np.int64)
        kernel(pcar, has, positive, with_data)
        assert positive.tolist() == [1, 0] and with_data.tolist() == [3, 0]


def test_two_column_refits_equal_the_general_kernel_on_edge_rows():
    """``leave_run_out_2`` (the market model's, written out) against the general ``leave_run_out`` and its own
    Python source: runs ending past the estimation days (no data), a run taking every return of a firm, a design
    singular without the run (a market return constant outside it) and a firm with few returns."""
    ar, x = random_rows(np.random.default_rng(12), 2, rows=5, t=14)
    x[0, 4, :, 1] = 0.003  # firm 4's market column constant: the constant and it are collinear
    x[0, 4, 5:8, 1] = 0.01  # except on days 5-7: a refit without the run of those days is singular
    ar[0, 3, :] = np.nan
    ar[0, 3, [2, 3]] = 0.01  # firm 3: two returns, both in the runs from day 1 or 2 of length 3
    args = (ar, np.arange(14), x, np.zeros(5, dtype=np.int64), np.arange(5), np.array([3, 9, 2, 3, 3]), 12)
    outs = [[np.empty((5, 12)), np.empty((5, 12), dtype=bool)] for _ in range(3)]
    marks = np.zeros(5, dtype=bool), np.zeros(5, dtype=bool)
    leave_run_out(*args, *outs[0])
    leave_run_out_2(*args, *outs[1], marks[0])
    leave_run_out_2.py_func(*args, *outs[2], marks[1])
    assert not marks[0].any() and not marks[1].any()  # (the constant column 1 on every day)
    pcar, has = outs[0]
    assert not has[1, 6:].any() and has[1, :6].any()  # runs of 9 days from day 6 on end past the 14 days
    assert not has[4, 5] and has[4, [0, 4, 6]].all()  # (the run of days 5-7 leaves a singular X'X)
    assert not has[3].any()  # never more returns outside a run than parameters
    for got_pcar, got_has in outs[1:]:
        np.testing.assert_array_equal(got_has, has)
        np.testing.assert_allclose(got_pcar, pcar, rtol=1e-12, atol=1e-15, equal_nan=True)
