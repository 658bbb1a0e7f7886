"""eventstudy.inference.vectorised: the battery computed for all events at once equals the per-event tests (the
reference: one WindowSample per event, each test function called on it), on the default study and on uneven
synthetic groups (sizes 1 to 30, interleaved rows, one-day windows where some firms have no return)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from eventstudy.data.universe import EW_BENCHMARK, load_universe, write_synthetic_universe
from eventstudy.inference import COLUMNS, TESTS, rank_rows, significance_table, window_samples
from eventstudy.inference.sample import _event_groups
from eventstudy.model.engine import FirmEvent, abnormal_returns
from eventstudy.placebo import PlaceboSpec, draw_events


def reference_table(ref, ab, windows, **kw) -> pd.DataFrame:
    """The table from the reference loops (tests/inference/reference.py): every test on every event's own sample."""
    groups = _event_groups(ab)
    rows = []
    for w in windows:
        for event_id, sample in window_samples(ab, w, groups=groups, **kw).items():
            for name in TESTS:
                r = getattr(ref, name)(sample)
                rows.append((event_id, w[0], w[1], name, r.statistic, r.p_value, r.n_firms))
    return pd.DataFrame(rows, columns=COLUMNS)


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(got) == len(want)
    for col in ("event_id", "window_start", "window_end", "test", "n_firms"):
        assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
    for col in ("statistic", "p_value"):
        a, b = got[col].to_numpy(float), want[col].to_numpy(float)
        assert (np.isnan(a) == np.isnan(b)).all(), col
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13, equal_nan=True, err_msg=col)


def test_default_study_equals_per_event_reference(ref, default_results, default_study):
    ab = default_results.abnormal
    windows = list(default_study.event_windows) + [(d, d) for d in range(-10, 21)]
    assert_same(significance_table(ab, tuple(windows)), reference_table(ref, ab, windows))


@pytest.fixture(scope="module")
def uneven(tmp_path_factory):
    path = write_synthetic_universe(tmp_path_factory.mktemp("u") / "universe.parquet", n_tickers=30, n_sessions=500)
    universe = load_universe(path)
    spec = PlaceboSpec(n_events=120, seed=5, window=(-5, 5), estimation_window=(-120, -11), min_estimation_returns=60)
    draw = draw_events(universe, spec)
    sizes = [1, 2, 3, 13, 7, 1, 30, 5, 11, 2, 25, 20]
    ids = np.repeat([f"E{i:02d}" for i in range(len(sizes))], sizes)
    rng = np.random.default_rng(0)
    ids = ids[rng.permutation(len(ids))]  # events' rows interleaved
    panel = universe.panel
    events = [FirmEvent(str(e), panel.returns.columns[t], panel.returns.columns[t], panel.sessions[d])
              for e, t, d in zip(ids, draw.ticker, draw.day0, strict=True)]  # fmt: skip
    return abnormal_returns(panel, EW_BENCHMARK, events, "market_model", (-120, -11), (-5, 5))


@pytest.mark.parametrize("windows", [((-5, 5), (0, 1)), ((0, 0), (3, 3), (-5, -5))])
def test_uneven_groups_equal_per_event_reference(ref, uneven, windows):
    got = significance_table(uneven, windows, placebo_draws=199, seed=7)
    assert_same(got, reference_table(ref, uneven, windows, placebo_draws=199, seed=7))
    assert got.statistic.notna().any() and got.statistic.isna().any()  # defined and undefined cases both met


def test_windows_that_leave_firms_out_of_the_shared_pair_sums(ref, uneven, monkeypatch):
    """kp_bmp_t's r̄ comes from the pair sums of all the firm-events, less the firms a window leaves out
    (battery._window_pair_correlation): with a fifth of the firms without a day-0 return, window (0, 0) leaves
    them out, and the table still equals the per-event reference, which computes r̄ on each window's own firms."""
    from dataclasses import replace

    from eventstudy.inference import cross_correlation

    left_out = []
    without = cross_correlation.PairCorrelations.without

    def spy(self, out, est, n):
        left_out.append(int(out.sum()))
        return without(self, out, est, n)

    monkeypatch.setattr(cross_correlation.PairCorrelations, "without", spy)
    ar = uneven.ar.copy()
    ar[::5, np.flatnonzero(uneven.rel_days == 0)[0]] = np.nan  # no day-0 return
    ab = replace(uneven, ar=ar)
    windows = ((0, 0), (1, 1), (-5, 5))
    got = significance_table(ab, windows, tests=["kp_bmp_t"])
    # (0, 0) leaves the fifth out (all but a firm whose day +1 return spans day 0); the others test every firm
    assert len(left_out) == 1 and left_out[0] >= 20
    want = reference_table(ref, ab, windows)
    assert_same(got, want[want.test == "kp_bmp_t"].reset_index(drop=True))
    assert got.statistic.notna().sum() > 10


