"""The portfolio t and the placebo p-value of eventstudy.inference: by hand, by loop and against statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eventstudy import inference as inf
from eventstudy.inference import WindowSample, window_samples


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
    s = sample_of(ar, [False] * 20 + [True])
    r = inf.placebo_p(s)  # 20 one-day pseudo-windows, none as large: p = 1/21
    assert r.statistic == pytest.approx(0.01) and r.p_value == pytest.approx(1 / 21)
    # two of the 20 pseudo-CAARs as large as the CAAR (one equal, one larger in absolute value): p = 3/21
    ar[:, 3], ar[:, 7] = 0.01, -0.02
    assert inf.placebo_p(sample_of(ar, [False] * 20 + [True])).p_value == pytest.approx(3 / 21)


def test_placebo_compares_a_halted_firms_return_with_runs_of_as_many_sessions(sample_of):
    """A firm halted on day 0 whose one window return spans 3 sessions is compared with 3-day runs of its own
    estimation ARs (trade-to-trade: about 3 times a session's variance), not 1-day runs."""
    est = np.array([[0.003, 0.003, 0.003, 0.0, 0.0, 0.0], [0.0] * 6])
    ar = np.column_stack([est, [0.002, 0.002]])  # window [0,0]: one return each, CAAR 0.002
    w = [False] * 6 + [True]
    span = np.ones(ar.shape, dtype=int)
    # one-session returns: 6 one-day runs, CAARs 0.0015 (starts 0-2) and 0: none as large as 0.002, p = 1/7
    assert inf.placebo_p(sample_of(ar, w, span=span)).p_value == pytest.approx(1 / 7)
    span[0, -1] = 3  # firm 0's return covers 3 sessions (halted on day 0 and +1)
    # firm 0's runs cover 3 days: sums 0.009, 0.006, 0.003, 0 at starts 0-3; starts 4 and 5 would end past the
    # estimation days, so firm 1 alone gives their CAAR (0). CAARs 0.0045 and 0.003 are as large: p = 3/7
    got = inf.placebo_p(sample_of(ar, w, span=span))
    assert got.p_value == pytest.approx(3 / 7) and got.statistic == pytest.approx(0.002)


def test_cross_check_portfolio_with_numpy(random_sample):
    s = random_sample(2)  # firm 0 misses estimation day 5: that day's AAR counts with weight N_t/N = 11/12
    aar = np.nanmean(s.ar, axis=0)
    cnt = np.isfinite(s.ar).sum(axis=0)
    est, win = aar[~s.in_window], aar[s.in_window]
    sigma = np.sqrt(np.sum(cnt[~s.in_window] / s.n * est**2) / (len(est) - 2))
    assert inf.portfolio_t(s).statistic == pytest.approx(win.sum() / (sigma * np.sqrt(len(win))))


def test_cross_check_placebo_loop(random_sample):
    s = random_sample(10)  # no design: the pseudo-CARs are the plain sums
    est = s.est_ar()
    length = s.length
    starts = est.shape[1] - length + 1
    caars = []
    for st in range(starts):
        block = est[:, st : st + length]
        has = np.isfinite(block).any(axis=1)
        caars.append(np.nansum(block, axis=1)[has].mean())
    expected = (1 + np.sum(np.abs(caars) >= abs(s.car.mean()))) / (len(caars) + 1)
    r = inf.placebo_p(s)
    assert r.statistic == pytest.approx(s.car.mean()) and r.p_value == pytest.approx(expected)


def test_estimation_error_term_hand():
    """Mean-adjusted model (design ``x_t = 1``, ``(X'X)⁻¹ = 1/4`` from 4 estimation days), 2 firms, 2 window days;
    firm 2 has no return on the second window day (N_t = 2, 1)."""
    ar = np.array([[0.01, -0.01, 0.02, 0.00, 0.03, 0.01], [0.01, 0.01, 0.00, -0.02, 0.01, np.nan]])
    w = np.array([False] * 4 + [True] * 2)
    sigma2 = np.array([1e-4, 4e-4])
    s = WindowSample((0, 1), np.nansum(ar[:, w], axis=1), np.ones(2), np.full(2, 3.0), ar=ar, sar=ar,
                     span=np.ones(ar.shape), in_window=w, n_params=1, x=np.ones((2, 6, 1)),
                     xtx_inv=np.full((2, 1, 1), 0.25), sigma2=sigma2)  # fmt: skip
    # g_1 = 2, g_2 = 1 window days: EE = (1/N²)(1e-4 · 2² / 4 + 4e-4 · 1² / 4)
    ee = (1e-4 * 2**2 / 4 + 4e-4 * 1**2 / 4) / 2**2
    aar_e = np.array([0.01, 0.0, 0.01, -0.01])
    caar = ((0.03 + 0.01) + 0.01) / 2  # each firm's window CAR, averaged over the 2 firms
    sessions = (2 + 1) / 2  # L̄: firm 1's CAR covers 2 sessions, firm 2's 1
    sigma_p2 = np.sum(aar_e**2) / (4 - 1)
    assert inf.portfolio_t(s).statistic == pytest.approx(caar / math.sqrt(sigma_p2 * sessions + ee), rel=1e-12)
    s2 = np.var(aar_e, ddof=1)
    assert inf.bw_t(s).statistic == pytest.approx(caar / math.sqrt(s2 * sessions + ee), rel=1e-12)


def test_estimation_error_and_pseudo_windows_against_statsmodels(default_results):
    """On the default study's real fit: the estimation-error term of bw_t is Σ_i h_i' Cov(θ̂_i) h_i with
    statsmodels' OLS covariance, and placebo_p's pseudo-CARs are statsmodels refits without each run."""
    import statsmodels.api as sm

    ab = default_results.abnormal
    sample = next(iter(window_samples(ab, (0, 5)).values()))
    rows = [i for i, fe in enumerate(ab.firm_events) if fe.event_id == sample_event(ab)]
    rows = [i for i in rows if np.isfinite(ab.ar[i, ab.days((0, 5))]).any()]
    days = ab.days((0, 5))
    ee, pseudo = 0.0, []
    for i in rows:
        est = ab.estimation[i]
        fit = sm.OLS(ab.returns[i, est], ab.design[i, est]).fit()
        h = (np.where(np.isfinite(ab.ar[i, days]), 1.0 / len(rows), 0.0)[:, None] * ab.design[i, days]).sum(axis=0)
        ee += float(h @ fit.cov_params() @ h)
        cols = np.flatnonzero(ab.in_estimation)
        cars = []
        for a in range(len(cols) - 5):  # 6-day runs of the estimation days
            run = np.zeros(ab.ar.shape[1], dtype=bool)
            run[cols[a : a + 6]] = True
            if not (est & run).any():
                cars.append(np.nan)
                continue
            refit = sm.OLS(ab.returns[i, est & ~run], ab.design[i, est & ~run]).fit()
            cars.append(float((ab.returns[i, est & run] - ab.design[i, est & run] @ refit.params).sum()))
        pseudo.append(cars)
    caar = np.nansum(ab.ar[rows][:, days], axis=1).mean()  # each firm's window CAR once
    sessions = np.where(np.isfinite(ab.ar[rows][:, days]), ab.span[rows][:, days], 0).sum(axis=1).mean()
    fitted = np.where(ab.estimation, ab.ar, np.nan)[rows][:, ab.in_estimation]  # the returns the model was fitted on
    aar_e = np.array([np.nanmean(c) if np.isfinite(c).any() else np.nan for c in fitted.T])
    cnt_e = np.isfinite(fitted).sum(axis=0)
    ok = cnt_e > 0
    n = len(rows)
    s2 = np.sum(cnt_e[ok] / n * (aar_e[ok] - aar_e[ok].mean()) ** 2) / (ok.sum() - 1)
    t = caar / math.sqrt(s2 * sessions + ee)
    assert inf.bw_t(sample).statistic == pytest.approx(t, rel=1e-9)
    caar = np.mean(sample.car)
    pseudo_caar = np.nanmean(np.array(pseudo), axis=0)
    defined = np.isfinite(pseudo_caar)  # runs with data: none inside the sessions masked from every firm (May 2019)
    want = (1 + np.sum(np.abs(pseudo_caar[defined]) >= abs(caar))) / (defined.sum() + 1)
    assert inf.placebo_p(sample).p_value == pytest.approx(want)


def sample_event(ab):
    return ab.firm_events[0].event_id


def test_a_refit_without_more_returns_than_parameters_is_singular():
    """Issue 21, item 8: leaving a run out of T returns so that only one remains, the market model (p = 2) cannot
    be refitted; the determinant of X'X, a difference of running sums, rounded above its threshold in 8 of 2,000
    such cases and gave pseudo-CARs up to −6e13. The refit is refused by the count: more returns than p."""
    from eventstudy.inference.resampling import _leave_run_out

    rng = np.random.default_rng(0)
    row = (np.zeros(1, dtype=int), np.zeros(1, dtype=int))
    for _ in range(2000):
        days = int(rng.integers(8, 40))
        est, market = rng.normal(0, 0.02, (1, 1, days)), rng.normal(0, 0.015, (1, 1, days))
        x = np.stack([np.ones((1, 1, days)), market], axis=-1)
        cols = np.arange(days)
        pcar, has = _leave_run_out(est, cols, x, row, np.array([days - 1]), 2)  # runs leave 1 return
        assert not has.any() and pcar.shape == (1, 2)
        pcar, has = _leave_run_out(est, cols, x, row, np.array([days - 3]), 4)  # 3 left: p + 1, refitted
        assert has.all() and np.isfinite(pcar).all()


def test_pseudo_windows_kept_between_calls_equal_those_of_one_call():
    """Across calls sharing the estimation days (``shared``: other windows, injected levels), the pseudo-CARs kept
    give the figures of a call alone: for injected window returns, and for a window whose firms cover other spans
    (the kept runs of those spans belong to the previous window, not to this one)."""
    from eventstudy.inference.vectorised import battery

    rng = np.random.default_rng(4)
    g, f, t, length = 3, 6, 50, 3
    ar = rng.normal(0, 0.02, (g, f, t + length))
    x = np.stack([np.ones(ar.shape), rng.normal(0, 0.01, ar.shape)], axis=-1)
    span = np.ones(ar.shape)
    span[0, 1, t] = 4.0  # firm 1 of group 0 halted before the window: its first return covers 4 sessions
    mask = np.ones((g, f), dtype=bool)
    mask[2, 4:] = False  # a smaller group, padded
    ar[2, 4:] = np.nan
    in_window = np.r_[np.zeros(t, bool), np.ones(length, bool)]
    clusters = np.zeros((g, f))
    clusters[1] = np.arange(f)  # group 1: every firm on its own day 0 (drawn offsets)

    def call(ar, span, shared):
        car = np.where(mask, np.nansum(ar[:, :, t:], axis=2), np.nan)
        return battery(car, np.ones((g, f)), np.full((g, f), 48.0), car, ar, ar, span, mask, in_window,
                       names=["placebo_p", "gen_sign_z"], n_params=2, length=length, placebo_draws=99,
                       seeds=[(1, k) for k in range(g)], x=x, clusters=clusters, shared=shared)  # fmt: skip

    injected = ar.copy()
    injected[:, :, t] += 0.05
    other = span.copy()
    other[0, 1, t], other[2, 0, t] = 1.0, 2.0  # another window: other firms halted
    shared: dict = {}
    for a, s in ((ar, span), (injected, span), (injected, other), (ar, span)):
        kept, alone = call(a, s, shared), call(a, s, None)
        for name in alone:
            np.testing.assert_array_equal(kept[name][2], alone[name][2])
            np.testing.assert_allclose(kept[name][:2], alone[name][:2], rtol=1e-12, equal_nan=True)
    assert ("pseudo_cars", length) in shared


def test_draws_kept_as_uint16_are_the_same_draws():
    """The drawn indices are kept in the narrowest type (``uint16`` up to 65,536 values): the same integers as
    the stream written to ``int64``, compiled and as the kernel's Python source."""
    from eventstudy.inference.random_streams import stream_keys, uniform_integers
    from eventstudy.inference.resampling import _index_type

    assert _index_type(65_536) is np.uint16 and _index_type(65_537) is np.int32
    keys, high, counts = stream_keys([0, 1, 2]), np.array([65_536, 230, 7]), np.array([3, 5, 2])
    wide, narrow = np.empty((3, 40, 5), dtype=np.int64), np.empty((3, 40, 5), dtype=np.uint16)
    uniform_integers(keys, high, counts, wide)
    uniform_integers(keys, high, counts, narrow)
    source = np.empty((3, 40, 5), dtype=np.uint16)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as compiled
        uniform_integers.py_func(keys, high, counts, source)
    for j, c in enumerate(counts):
        assert wide[j, :, :c].max() < high[j] and wide[j, :, :c].max() > high[j] // 2  # the whole range is used
        np.testing.assert_array_equal(narrow[j, :, :c], wide[j, :, :c])
        np.testing.assert_array_equal(source[j, :, :c], wide[j, :, :c])


def test_draws_made_a_few_groups_at_a_time_equal_all_at_once(monkeypatch):
    """placebo_p's offsets and bhar_boot_t's picks are drawn and read back a few groups at a time
    (``DRAWN_BYTES``): each group's stream is its own, so one group per part, or every group in one part, gives
    the same p-values."""
    from eventstudy.inference import resampling
    from eventstudy.inference.vectorised import battery

    rng = np.random.default_rng(7)
    g, f, t, length = 5, 4, 40, 2
    ar = rng.normal(0, 0.02, (g, f, t + length))
    x = np.stack([np.ones(ar.shape), rng.normal(0, 0.01, ar.shape)], axis=-1)
    mask = np.ones((g, f), dtype=bool)
    in_window = np.r_[np.zeros(t, bool), np.ones(length, bool)]
    clusters = np.tile(np.arange(f, dtype=float), (g, 1))  # every firm on its own day 0: drawn offsets
    clusters[3] = 0.0  # one group on one day 0: its runs are enumerated
    car = np.nansum(ar[:, :, t:], axis=2)

    mask[1, 3] = False  # a group of another size (bhar_boot_t draws each size apart)
    bhar = np.where(mask, car + rng.gamma(1.0, 0.05, car.shape), np.nan)  # skewed

    def p_values():
        out = battery(car, np.ones((g, f)), np.full((g, f), 38.0), bhar, ar, ar, np.ones(ar.shape), mask,
                      in_window, names=["placebo_p", "bhar_boot_t"], n_params=2, length=length, placebo_draws=199,
                      seeds=[(2, k) for k in range(g)], x=x, clusters=clusters)  # fmt: skip
        return np.concatenate([out["placebo_p"][1], out["bhar_boot_t"][1]])

    monkeypatch.setattr(resampling, "DRAWN_BYTES", 1)  # one group per part
    one_each = p_values()
    monkeypatch.setattr(resampling, "DRAWN_BYTES", 1 << 40)  # every group in one part
    together = p_values()
    assert np.isfinite(one_each).all() and len(set(one_each.tolist())) > g  # the groups' own draws
    np.testing.assert_array_equal(one_each, together)
