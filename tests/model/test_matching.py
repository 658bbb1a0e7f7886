"""Matched controls: characteristics against direct per-firm loops (numpy.polyfit, statistics), the standardised
distance by hand, and the eligibility rules."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from eventstudy.model.matching import characteristics, nearest


def _loop(returns, single, market):
    """One firm at a time, with the standard library and numpy.polyfit (not the vectorised code)."""
    out = []
    for j in range(returns.shape[1]):
        days = [t for t in range(len(market)) if single[t, j] and math.isfinite(returns[t, j])]
        r = [returns[t, j] for t in days]
        m = [market[t] for t in days]
        beta = np.polyfit(m, r, 1)[0]
        vol = statistics.stdev(r)
        growth = 1.0
        for t in range(len(market)):
            if math.isfinite(returns[t, j]):
                growth *= 1.0 + returns[t, j]
        out.append((beta, vol, growth - 1.0, len(days)))
    return out


def test_characteristics_against_a_per_firm_loop():
    rng = np.random.default_rng(3)
    t, k = 120, 7
    market = rng.normal(0, 0.01, t)
    r = 0.0003 + rng.uniform(0.5, 1.5, k) * market[:, None] + rng.normal(0, 0.02, (t, k))
    r[rng.random((t, k)) < 0.05] = np.nan  # halts
    single = rng.random((t, k)) > 0.03  # a few returns span a halt: not in beta or volatility, in pre_return
    got = characteristics(r, single, market)
    for j, (beta, vol, pre, n) in enumerate(_loop(r, single, market)):
        assert got["beta"][j] == pytest.approx(beta, rel=1e-10)
        assert got["volatility"][j] == pytest.approx(vol, rel=1e-12)
        assert got["pre_return"][j] == pytest.approx(pre, rel=1e-12)
        assert got["n_returns"][j] == n


def test_hand_worked_nearest():
    # Pool (beta, volatility, pre_return). Over the eligible rows 0..3: s_beta = √(1/6) = 0.408, s_vol = 0.00957,
    # s_pre = √(0.02/3) = 0.0816, so the distances are 0, √(1.5 + 1.091 + 1.5) = 2.023, √3 = 1.732, 2.089.
    pool = np.array([[1.0, 0.02, 0.10], [1.5, 0.03, 0.00], [0.5, 0.02, 0.20], [1.0, 0.04, 0.10], [1.0, 0.02, 0.10]])
    eligible = np.array([[True, True, True, True, False]])  # row 4 (identical to the target) is an event firm
    target = np.array([[1.0, 0.02, 0.10]])
    s = np.array([np.std([1, 1.5, 0.5, 1], ddof=1), np.std([0.02, 0.03, 0.02, 0.04], ddof=1),
                  np.std([0.1, 0.0, 0.2, 0.1], ddof=1)])  # fmt: skip
    expected = [0.0, math.sqrt((0.5 / s[0]) ** 2 + (0.01 / s[1]) ** 2 + (0.1 / s[2]) ** 2),
                math.sqrt((0.5 / s[0]) ** 2 + (0.1 / s[2]) ** 2), 0.02 / s[1]]  # fmt: skip
    idx, dist = nearest(target, pool, eligible, k=3)
    order = np.argsort(expected, kind="stable")[:3]
    assert idx[0].tolist() == order.tolist() == [0, 2, 1]
    assert dist[0].tolist() == pytest.approx([0.0, math.sqrt(3.0), 2.0226], abs=1e-4)
    assert np.allclose(dist[0], np.asarray(expected)[order], rtol=1e-12)


def test_too_few_eligible_or_unmatched_target():
    pool = np.array([[1.0, 0.02, 0.1], [1.2, 0.03, 0.0], [0.9, 0.01, 0.2]])
    idx, dist = nearest(np.array([[1.0, 0.02, 0.1]]), pool, np.array([[True, True, False]]), k=3)
    assert (idx == -1).all() and np.isnan(dist).all()
    idx, _ = nearest(np.array([[np.nan, 0.02, 0.1]]), pool, np.ones((1, 3), dtype=bool), k=2)
    assert (idx == -1).all()
