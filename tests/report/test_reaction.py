"""The report's section per event on abnormal volume, volatility, pre-event drift and diagnostics."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.report.reaction import reaction_views
from eventstudy.report.render import render_report


@pytest.fixture(scope="module")
def html(default_results) -> str:
    return render_report(default_results, "snapshot")


def test_every_event_has_its_section(html, default_results):
    n = len(default_results.study.events)
    for text in ("Abnormal volume and volatility", "Pre-event drift", "Estimation diagnostics"):
        assert html.count(text) == n
    assert html.count("<code>aar_joint_f</code></td>") == n


def test_the_numbers_shown_are_the_frames(html, default_results):
    tests = default_results.extra["reaction_tests"]
    row = tests[(tests["event_id"] == "us-suppliers-huawei-2019-05-15") & (tests["test"] == "cav_csect_t")
                & (tests["window_end"] == 5)].iloc[0]  # fmt: skip
    assert f"{row['estimate']:.3f}" in html and f"{row['statistic']:.2f}" in html
    pre = tests[(tests["measure"] == "pretrend") & (tests["test"] == "aar_joint_f")].iloc[0]
    assert f"{pre['statistic']:.3f}" in html


def test_flags_count_the_failing_diagnostics(default_results):
    views = reaction_views(default_results)
    est = default_results.estimates
    for event_id, view in views.items():
        part = est[est["event_id"] == event_id]
        fails = (part[["lb_p", "jb_p", "chow_p"]].to_numpy() < 0.01).any(axis=1)
        assert view["flagged"] == int(fails.sum())
        assert len(view["firms"]) == len(part)


def test_a_firm_without_volume_in_a_window_shows_a_dash_not_zero(default_results):
    # Hikvision was suspended on days 0 and +1 of the October event: no volume in [0, 1]
    view = reaction_views(default_results)["us-entity-list-2019-10-07"]
    hik = next(f for f in view["firms"] if f["ticker"] == "002415.SZ")
    k = list(default_results.study.event_windows).index((0, 1))
    assert np.isnan(hik["cells"][k]["cav"])
