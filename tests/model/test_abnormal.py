"""eventstudy.model.abnormal: the t statistics of a cumulated abnormal quantity (the CAR's and the cumulative
abnormal volume's); the cumulation itself is checked against per-row sums in tests/model/test_engine.py."""

from __future__ import annotations

import numpy as np
from scipy import stats

from eventstudy.model.abnormal import t_statistics


def test_t_statistics_by_hand():
    """CAR 1 with variance 4 on 10 d.f.: se 2, t 0.5, p = 2 P(T₁₀ > 0.5) = 0.6279…; a second firm-event with no
    return counted is NaN throughout; a zero variance gives an infinite t and p 0, as numpy's division does."""
    est, se, t, p = t_statistics(
        np.array([1.0, 2.0, 0.3]), np.array([4.0, 1.0, 0.0]), np.array([10, 10, 5]), np.array([False, True, False])
    )
    np.testing.assert_array_equal(est[[0, 2]], [1.0, 0.3])
    np.testing.assert_array_equal(se[[0, 2]], [2.0, 0.0])
    assert t[0] == 0.5 and np.isinf(t[2]) and p[2] == 0.0
    np.testing.assert_allclose(p[0], 2 * stats.t.sf(0.5, 10), rtol=1e-12)
    np.testing.assert_allclose(p[0], 0.62789, atol=5e-6)  # (P(T₁₀ > 0.5) = 0.31395, a t table to 5 places)
    assert all(np.isnan(x[1]) for x in (est, se, t, p))
