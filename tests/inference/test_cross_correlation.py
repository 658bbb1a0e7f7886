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
    monkeypatch.setattr(cc, "_mean_pair_correlation", cc._mean_pair_correlation.py_func)
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
