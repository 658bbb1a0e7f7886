"""eventstudy.inference.cross_correlation: the mean pairwise correlation of a group's rows on pairwise-complete
days, against numpy's corrcoef pair by pair, a hand-worked case and the kernel's Python source."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.inference import cross_correlation as cc


def _loop(rows: np.ndarray) -> float:
    """Mean over pairs of np.corrcoef on the days both rows have a value (pairs of < 3 days or no spread left out)."""
    corrs = []
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            both = np.isfinite(rows[i]) & np.isfinite(rows[j])
            if both.sum() < 3 or rows[i, both].std() == 0 or rows[j, both].std() == 0:
                continue
            corrs.append(np.corrcoef(rows[i, both], rows[j, both])[0, 1])
    return float(np.mean(corrs)) if corrs and len(rows) >= 2 else float("nan")


def test_hand_worked_pairs():
    """Rows (1, 2, 3), (2, 4, 6) and (3, 2, 1): correlations +1, −1, −1, mean −1/3; a single row: NaN."""
    est = np.array([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 2.0, 1.0]]])
    assert cc.mean_pair_correlation(est, np.array([3]))[0] == pytest.approx(-1.0 / 3.0, rel=1e-14)
    assert np.isnan(cc.mean_pair_correlation(est[:, :1], np.array([1]))[0])


def test_matches_corrcoef_on_pairwise_complete_days():
    """Groups with complete rows, rows with gaps (halts), a row without spread, a padded row and a row of two
    days (no pair with it has three)."""
    rng = np.random.default_rng(11)
    common = rng.normal(size=(6, 1, 120))
    est = 0.4 * common + rng.normal(size=(6, 8, 120))
    est[rng.random(est.shape) < 0.03] = np.nan
    est[:, :4] = 0.4 * common[:, :, :] + rng.normal(size=(6, 4, 120))  # complete rows
    est[1, 5] = 0.0  # no spread
    est[2, 7] = np.nan  # a padded slot
    est[3, 6, 2:] = np.nan  # two days only
    n = np.array([8, 8, 7, 8, 8, 8])
    got = cc.mean_pair_correlation(est, n)
    want = [_loop(est[g, : n[g]]) for g in range(6)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_kernel_computes_what_its_python_source_computes(monkeypatch):
    rng = np.random.default_rng(12)
    est = rng.normal(size=(3, 5, 30))
    est[rng.random(est.shape) < 0.1] = np.nan
    est[:, :2] = rng.normal(size=(3, 2, 30))
    n = np.array([5, 5, 5])
    compiled = cc.mean_pair_correlation(est, n)
    monkeypatch.setattr(cc, "_pair_sums", cc._pair_sums.py_func)
    np.testing.assert_allclose(cc.mean_pair_correlation(est, n), compiled, rtol=1e-15)


def test_many_whole_rows_and_a_few_with_gaps_match_corrcoef():
    """Forty rows with a value on every day (their pairs summed in closed form, ``(‖Σ z‖² − Σ ‖z‖²) / 2``), five
    with halts (pair by pair) and a group of whole rows only, with a common factor and without (r̄ near 0)."""
    rng = np.random.default_rng(13)
    common = rng.normal(size=(3, 1, 200))
    est = np.stack([0.5 * common[0], 0.0 * common[1], 0.3 * common[2]])[:, :, :] + rng.normal(size=(3, 45, 200))
    gaps = rng.random((3, 5, 200)) < 0.08
    est[:2, 40:][gaps[:2]] = np.nan  # groups 0 and 1: five rows with gaps; group 2: every row whole
    n = np.array([45, 45, 45])
    got = cc.mean_pair_correlation(est, n)
    want = [_loop(est[g]) for g in range(3)]
    assert abs(want[1]) < 0.01 and want[0] > 0.1
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_pair_sums_less_left_out_rows_equal_the_kept_rows_own():
    """``PairCorrelations.without``: r̄ of each group less some rows (whole rows, rows with gaps, all but one,
    none, all) equals r̄ computed on the kept rows alone, and the pair-by-pair corrcoef reference."""
    rng = np.random.default_rng(14)
    common = rng.normal(size=(5, 1, 90))
    est = 0.4 * common + rng.normal(size=(5, 12, 90))
    gaps = rng.random(est.shape) < 0.05
    gaps[:, :6] = False  # rows 0..5 whole, 6..11 with gaps
    est[gaps] = np.nan
    est[4, 10:] = np.nan  # group 4 has ten firms (two padded slots)
    left_out = np.zeros((5, 12), dtype=bool)
    left_out[0, [1, 7]] = True  # a whole row and a row with gaps
    left_out[1, [2, 3, 8, 9, 10]] = True
    left_out[2, 1:] = True  # one firm kept: NaN
    left_out[4, :10] = True  # every firm left out: NaN
    sizes = np.array([12, 12, 12, 12, 10])
    sums = cc.PairCorrelations(est)
    kept_rows = [np.flatnonzero(~left_out[g, : sizes[g]]) for g in range(5)]
    n = np.array([len(k) for k in kept_rows])
    width = max(1, int(left_out.sum(axis=1).max()))
    est_left = np.full((5, width, 90), np.nan)
    for g in range(5):
        rows = np.flatnonzero(left_out[g])
        est_left[g, : len(rows)] = est[g, rows]
    got = sums.without(left_out, est_left, n)
    kept = np.full((5, 12, 90), np.nan)
    for g in range(5):
        kept[g, : n[g]] = est[g, kept_rows[g]]
    np.testing.assert_allclose(got, cc.mean_pair_correlation(kept, n), rtol=1e-12)
    want = [_loop(est[g, kept_rows[g]]) if n[g] >= 2 else float("nan") for g in range(5)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.isnan(got[2]) and np.isnan(got[4]) and np.isfinite(got[[0, 1, 3]]).all()
    np.testing.assert_allclose(sums.without(np.zeros((5, 12), bool), np.full((5, 1, 90), np.nan), sizes),
                               cc.mean_pair_correlation(est, sizes), rtol=1e-12)  # fmt: skip


def test_pair_sums_less_a_row_hand_worked():
    """Rows (1, 2, 3), (2, 4, 6), (3, 2, 1): pairs +1, −1, −1. Less the second row only the pair of the first and
    third is left: r̄ = −1; less the third, +1; less nothing, −1/3."""
    est = np.array([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 2.0, 1.0]]])
    sums = cc.PairCorrelations(est)
    assert sums.pairs[0] == 3 and sums.total[0] == pytest.approx(-1.0, rel=1e-14)
    np.testing.assert_allclose(sums.row_total[0], [0.0, 0.0, -2.0], atol=1e-14)  # each row's pairs: +1 −1, +1 −1, −1 −1
    second = sums.without(np.array([[False, True, False]]), est[:, 1:2], np.array([2]))
    third = sums.without(np.array([[False, False, True]]), est[:, 2:3], np.array([2]))
    none = sums.without(np.zeros((1, 3), bool), np.full((1, 1, 3), np.nan), np.array([3]))
    assert second[0] == pytest.approx(-1.0, rel=1e-14) and third[0] == pytest.approx(1.0, rel=1e-14)
    assert none[0] == pytest.approx(-1.0 / 3.0, rel=1e-14)


def test_pair_sums_compile_once_for_the_layouts_of_their_callers():
    """The battery passes a view of the estimation days, the study's gathered rows are contiguous and the
    report's fitted residuals are in Fortran order (boolean indexing of their columns): one compiled signature for
    all three, each with the numbers of the contiguous copy, in a fresh process."""
    import subprocess
    import sys

    code = """
import numpy as np
from eventstudy.inference import cross_correlation as cc
rng = np.random.default_rng(3)
full = rng.normal(size=(2, 6, 45))
full[rng.random(full.shape) < 0.1] = np.nan
n = np.array([6, 6])
view = full[..., :40]
got = [cc.mean_pair_correlation(a, n) for a in (view, np.ascontiguousarray(view), np.asfortranarray(view))]
print(len(cc._pair_sums.signatures()), all(np.array_equal(g, got[1]) for g in got))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "True"]
