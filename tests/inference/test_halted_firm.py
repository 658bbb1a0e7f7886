"""Issue 21, item 1: the time-series tests count each firm once. 100 firms with +2 % abnormal return on day 0 and
i.i.d. noise; one of them halted so that its (four-session) return lands on day +3. Until issue 21 the tests added
the days' cross-sectional averages, so that one firm's late return was a day of its own, weighed 100 times any
other firm: ``bw_t`` fell from ≈ 10.6 to ≈ 1.0 and the rank and sign tests to ≈ 1.3–1.5, while ``csect_t`` and
``bmp_t`` did not move. Now every test gives about the all-trading statistic."""

from __future__ import annotations

import numpy as np
import pytest

import eventstudy.inference as inf
from eventstudy.inference.sample import WindowSample

N, T, SIGMA, EFFECT = 100, 250, 0.02, 0.02


def samples(seed: int) -> tuple[WindowSample, WindowSample]:
    """The same firms and noise, window [0, 0]: all trading (columns: T estimation days, day 0), and firm 0 halted
    on days 0..+2 (columns: T estimation days, day 0, day +3; its day +3 return spans sessions 0..+3)."""
    rng = np.random.default_rng(seed)
    est = rng.normal(0.0, SIGMA, (N, T))
    day0 = EFFECT + rng.normal(0.0, SIGMA, N)
    late = day0[0] + rng.normal(0.0, SIGMA, 3).sum()  # firm 0: days 0..+3 in one return

    def sample(ar: np.ndarray, span: np.ndarray, in_window: np.ndarray) -> WindowSample:
        sar = ar / (SIGMA * np.sqrt(span))
        car = np.nansum(np.where(in_window, ar, np.nan), axis=1)
        car_se = SIGMA * np.sqrt(np.where(in_window & np.isfinite(ar), span, 0).sum(axis=1))
        return WindowSample((0, 0), car, car_se, np.full(N, T - 2.0), ar=ar, sar=sar, span=span, in_window=in_window)

    trading = sample(np.column_stack([est, day0]), np.ones((N, T + 1)), np.r_[np.zeros(T, bool), True])
    ar = np.column_stack([est, day0, np.full(N, np.nan)])
    ar[0, T], ar[0, T + 1] = np.nan, late
    span = np.ones((N, T + 2))
    span[0, T + 1] = 4
    halted = sample(ar, span, np.r_[np.zeros(T, bool), True, True])
    return trading, halted


@pytest.mark.parametrize(
    ("name", "rel"),
    [("bw_t", 0.1), ("portfolio_t", 0.1), ("corrado_rank", 0.1), ("sign_cz", 0.1), ("csect_t", 0.15), ("bmp_t", 0.1)],
)
def test_one_halted_firm_leaves_the_statistic_at_its_all_trading_value(name, rel):
    """Over 20 seeds the ratio halted / all-trading stays within 0.94–1.03 for the time-series tests (it was
    about 0.1–0.3 before); the halted firm's CAR carries four sessions of noise, which moves csect_t the most
    (0.87–1.01) since its variance is the cross-section's."""
    test = inf.TESTS[name]
    for seed in range(10):
        trading, halted = samples(seed)
        all_trading, one_halted = test(trading).statistic, test(halted).statistic
        assert all_trading > 5.0  # a 2 % effect on 100 firms at σ = 2 % is plain to every test
        assert one_halted == pytest.approx(all_trading, rel=rel)


def test_the_halted_firms_late_return_counts_as_one_firm_hand_worked():
    """bw_t's window statistic is the mean of the firms' CARs, its variance S² L̄ with L̄ = (99 · 1 + 4) / 100."""
    _, halted = samples(0)
    aar = np.nanmean(halted.ar[:, :T], axis=0)
    s2 = np.var(aar, ddof=1)  # every estimation day has all N firms
    caar = np.nansum(halted.ar[:, T:], axis=1).mean()
    want = caar / np.sqrt(s2 * (99 * 1 + 4) / 100)
    assert inf.bw_t(halted).statistic == pytest.approx(want, rel=1e-12)
