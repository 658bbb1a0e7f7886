"""The padded layout of event groups and what a study's windows share (eventstudy.inference.padded)."""

from __future__ import annotations

import numpy as np

from eventstudy.inference.padded import Layout, StudyRows
from eventstudy.inference.sample import _event_groups, day0_codes


def test_layout_by_hand():
    """Groups of rows [2, 0], [] and [1] of three firm-events: two slots a group, the rest padded."""
    layout = Layout.of([np.array([2, 0]), np.array([], dtype=np.int64), np.array([1])], 3)
    assert (layout.g, layout.f, layout.whole) == (3, 2, False)
    np.testing.assert_array_equal(layout.mask, [[True, True], [False, False], [True, False]])
    np.testing.assert_array_equal(layout.source, [2, 0, -1, -1, 1, -1])
    got = layout.pad(np.array([10.0, 11.0, 12.0]))
    np.testing.assert_array_equal(got, [[12.0, 10.0], [np.nan, np.nan], [11.0, np.nan]])
    rows = layout.pad(np.arange(6.0).reshape(3, 2))  # trailing axes follow the slots
    np.testing.assert_array_equal(rows[0], [[4.0, 5.0], [0.0, 1.0]])
    assert np.isnan(rows[1]).all() and np.isnan(rows[2, 1]).all()


def test_whole_layout_pads_by_a_view():
    layout = Layout.of([np.array([0, 1]), np.array([2, 3])], 4)
    assert layout.whole and layout.mask.all()
    x = np.arange(8.0).reshape(4, 2)
    got = layout.pad(x)
    assert got.shape == (2, 2, 2) and np.shares_memory(got, x)
    assert not Layout.of([np.array([1, 0]), np.array([2, 3])], 4).whole  # rows out of order: a copy
    assert not Layout.of([np.array([0, 1]), np.array([2])], 3).whole  # a short group: padded


def test_layout_key_tells_layouts_apart():
    a = Layout.of([np.array([0, 1]), np.array([2])], 3)
    assert a.key == Layout.of([np.array([0, 1]), np.array([2])], 3).key
    assert a.key != Layout.of([np.array([0]), np.array([1, 2])], 3).key  # same rows, other groups
    assert a.key != Layout.of([np.array([0, 2]), np.array([1])], 3).key  # same sizes, other rows


def test_study_rows_pad_the_fit_of_each_layout(default_results):
    ab = default_results.abnormal
    groups = list(_event_groups(ab).values())
    rows = StudyRows(ab)
    full = Layout.of(groups, ab.n)
    fewer = Layout.of([g[1:] for g in groups], ab.n)  # each event without its first firm-event
    for layout in (full, fewer, full):
        got = rows.per_firm(layout)
        np.testing.assert_array_equal(got["dof"], layout.pad(ab.dof.astype(float)))
        np.testing.assert_array_equal(got["xtx_inv"], layout.pad(ab.xtx_inv))
        np.testing.assert_array_equal(got["sigma2"], layout.pad(ab.sigma2))
        np.testing.assert_array_equal(got["clusters"], layout.pad(day0_codes(ab).astype(float)))
    assert rows.per_firm(full) is rows.per_firm(full)  # the same layout again: padded once
