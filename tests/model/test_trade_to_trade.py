"""eventstudy.model.trade_to_trade: the gather kernel (each firm-event's returns, spans and the benchmark over
the same spans) against element-wise indexing, compiled and as its Python source."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.model.trade_to_trade import _trade_to_trade


@pytest.mark.parametrize("python", [False, True], ids=["compiled", "python"])
def test_trade_to_trade_gather_equals_elementwise_indexing(python):
    """The gather kernel (compiled, and its Python source) against element-wise indexing of a small panel:
    rows running off either end of the panel, spans reaching before its first session, a zero level (numpy's
    x / 0) and a per-row last day."""
    kernel = _trade_to_trade.py_func if python else _trade_to_trade
    rng = np.random.default_rng(0)
    n_sessions, n_firms, n = 40, 5, 30
    returns = np.asfortranarray(rng.standard_normal((n_sessions, n_firms)))
    span = np.asfortranarray(rng.integers(0, 4, (n_sessions, n_firms)))
    level = 100.0 + rng.standard_normal(n_sessions).cumsum()
    level[7] = 0.0
    day0, cols = rng.integers(-5, n_sessions + 5, n), rng.integers(0, n_firms, n)
    rel_days = np.array([-3, -2, -1, 0, 1, 2, 6, 9])
    last = rng.integers(-1, 10, n)
    day0[0], last[0], span[8, cols[0]], span[9, cols[0]] = 8, 9, 1, 2  # returns since the zero level: 1 and 2 sessions
    out_r, out_m, out_s = np.empty((n, 8)), np.empty((n, 8)), np.empty((n, 8), dtype=np.int64)
    out_u = np.empty((n, 8), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        session = np.r_[np.nan, level[1:] / level[:-1] - 1.0]
    kernel(returns, span, level, session, day0, cols, rel_days, last, out_r, out_s, out_m, out_u)
    np.testing.assert_array_equal(out_u, np.isfinite(out_r) & np.isfinite(out_m))
    for i in range(n):
        for j, d in enumerate(rel_days):
            t = day0[i] + d
            if not (0 <= t < n_sessions) or d > last[i]:
                assert np.isnan(out_r[i, j]) and out_s[i, j] == 0 and np.isnan(out_m[i, j])
                continue
            k = span[t, cols[i]]
            assert out_s[i, j] == k
            np.testing.assert_equal(out_r[i, j], returns[t, cols[i]])
            with np.errstate(divide="ignore", invalid="ignore"):
                want = np.float64(level[t]) / np.float64(level[t - k]) - 1.0 if k > 0 and t >= k else np.nan
            np.testing.assert_equal(out_m[i, j], want)
    assert (out_s == 0).any() and np.isinf(out_m[0, 3:5]).all()  # the cases above were met
