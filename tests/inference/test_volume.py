"""Aggregate abnormal-volume tests (eventstudy.inference.volume): scipy cross-check, hand-worked case, size."""

from __future__ import annotations

import numpy as np
from scipy import stats

from eventstudy.inference.volume import grouped_t, volume_tests


def test_grouped_t_matches_scipy_one_sample_t() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(0.2, 1.0, 50)
    x[3] = np.nan  # a firm without a figure is left out
    groups = np.repeat([0, 1], 25)
    got = grouped_t(x, groups, 3)
    for g in (0, 1):
        ref = stats.ttest_1samp(x[groups == g][np.isfinite(x[groups == g])], 0.0)
        np.testing.assert_allclose([got["t"][g], got["p"][g]], [ref.statistic, ref.pvalue], rtol=1e-10)
    assert got["n"].tolist() == [24, 25, 0] and np.isnan(got["t"][2])


def test_hand_worked_case() -> None:
    # CAVs 1, 2, 3: mean 2, sd 1, t = 2/(1/√3) = 2√3
    got = volume_tests(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]), np.zeros(3, dtype=int), 1)
    np.testing.assert_allclose(got["cav_csect_t"]["t"], [2 * np.sqrt(3)], rtol=1e-12)
    assert np.isnan(got["cav_bmp_t"]["t"][0])  # no dispersion: undefined, not infinite


def test_size_under_the_null() -> None:
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(4000), 30)
    cav = rng.standard_t(6, groups.size)
    got = volume_tests(cav, cav / 1.3, groups, 4000)
    for name in ("cav_csect_t", "cav_bmp_t"):
        assert abs(float((got[name]["p"] < 0.05).mean()) - 0.05) < 0.011  # Monte Carlo sd 0.34 pp
