"""eventstudy.inference.sample: ranks, medians and how window samples are built from the engine."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from eventstudy import inference as inf
from eventstudy.inference import rank_rows


def test_rank_rows_matches_scipy():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 5, size=(6, 9)).astype(float)  # many ties
    x[2, 3] = np.nan
    ranks = rank_rows(x)
    for i in range(6):
        ok = np.isfinite(x[i])
        np.testing.assert_allclose(ranks[i, ok], stats.rankdata(x[i, ok]))
        assert np.isnan(ranks[i, ~ok]).all()


def test_row_median_matches_nanmedian():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(7, 10))
    x[0, :3] = np.nan  # odd count
    x[1, :4] = np.nan  # even count
    x[2, :] = np.nan  # nothing
    got = inf.sample._row_median(x)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanmedian(x, axis=1, keepdims=True)
    np.testing.assert_array_equal(got, expected)


def test_p_values_match_scipy_stats():
    for t, df in ((0.3, 5), (-2.5, 30), (4.0, 249.0), (float("nan"), 10)):
        np.testing.assert_equal(inf.sample._two_sided_t(t, df), 2 * stats.t.sf(abs(t), df))
        np.testing.assert_equal(inf.sample._two_sided_z(t), 2 * stats.norm.sf(abs(t)))


def test_window_samples_from_engine(default_results, default_study):
    ab = default_results.abnormal
    window = default_study.event_windows[0]
    samples = inf.window_samples(ab, window)
    res = ab.cumulate(ab.overlap(window))  # the returns whose span overlaps the window (engine.overlap)
    assert sum(s.n for s in samples.values()) == int((res["n_obs"] > 0).sum())
    for k, s in enumerate(samples.values()):
        assert s.window == window and s.ar.shape == s.sar.shape == (s.n, int(s.in_window.size))
        # [-1, 1] plus day +2, where the halted Hikvision's and Dahua's returns spanning 0..+2 end (Entity List
        # event; the window columns are shared by all events, the other event's firms have no AR there)
        assert s.in_window.sum() == window[1] - window[0] + 1 + 1
        assert s.seed == (0, k, window[0] + 100_000, window[1] + 100_000)
        assert np.isfinite(s.est_ar()).any(axis=1).all()  # estimation-period ARs for every firm
    # event_keys: a subset of the events keeps the seeds it has in the whole
    keyed = inf.window_samples(ab, window, event_keys={e: 7 for e in samples})
    assert all(s.seed[1] == 7 for s in keyed.values())


@pytest.mark.parametrize("m", [1, 2, 5])
def test_merged_ranks_equal_the_ranks_of_the_joined_rows(m):
    """Mid-ranks of ``[base, extra]`` from the base's own ranks and comparisons equal a sort of the joined rows,
    with many ties (small integers), missing values in both parts and rows with nothing finite."""
    from eventstudy.inference.sample import merged_ranks

    rng = np.random.default_rng(m)
    base = rng.integers(0, 6, (400, 30)).astype(float)
    extra = rng.integers(0, 6, (400, m)).astype(float)
    base[rng.random(base.shape) < 0.2] = np.nan
    extra[rng.random(extra.shape) < 0.3] = np.nan
    base[:3] = np.nan
    got_base, got_extra = merged_ranks(base, rank_rows(base), extra)
    want = rank_rows(np.concatenate([base, extra], axis=1))
    np.testing.assert_array_equal(got_base, want[:, :30])
    np.testing.assert_array_equal(got_extra, want[:, 30:])


@pytest.mark.parametrize("m", [1, 3, 7])
def test_merged_median_equals_the_median_of_the_joined_rows(m):
    """The median of ``[base, extra]`` from the base rows sorted and a few extra values: the same value as
    ``np.nanmedian`` of the joined rows, with ties, missing values and empty rows (even and odd counts)."""
    from eventstudy.inference.sample import merged_median, rank_sort_rows

    rng = np.random.default_rng(10 + m)
    base = rng.integers(0, 9, (500, 25)).astype(float) + rng.normal(0, 1, (500, 25)) * (rng.random((500, 1)) < 0.5)
    extra = rng.integers(0, 9, (500, m)).astype(float)
    base[rng.random(base.shape) < 0.3] = np.nan
    extra[rng.random(extra.shape) < 0.4] = np.nan
    base[:4] = np.nan
    extra[:2] = np.nan
    got = merged_median(rank_sort_rows(base)[1], extra)[:, 0]
    joined = np.concatenate([base, extra], axis=1)
    empty = ~np.isfinite(joined).any(axis=1)
    want = np.full(len(joined), np.nan)
    want[~empty] = np.nanmedian(joined[~empty], axis=1)
    np.testing.assert_array_equal(got, want)
