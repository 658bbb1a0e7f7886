"""eventstudy.inference.battery: the registry, power on a shifted window, the default study's table, and a small
size simulation on real SZSE returns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eventstudy import inference as inf
from eventstudy.inference import CLUSTERING_ROBUST, TEST_REFERENCES, TESTS
from eventstudy.inference.significance import _rows, _scores


def test_power_against_shifted_window(random_sample):
    s = random_sample(11, n=40, shift=0.03)
    for name, test in TESTS.items():
        if name in ("bhar_skew_t", "bhar_boot_t"):  # BHARs of the fixture are unrelated to the shift
            continue
        assert test(s).p_value < 0.05, name


def test_registry():
    assert set(TEST_REFERENCES) == set(TESTS)
    assert CLUSTERING_ROBUST <= set(TESTS)
    for name, fn in TESTS.items():
        assert fn.__doc__ and ("eq." in fn.__doc__ or "sec." in fn.__doc__), name
        assert fn.clustering_robust == (name in CLUSTERING_ROBUST)


NAMES = ["csect_t", "bw_t", "patell_z", "bmp_t", "kp_bmp_t", "corrado_rank", "sign_cz", "gen_sign_z", "grank_t",
         "wilcoxon_z", "bhar_skew_t", "bhar_boot_t", "portfolio_t", "placebo_p", "mvrm_wald", "garch_bmp_t"]  # fmt: skip


def test_default_study_has_every_test():
    from eventstudy.data import open_provider
    from eventstudy.spec.config import load_study
    from eventstudy.study.run import run_study

    root = Path(__file__).resolve().parents[2]
    study = load_study(root / "events.yaml")
    r = run_study(study, open_provider("snapshot"))
    tests = r.tests
    assert list(tests.columns) == inf.COLUMNS
    assert set(NAMES) <= set(tests.test)
    for w in study.event_windows:
        got = tests[(tests.window_start == w[0]) & (tests.window_end == w[1])]
        assert set(got.test) == set(NAMES)
    days = tests[tests.window_start == tests.window_end]
    assert set(days.window_start) >= set(range(study.daily_path[0], study.daily_path[1] + 1))
    # reproducible placebo draws
    again = inf.significance_table(r.abnormal, study.event_windows)
    first = inf.significance_table(r.abnormal, study.event_windows)
    assert again.equals(first)


UNIVERSE = Path(__file__).resolve().parents[3] / "shared" / "data" / "szse-universe-2015-2022.parquet"


@pytest.mark.skipif(not UNIVERSE.exists(), reason="SZSE universe not available")
def test_small_size_simulation_on_real_returns():
    from eventstudy.data.universe import load_universe
    from eventstudy.placebo import PlaceboSpec, run_placebo

    universe = load_universe(UNIVERSE)
    spec = PlaceboSpec(n_events=900, seed=11, window=(0, 5), extra_windows=((0, 0), (-1, 1)), workers=1,
                       expensive_tests="all")  # fmt: skip
    tests = run_placebo(universe, spec).tests  # 30 pseudo-studies of 30 random firm-events (bench.validation's)
    assert set(tests.test) == set(NAMES)
    # 30 studies × 3 windows = 90 p-values per test; a 5 % test rejects ≤ 15 % with overwhelming probability
    per_test = tests.assign(rej=tests.p_value < 0.05).groupby("test").rej.mean()
    assert (per_test <= 0.15).all(), per_test.to_dict()
    # p-values roughly uniform: mean in a loose band around ½
    mean_p = tests.groupby("test").p_value.mean()
    assert ((mean_p > 0.35) & (mean_p < 0.65)).all(), mean_p.to_dict()


def test_rows_of_two_windows_by_hand():
    """Two events, two tests, two windows: windows, then events, then tests, each score in its row."""
    first = {"csect_t": (np.array([1.0, 2.0]), np.array([0.1, 0.2]), np.array([5, 6])),
             "bw_t": (np.array([3.0, 4.0]), np.array([0.3, 0.4]), np.array([7, 8]))}  # fmt: skip
    second = {name: (got[0] * 10, got[1] / 10, got[2] + 1) for name, got in first.items()}
    names = ["bw_t", "csect_t"]
    table = _rows(["A", "B"], names, [(0, 1), (2, 2)], [_scores(first, names, 2), _scores(second, names, 2)])
    assert list(table.columns) == inf.COLUMNS
    assert table.event_id.tolist() == ["A", "A", "B", "B"] * 2
    assert table.test.tolist() == names * 4
    assert table.window_start.tolist() == [0] * 4 + [2] * 4 and table.window_end.tolist() == [1] * 4 + [2] * 4
    assert table.statistic.tolist() == [3.0, 1.0, 4.0, 2.0, 30.0, 10.0, 40.0, 20.0]
    assert table.p_value.tolist() == pytest.approx([0.3, 0.1, 0.4, 0.2, 0.03, 0.01, 0.04, 0.02], rel=1e-12)
    assert table.n_firms.tolist() == [7, 5, 8, 6, 8, 6, 9, 7]
    assert table.n_firms.dtype == np.int64 and table.statistic.dtype == float
    assert _rows(["A"], names, [], []).columns.tolist() == inf.COLUMNS  # no window: the header only