def test_evicted_sets_of_firm_events_are_computed_again_with_the_same_numbers(ref, uneven, monkeypatch):
    """With one set of firm-events kept (battery.KEPT_SETS), windows that test all firms, then all but a fifth, then
    all again compute the first set's estimation-day results twice; the table still equals the per-event
    reference."""
    from dataclasses import replace

    from eventstudy.inference import battery

    ar = uneven.ar.copy()
    ar[::5, np.flatnonzero(uneven.rel_days == 0)[0]] = np.nan  # no day-0 return: (0, 0) leaves these out
    ab = replace(uneven, ar=ar)
    made = []
    kept = battery._kept_results

    def spy(caches, key):
        sets = caches.get("sets", {})
        made.append(key not in sets)
        return kept(caches, key)

    monkeypatch.setattr(battery, "KEPT_SETS", 1)
    monkeypatch.setattr(battery, "_kept_results", spy)
    windows = ((1, 1), (0, 0), (-5, 5))
    got = significance_table(ab, windows, placebo_draws=199, seed=3)
    assert made == [True, True, True]  # (1, 1)'s set evicted by (0, 0)'s, made again for (-5, 5)
    assert_same(got, reference_table(ref, ab, windows, placebo_draws=199, seed=3))


def test_events_tested_in_batches_give_the_reference_table(ref, uneven, monkeypatch):
    """A study larger than battery.BATCH_FIRM_EVENTS is tested batch by batch (each batch of events through every
    window): with batches of at most 25 firm-events (the uneven events: 1 to 30 firm-events, one batch of one event
    above the limit), every row equals the per-event reference, with firms left out in one window (its kp_bmp_t
    r̄ from the batch's pair sums)."""
    from dataclasses import replace

    from eventstudy.inference import battery

    ar = uneven.ar.copy()
    ar[::5, np.flatnonzero(uneven.rel_days == 0)[0]] = np.nan  # no day-0 return: (0, 0) leaves these out
    ab = replace(uneven, ar=ar)
    sizes = [len(r) for r in _event_groups(ab).values()]
    batches = battery.event_batches(sizes, 25)
    assert len(batches) > 3 and [sum(sizes[b]) for b in batches if sum(sizes[b]) > 25] == [30]
    made = []
    real = battery.window_battery

    def spy(ab, window, groups, *args, **kwargs):
        made.append(len(groups))
        return real(ab, window, groups, *args, **kwargs)

    monkeypatch.setattr(battery, "BATCH_FIRM_EVENTS", 25)
    monkeypatch.setattr(battery, "window_battery", spy)
    windows = ((-5, 5), (0, 0), (1, 1))
    got = significance_table(ab, windows, placebo_draws=199, seed=3)
    assert made == [b.stop - b.start for b in batches for _ in windows]  # batch by batch, each through every window
    assert_same(got, reference_table(ref, ab, windows, placebo_draws=199, seed=3))


def test_event_batches_are_consecutive_events_up_to_the_limit():
    from eventstudy.inference.battery import event_batches

    assert event_batches([3, 4, 2, 9, 1, 1], 7) == [slice(0, 2), slice(2, 3), slice(3, 4), slice(4, 6)]
    assert event_batches([5, 5], 10) == [slice(0, 2)]  # (the limit itself fits)
    assert event_batches([], 10) == [slice(0, 0)]  # (no event: one empty batch, the windows' empty rows)


def test_kept_sets_are_the_most_recently_used(monkeypatch):
    from eventstudy.inference import battery
    from eventstudy.inference.battery import _kept_results

    assert battery.KEPT_SETS == 1  # a study's windows come in runs of one set: one kept, the last used
    caches: dict = {}
    _kept_results(caches, ("a",))
    b = _kept_results(caches, ("b",))
    assert list(caches["sets"]) == [("b",)] and _kept_results(caches, ("b",)) is b
    monkeypatch.setattr(battery, "KEPT_SETS", 2)
    caches = {}
    a = _kept_results(caches, ("a",))
    _kept_results(caches, ("b",))
    assert _kept_results(caches, ("a",)) is a  # a used last: b is the least recently used
    _kept_results(caches, ("c",))
    assert list(caches["sets"]) == [("a",), ("c",)]


def test_subset_of_events_keeps_its_numbers(uneven):
    """Placebo seeds are keyed by the event, so a group's results do not depend on the other groups."""
    keys = {e: k for k, e in enumerate(_event_groups(uneven))}
    whole = significance_table(uneven, ((-5, 5),), event_keys=keys)
    keep = [i for i, fe in enumerate(uneven.firm_events) if fe.event_id in ("E03", "E06")]
    from dataclasses import replace

    sub = replace(uneven, firm_events=tuple(uneven.firm_events[i] for i in keep),
                  **{k: getattr(uneven, k)[keep] for k in ("returns", "market", "span", "design", "estimation",
                     "params", "xtx_inv", "sigma2", "n_est", "dof", "ar", "ar_var")})  # fmt: skip
    part = significance_table(sub, ((-5, 5),), event_keys=keys)
    want = whole[whole.event_id.isin(["E03", "E06"])].sort_values(["event_id"], kind="stable").reset_index(drop=True)
    got = part.sort_values(["event_id"], kind="stable").reset_index(drop=True)
    assert_same(got, want)


def test_rank_rows_with_ties_and_gaps():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, size=(50, 40)).astype(float)  # many ties
    x[rng.random(x.shape) < 0.2] = np.nan
    x[3] = np.nan
    x[7] = rng.standard_normal(40)  # a row without ties
    got = rank_rows(x)
    want = rankdata(x, axis=1, nan_policy="omit")
    np.testing.assert_array_equal(got, want)


def test_compiled_kernels_compute_what_their_python_source_computes(uneven, monkeypatch):
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
