"""The joint pre-event drift test (eventstudy.inference.pretrend): hand-worked case, closed-form F and size."""

from __future__ import annotations

import numpy as np
from scipy import stats

from eventstudy.inference.pretrend import aar_joint_f


def test_hand_worked_case() -> None:
    # one firm; estimation ARs 1, -1, 1, -1 (mean 0, var 4/3); pre-window ARs 2 and NaN (one day with a return):
    # J = 2² / (4/3) = 3, against F(1, 3)
    ar = np.array([[1.0, -1.0, 1.0, -1.0, 2.0, np.nan]])
    est = np.array([[True, True, True, True, False, False]])
    pre = np.array([False, False, False, False, True, True])
    got = aar_joint_f(ar, est, pre, np.array([0]), 1)
    np.testing.assert_allclose(got["statistic"], [3.0], rtol=1e-12)
    np.testing.assert_allclose(got["p"], [stats.f.sf(3.0, 1, 3)], rtol=1e-12)
    assert got["L"].tolist() == [1] and got["T"].tolist() == [4]


def test_averages_over_the_firms_of_each_group() -> None:
    ar = np.array([[1.0, 3.0, 2.0], [3.0, 1.0, 0.0], [5.0, 5.0, 9.0]])
    est = np.array([[True, True, False]] * 3)
    pre = np.array([False, False, True])
    got = aar_joint_f(ar, est, pre, np.array([0, 0, 1]), 2)
    # group 0: estimation AARs 2, 2: variance 0, undefined; group 1 has T = 2 < 3: undefined
    assert np.isnan(got["statistic"]).all()


def test_size_under_the_null_with_a_shared_day_and_correlated_firms() -> None:
    rng = np.random.default_rng(12)
    studies, firms, t_est, pre_days = 2000, 30, 120, 10
    common = rng.normal(size=(studies, 1, t_est + pre_days))  # a market-wide shock each day (one shared day 0)
    ar = (0.6 * common + rng.normal(size=(studies, firms, t_est + pre_days))).reshape(studies * firms, -1)
    est = np.zeros(ar.shape, dtype=bool)
    est[:, :t_est] = True
    pre = np.arange(t_est + pre_days) >= t_est
    got = aar_joint_f(ar, est, pre, np.repeat(np.arange(studies), firms), studies)
    assert abs(float((got["p"] < 0.05).mean()) - 0.05) < 0.015  # Monte Carlo sd 0.5 pp


def test_rows_summed_in_blocks_give_the_per_group_means_of_all_rows(monkeypatch) -> None:
    """The day means are summed BATCH_FIRM_EVENTS rows at a time; blocks of 2 rows (cutting across the groups, with gaps)
    give each group's daily averages and J as one block does, and as the means taken group by group."""
    import eventstudy.inference.pretrend as pretrend

    rng = np.random.default_rng(4)
    ar = rng.normal(size=(11, 40))
    ar[rng.random(ar.shape) < 0.15] = np.nan  # days without a return
    est = np.zeros(ar.shape, dtype=bool)
    est[:, :30] = True
    pre = np.arange(40) >= 32
    groups = np.array([0, 1, 0, 2, 2, 1, 0, 2, 1, 1, 0])
    whole = aar_joint_f(ar, est, pre, groups, 3)
    monkeypatch.setattr(pretrend, "BATCH_FIRM_EVENTS", 2)
    blocks = aar_joint_f(ar, est, pre, groups, 3)
    for key in ("statistic", "p", "L", "T"):
        np.testing.assert_allclose(blocks[key], whole[key], rtol=1e-12)
    for g in range(3):  # the definition, group by group: AAR_t over the firms with a return that day
        mine = ar[groups == g]
        est_aar, pre_aar = np.nanmean(mine[:, :30], axis=0), np.nanmean(mine[:, 32:], axis=0)
        j = np.mean(pre_aar[np.isfinite(pre_aar)] ** 2) / np.var(est_aar[np.isfinite(est_aar)], ddof=1)
        np.testing.assert_allclose(blocks["statistic"][g], j, rtol=1e-12)
