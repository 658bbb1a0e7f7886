"""eventstudy.inference.resampling: the portfolio t and the placebo p-value, by hand and by loop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eventstudy import inference as inf


def test_portfolio_hand(sample_of):
    # two firms, 4 estimation days, 1 window day
    ar = np.array([[0.01, -0.01, 0.02, 0.00, 0.03], [0.01, 0.01, 0.00, -0.02, 0.01]])
    w = np.array([False] * 4 + [True])
    s = sample_of(ar, w)
    aar = np.array([0.01, 0.0, 0.01, -0.01])  # estimation AARs
    sigma = math.sqrt(np.sum(aar**2) / (4 - 2))  # T − p, p = 2
    assert inf.portfolio_t(s).statistic == pytest.approx(0.02 / sigma)
    # a return spanning 3 sessions in the window triples its variance
    span = np.ones(ar.shape, dtype=int)
    span[:, -1] = 3
    assert inf.portfolio_t(sample_of(ar, w, span=span)).statistic == pytest.approx(0.02 / (sigma * math.sqrt(3)))


def test_placebo_hand(sample_of):
    # estimation ARs zero: every pseudo-CAAR is 0, so any non-zero CAAR has p = 1/(B+1)
    ar = np.zeros((3, 21))
    ar[:, -1] = 0.01
    s = sample_of(ar, [False] * 20 + [True], placebo_draws=99)
    r = inf.placebo_p(s)
    assert r.statistic == pytest.approx(0.01) and r.p_value == pytest.approx(1 / 100)


def test_cross_check_portfolio_with_numpy(random_sample):
    s = random_sample(2)
    aar = np.nanmean(s.ar, axis=0)
    est, win = aar[~s.in_window], aar[s.in_window]
    sigma = np.sqrt(np.sum(est**2) / (len(est) - 2))
    assert inf.portfolio_t(s).statistic == pytest.approx(win.sum() / (sigma * np.sqrt(len(win))))


def test_cross_check_placebo_loop(random_sample):
    s = random_sample(10)
    est = s.est_ar()
    length = s.length
    starts = est.shape[1] - length + 1
    caars = []
    for st in range(starts):
        block = est[:, st : st + length]
        has = np.isfinite(block).any(axis=1)
        caars.append(np.nansum(block, axis=1)[has].mean())
    draws = np.array(caars)[np.random.default_rng(s.seed).integers(0, starts, size=s.placebo_draws)]
    expected = (1 + np.sum(np.abs(draws) >= abs(s.car.mean()))) / (len(draws) + 1)
    r = inf.placebo_p(s)
    assert r.statistic == pytest.approx(s.car.mean()) and r.p_value == pytest.approx(expected)
