"""paths: the CAR and CAAR paths from day 0 agree with the tables' [0, k] windows; the band is the
hand-worked variance."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("event_id", ["us-entity-list-2019-10-07", "us-suppliers-huawei-2019-05-15"])
def test_the_caar_chart_from_day_0_is_the_tables_caar(default_results, event_id):
    """The chart's CAAR at day k is the headline's CAAR over [0, k] (summary.csv), for every [0, k] window."""
    from eventstudy.report.paths import event_paths
    from eventstudy.study.summary import study_summary

    path = event_paths(default_results, [event_id])[event_id]
    assert path.days[0] == 0
    summary = study_summary(default_results)
    rows = summary[(summary.event_id == event_id) & (summary.window_start == 0)]
    assert len(rows) == 3  # [0, 1], [0, 5], [0, 10]
    for r in rows.itertuples():
        k = int(np.flatnonzero(path.days == r.window_end)[0])
        assert path.caar[k] == pytest.approx(r.caar, rel=1e-12, abs=1e-15)
        assert path.n_firms[k] == r.n_firms


def test_the_caar_band_is_the_hand_worked_variance(default_results):
    """Var(CAAR_t) = (Σ s_i² + r̄ Σ_{i≠j} s_i s_j) / N², worked out here with explicit pairs for day 5."""
    from eventstudy.report.paths import event_paths

    event_id = "us-suppliers-2019-10-07"
    path = event_paths(default_results, [event_id])[event_id]
    s = path.se[:, 5]
    pairs = sum(s[i] * s[j] for i in range(len(s)) for j in range(len(s)) if i != j)
    var = (float((s**2).sum()) + max(path.rbar, 0.0) * pairs) / len(s) ** 2
    assert path.caar_se[5] == pytest.approx(np.sqrt(var), rel=1e-12)
    assert path.upper[5] - path.caar[5] == pytest.approx(1.959963984540054 * np.sqrt(var), rel=1e-12)


def test_rbar_is_the_mean_cross_correlation_of_the_firms_estimation_returns(default_results):
    """The band's r̄ is :func:`mean_cross_correlation` of the event's firms' ARs on their estimation returns; the
    four surveillance-technology firms move together (0 < r̄ < 1)."""
    from eventstudy.inference import mean_cross_correlation
    from eventstudy.report.paths import event_paths

    event_id = "us-entity-list-2019-10-07"
    path = event_paths(default_results, [event_id])[event_id]
    ab = default_results.abnormal
    rows = [i for i, fe in enumerate(ab.firm_events) if fe.event_id == event_id]
    assert path.rows.tolist() == rows and path.n_firms[-1] == 4
    fitted = np.where(ab.estimation[rows], ab.ar[rows], np.nan)[:, ab.in_estimation]
    assert path.rbar == pytest.approx(mean_cross_correlation(fitted), rel=1e-12)
    assert 0 < path.rbar < 1
