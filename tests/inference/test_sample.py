"""eventstudy.inference.sample: ranks, medians, day totals and how window samples are built from the engine."""

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
    got = inf.ranks.row_median(x)[:, None]
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


def test_day_mean_over_firms_with_data():
    """Mean over firms of each day's finite values and their count: worked by hand (group 0) and against
    nanmean (group 1, random with gaps and an infinite value, left out like NaN)."""
    from eventstudy.inference.sample import _day_mean

    nan = np.nan
    x = np.array([[[1.0, nan, nan], [2.0, 4.0, 0.5], [nan, nan, nan]], [[0.0] * 3] * 3])
    rng = np.random.default_rng(3)
    x[1] = rng.normal(size=(3, 3))
    x[1, 0, 1] = np.inf
    mean, n = _day_mean(x)
    np.testing.assert_array_equal(mean[0], [1.5, 4.0, 0.5])
    np.testing.assert_array_equal(n, [[2, 1, 1], [3, 2, 3]])
    finite = np.where(np.isfinite(x[1]), x[1], nan)
    np.testing.assert_allclose(mean[1], np.nanmean(finite, axis=0), rtol=1e-15)


@pytest.mark.parametrize("python_source", [False, True])
def test_daily_rows_standardise_as_numpy_divides(monkeypatch, python_source):
    """``daily_rows`` gathers AR, SAR = AR / √Var(AR) and span in one pass: the AR only on estimation or counted
    days, a zero variance giving numpy's ±inf (NaN for 0/0), a padded row (−1) NaN throughout. Hand-worked."""
    from types import SimpleNamespace

    from eventstudy.inference import sample

    if python_source:
        monkeypatch.setattr(sample, "_gather_returns", sample._gather_returns.py_func)
    ab = SimpleNamespace(
        ar=np.array([[0.02, -0.03, 0.0, 0.05], [0.01, 0.04, -0.02, 0.06]]),
        ar_var=np.array([[0.0001, 0.0, 0.0, 0.0004], [0.0, 0.0016, np.nan, 0.0009]]),
        span=np.array([[1.0, 1.0, 2.0, 1.0], [1.0, 3.0, 1.0, 1.0]]),
        estimation=np.array([[True, True, False, False], [True, False, False, False]]),
    )
    counted = np.array([[False, False, True, False], [False, True, True, True]])
    with np.errstate(divide="ignore", invalid="ignore"):  # the Python source divides numpy scalars
        ar, sar, span = sample.daily_rows(ab, counted, np.array([0, 1, 2, 3]), np.array([1, -1, 0]))
    nan = np.nan
    np.testing.assert_array_equal(ar, [[0.01, 0.04, -0.02, 0.06], [nan] * 4, [0.02, -0.03, 0.0, nan]])
    np.testing.assert_allclose(sar, [[np.inf, 1.0, nan, 2.0], [nan] * 4, [2.0, -np.inf, nan, nan]], rtol=1e-12)
    np.testing.assert_array_equal(span, [[1.0, 3.0, 1.0, 1.0], [nan] * 4, [1.0, 1.0, 2.0, 1.0]])


def test_day0_codes_are_days_since_1970_in_any_unit():
    """2019-10-08 is day 18,177 after 1970-01-01 (49 years with 12 leap days: 49 · 365 + 12 = 17,897, plus the
    280 days from 1 January to 8 October 2019), whether its Timestamp is held in ns, µs or s (pandas 3 makes
    ``Timestamp("2019-10-08")`` in µs: read as ns, every day of three years shared one code)."""
    from types import SimpleNamespace

    import pandas as pd

    from eventstudy.inference.sample import day0_codes
    from eventstudy.model.engine import FirmEvent

    for unit in ("ns", "us", "s"):
        days = [pd.Timestamp("2019-10-08").as_unit(unit), pd.Timestamp("2019-10-09 15:00").as_unit(unit)]
        ab = SimpleNamespace(firm_events=[FirmEvent("e", t, t, d) for t, d in zip("AB", days, strict=True)])
        np.testing.assert_array_equal(day0_codes(ab), [18177, 18178])
