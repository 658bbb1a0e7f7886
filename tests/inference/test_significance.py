"""eventstudy.inference.significance: how a study's windows are run gives the per-event reference's numbers — the
pair sums shared by a study's windows, the kept sets of firm-events (evicted and made again), events tested in
batches, and a subset of events keeping its numbers."""

from __future__ import annotations

import numpy as np

from eventstudy.inference import significance_table
from eventstudy.inference.sample import _event_groups


def test_windows_that_leave_firms_out_of_the_shared_pair_sums(ref, uneven, monkeypatch, reference_table, assert_same):
    """kp_bmp_t's r̄ comes from the pair sums of all the firm-events, less the firms a window leaves out
    (significance._window_pair_correlation): with a fifth of the firms without a day-0 return, window (0, 0) leaves
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


def test_evicted_sets_of_firm_events_are_computed_again_with_the_same_numbers(
    ref, uneven, monkeypatch, reference_table, assert_same
):
    """With one set of firm-events kept (significance.KEPT_SETS), windows that test all firms, then all but a fifth, then
    all again compute the first set's estimation-day results twice; the table still equals the per-event
    reference."""
    from dataclasses import replace

    from eventstudy.inference import significance

    ar = uneven.ar.copy()
    ar[::5, np.flatnonzero(uneven.rel_days == 0)[0]] = np.nan  # no day-0 return: (0, 0) leaves these out
    ab = replace(uneven, ar=ar)
    made = []
    kept = significance._kept_results

    def spy(caches, key):
        sets = caches.get("sets", {})
        made.append(key not in sets)
        return kept(caches, key)

    monkeypatch.setattr(significance, "KEPT_SETS", 1)
    monkeypatch.setattr(significance, "_kept_results", spy)
    windows = ((1, 1), (0, 0), (-5, 5))
    got = significance_table(ab, windows, placebo_draws=199, seed=3)
    assert made == [True, True, True]  # (1, 1)'s set evicted by (0, 0)'s, made again for (-5, 5)
    assert_same(got, reference_table(ref, ab, windows, placebo_draws=199, seed=3))


def test_events_tested_in_batches_give_the_reference_table(ref, uneven, monkeypatch, reference_table, assert_same):
    """A study larger than significance.BATCH_FIRM_EVENTS is tested batch by batch (each batch of events through every
    window): with batches of at most 25 firm-events (the uneven events: 1 to 30 firm-events, one batch of one event
    above the limit), every row equals the per-event reference, with firms left out in one window (its kp_bmp_t
    r̄ from the batch's pair sums)."""
    from dataclasses import replace

    from eventstudy.inference import significance

    ar = uneven.ar.copy()
    ar[::5, np.flatnonzero(uneven.rel_days == 0)[0]] = np.nan  # no day-0 return: (0, 0) leaves these out
    ab = replace(uneven, ar=ar)
    sizes = [len(r) for r in _event_groups(ab).values()]
    batches = significance.event_batches(sizes, 25)
    assert len(batches) > 3 and [sum(sizes[b]) for b in batches if sum(sizes[b]) > 25] == [30]
    made = []
    real = significance.window_battery

    def spy(ab, window, groups, *args, **kwargs):
        made.append(len(groups))
        return real(ab, window, groups, *args, **kwargs)

    monkeypatch.setattr(significance, "BATCH_FIRM_EVENTS", 25)
    monkeypatch.setattr(significance, "window_battery", spy)
    windows = ((-5, 5), (0, 0), (1, 1))
    got = significance_table(ab, windows, placebo_draws=199, seed=3)
    assert made == [b.stop - b.start for b in batches for _ in windows]  # batch by batch, each through every window
    assert_same(got, reference_table(ref, ab, windows, placebo_draws=199, seed=3))


def test_event_batches_are_consecutive_events_up_to_the_limit():
    from eventstudy.inference.significance import event_batches

    assert event_batches([3, 4, 2, 9, 1, 1], 7) == [slice(0, 2), slice(2, 3), slice(3, 4), slice(4, 6)]
    assert event_batches([5, 5], 10) == [slice(0, 2)]  # (the limit itself fits)
    assert event_batches([], 10) == [slice(0, 0)]  # (no event: one empty batch, the windows' empty rows)


def test_kept_sets_are_the_most_recently_used(monkeypatch):
    from eventstudy.inference import significance
    from eventstudy.inference.significance import _kept_results

    assert significance.KEPT_SETS == 1  # a study's windows come in runs of one set: one kept, the last used
    caches: dict = {}
    _kept_results(caches, ("a",))
    b = _kept_results(caches, ("b",))
    assert list(caches["sets"]) == [("b",)] and _kept_results(caches, ("b",)) is b
    monkeypatch.setattr(significance, "KEPT_SETS", 2)
    caches = {}
    a = _kept_results(caches, ("a",))
    _kept_results(caches, ("b",))
    assert _kept_results(caches, ("a",)) is a  # a used last: b is the least recently used
    _kept_results(caches, ("c",))
    assert list(caches["sets"]) == [("a",), ("c",)]


def test_subset_of_events_keeps_its_numbers(uneven, assert_same):
    """Placebo seeds are keyed by the event, so a group's results do not depend on the other groups."""
    keys = {e: k for k, e in enumerate(_event_groups(uneven))}
    whole = significance_table(uneven, ((-5, 5),), event_keys=keys)
    keep = [i for i, fe in enumerate(uneven.firm_events) if fe.event_id in ("E03", "E06")]
    sub = uneven.rows(np.array(keep))
    part = significance_table(sub, ((-5, 5),), event_keys=keys)
    want = whole[whole.event_id.isin(["E03", "E06"])].sort_values(["event_id"], kind="stable").reset_index(drop=True)
    got = part.sort_values(["event_id"], kind="stable").reset_index(drop=True)
    assert_same(got, want)


def test_firm_events_left_out_give_the_reference_table_of_the_others(
    ref, uneven, monkeypatch, reference_table, assert_same
):
    """``excluded``: every third firm-event and the whole of E06 (one firm-event) left out — in one batch and in
    batches of at most 25 firm-events — give the per-event reference over ``without(ab, excluded)``, whose left-out
    rows hold no return (E06 keeps its rows, untested); in one batch the battery reads the study's own arrays (no
    copy of the daily ARs). (These events' rows are interleaved, so a batch's rows are gathered.)"""
    from eventstudy.inference import significance
    from eventstudy.model.engine import without

    excluded = np.zeros(len(uneven.ar), dtype=bool)
    excluded[::3] = True
    excluded[_event_groups(uneven)["E06"]] = True
    windows = ((-5, 5), (0, 0), (1, 3))
    want = reference_table(ref, without(uneven, excluded), windows, placebo_draws=199, seed=3)
    assert (want[want.event_id == "E06"].n_firms == 0).all() and (want.n_firms > 0).sum() > 100
    tested = []
    real = significance.window_battery

    def spy(ab, window, groups, *args, **kwargs):
        assert ab is uneven
        tested.extend(int(i) for rows in groups.values() for i in rows)
        return real(ab, window, groups, *args, **kwargs)

    monkeypatch.setattr(significance, "window_battery", spy)
    got = significance_table(uneven, windows, placebo_draws=199, seed=3, excluded=excluded)
    assert_same(got, want)
    assert len(tested) == len(windows) * int((~excluded).sum())  # only the others reach a window's groups
    monkeypatch.setattr(significance, "window_battery", real)
    monkeypatch.setattr(significance, "BATCH_FIRM_EVENTS", 25)
    assert_same(significance_table(uneven, windows, placebo_draws=199, seed=3, excluded=excluded), want)
