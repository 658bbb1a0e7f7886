"""eventstudy.inference.vectorised: the battery computed for all events at once equals the per-event tests (the
reference: one WindowSample per event, each test function called on it), on the default study and on uneven
synthetic groups (sizes 1 to 30, interleaved rows, one-day windows where some firms have no return)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from eventstudy.inference import rank_rows, significance_table


def test_default_study_equals_per_event_reference(ref, default_results, default_study, reference_table, assert_same):
    ab = default_results.abnormal
    windows = list(default_study.event_windows) + [(d, d) for d in range(-10, 21)]
    assert_same(significance_table(ab, tuple(windows)), reference_table(ref, ab, windows))


@pytest.mark.parametrize("windows", [((-5, 5), (0, 1)), ((0, 0), (3, 3), (-5, -5))])
def test_uneven_groups_equal_per_event_reference(ref, uneven, windows, reference_table, assert_same):
    got = significance_table(uneven, windows, placebo_draws=199, seed=7)
    assert_same(got, reference_table(ref, uneven, windows, placebo_draws=199, seed=7))
    assert got.statistic.notna().any() and got.statistic.isna().any()  # defined and undefined cases both met


def test_rank_rows_with_ties_and_gaps():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, size=(50, 40)).astype(float)  # many ties
    x[rng.random(x.shape) < 0.2] = np.nan
    x[3] = np.nan
    x[7] = rng.standard_normal(40)  # a row without ties
    got = rank_rows(x)
    want = rankdata(x, axis=1, nan_policy="omit")
    np.testing.assert_array_equal(got, want)


def test_compiled_kernels_compute_what_their_python_source_computes(uneven, monkeypatch, assert_same):
    """Every compiled kernel the battery and its array preparation call, run as the Python it is written in
    (what ``NUMBA_DISABLE_JIT=1`` runs), gives the same table."""
    from eventstudy.inference import cross_correlation, ranks, sample, vectorised

    names = ["bw_t", "kp_bmp_t", "corrado_rank", "sign_cz", "grank_t", "portfolio_t"]
    compiled = significance_table(uneven, ((-5, 5), (0, 0)), tests=names)
    kernels = {sample: ["_gather_returns", "_gather_design", "_firm_day_totals"], vectorised: ["_firm_window_sums"],
               ranks: ["_sort_keys", "_sorted_rows", "_merge_rows"], cross_correlation: ["_pair_sums"]}  # fmt: skip
    for module, kernel_names in kernels.items():
        for name in kernel_names:
            monkeypatch.setattr(module, name, getattr(module, name).py_func)
    source = significance_table(uneven, ((-5, 5), (0, 0)), tests=names)
    assert source.statistic.notna().sum() > 20
    assert_same(source, compiled)
