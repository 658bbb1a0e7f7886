"""Placebo studies: seeded draws, fast path = full engine, chunking and executors give identical results."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.universe import load_universe, write_synthetic_universe
from eventstudy.errors import ConfigError
from eventstudy.inference import EXPENSIVE, TESTS
from eventstudy.model.engine import abnormal_returns, fast_abnormal_returns
from eventstudy.model.estimation import moments
from eventstudy.placebo import (
    FAST_MODELS,
    PlaceboSpec,
    draw_events,
    eligible,
    firm_events,
    run_placebo,
)

EST, WIN = (-120, -11), (-5, 5)


@pytest.fixture(scope="module")
def universe(tmp_path_factory):
    path = write_synthetic_universe(tmp_path_factory.mktemp("u") / "universe.parquet", n_tickers=30, n_sessions=500)
    return load_universe(path)


def spec(**kw) -> PlaceboSpec:
    base = dict(n_events=300, seed=11, window=WIN, estimation_window=EST, firms_per_study=10, min_estimation_returns=60)
    base.update(kw)
    return PlaceboSpec(**base)


def test_draw_is_seeded_and_eligible(universe):
    s = spec()
    a, b = draw_events(universe, s), draw_events(universe, s)
    assert np.array_equal(a.ticker, b.ticker) and np.array_equal(a.day0, b.day0)
    c = draw_events(universe, replace(s, seed=12))
    assert not np.array_equal(a.day0, c.day0)
    ok = eligible(universe, s)
    assert ok[a.day0, a.ticker].all()
    assert np.array_equal(a.study, np.arange(300) // 10)
    # eligible pairs have the history the engine needs
    ab = abnormal_returns(universe.panel, s.benchmark, firm_events(universe.panel, a), s.model, EST, WIN)
    assert (ab.n_est >= s.min_estimation_returns).all()
    assert (ab.cumulate(ab.days(WIN))["n_obs"] > 0).all()


def test_running_counts_are_the_cumulative_counts_down_each_column():
    from eventstudy.placebo.draw import running_counts

    # hand-worked: column 0 true in rows 0 and 2, column 1 in row 1
    got = running_counts(np.array([[True, False], [False, True], [True, False]]))
    assert got.tolist() == [[0, 0], [1, 0], [1, 1], [2, 1]] and got.dtype == np.int32
    flags = np.random.default_rng(5).random((40, 7)) < 0.3
    np.testing.assert_array_equal(running_counts(flags)[1:], np.cumsum(flags, axis=0))


def test_clustered_draw_shares_day0(universe):
    d = draw_events(universe, spec(clustered=True))
    for study in np.unique(d.study):
        members = d.study == study
        assert len(set(d.day0[members])) == 1
        assert len(set(d.ticker[members])) == members.sum()  # distinct firms


@pytest.mark.parametrize("model", FAST_MODELS)
def test_fast_path_equals_engine(universe, model):
    s = spec(model=model)
    events = firm_events(universe.panel, draw_events(universe, s))
    full = abnormal_returns(universe.panel, s.benchmark, events, model, EST, WIN)
    sums = moments(universe.panel, s.benchmark)
    fast = fast_abnormal_returns(universe.panel, sums, s.benchmark, events, model, EST, WIN)
    np.testing.assert_array_equal(fast.rel_days, full.rel_days)
    np.testing.assert_array_equal(fast.n_est, full.n_est)
    np.testing.assert_array_equal(fast.estimation, full.estimation)
    assert fast.estimation.any() and np.isfinite(fast.ar[fast.estimation]).all()  # estimation-day ARs too
    for name in ("returns", "market", "span", "params", "xtx_inv", "sigma2", "ar", "ar_var"):
        np.testing.assert_allclose(getattr(fast, name), getattr(full, name), rtol=1e-9, atol=1e-13, err_msg=name)
    a, b = fast.cumulate(fast.days(WIN)), full.cumulate(full.days(WIN))
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-9, atol=1e-13, err_msg=key)


def test_fast_and_full_placebo_agree(universe):
    a = run_placebo(universe, spec(engine="fast", expensive_tests="all"))
    b = run_placebo(universe, spec(engine="full", expensive_tests="all"))
    pd.testing.assert_frame_equal(a.firms, b.firms, rtol=1e-9, atol=1e-12)
    # A model fit per firm (garch_bmp_t's GARCH ML) stops where its optimiser's tolerance lets it, and on a flat
    # likelihood the last bits in which the two engines' ARs differ move it: most statistics agree to 1e-4, a
    # few pseudo-studies by up to ~0.1 (measured 0.09 on 1.9).
    fitted = a.tests.test.isin(EXPENSIVE)
    pd.testing.assert_frame_equal(a.tests[~fitted], b.tests[~fitted], rtol=1e-9, atol=1e-12)
    diff = (a.tests.statistic[fitted] - b.tests.statistic[fitted]).abs()
    assert diff.median() < 1e-4 and diff.max() < 0.2, diff.describe()


@pytest.mark.parametrize("engine", ["fast", "full"])
def test_chunking_does_not_change_results(universe, engine):
    one = run_placebo(universe, spec(engine=engine, chunk_size=10_000))
    many = run_placebo(universe, spec(engine=engine, chunk_size=25))  # rounded down to 20: whole pseudo-studies
    assert (one.chunks, many.chunks) == (1, 15)
    pd.testing.assert_frame_equal(one.tests, many.tests, rtol=1e-12, atol=1e-15)
    pd.testing.assert_frame_equal(one.firms, many.firms, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("engine", ["fast", "full"])
def test_forked_worker_gives_identical_results(universe, engine):
    one = run_placebo(universe, spec(engine=engine, chunk_size=40, workers=1))
    two = run_placebo(universe, spec(engine=engine, chunk_size=40, workers=2))
    assert one.chunks == two.chunks == 8
    pd.testing.assert_frame_equal(one.tests, two.tests, check_exact=True)
    pd.testing.assert_frame_equal(one.firms, two.firms, check_exact=True)
    assert spec(n_events=20_000).processes == min(2, os.cpu_count() or 1) and spec().processes == 1


def test_summaries(universe):
    r = run_placebo(universe, spec(n_events=305))
    assert r.firms["study"].nunique() == 31  # the last pseudo-study has 5 firm-events
    rates = r.rejection_rates().set_index("test")
    battery = [t for t in TESTS if t not in EXPENSIVE]  # 305 firm-events: expensive_tests auto leaves them out
    assert list(rates.index) == [*battery, "firm_t"]  # the battery, then the per-firm t
    assert rates.loc["csect_t", "studies"] == 31 and rates.loc["firm_t", "studies"] == 305
    rate = rates["rejection_rate"]
    assert np.isfinite(rate).all() and ((rate >= 0) & (rate <= 1)).all(), rate[~np.isfinite(rate)]
    assert (rates.loc[battery, "studies"] >= 30).all()  # every test computed on (nearly) every pseudo-study
    dist = r.car_distribution()
    assert list(dist.index) == ["CAR", "CAAR"] and dist.loc["CAR", "n"] == 305
    car = r.firms["car"]
    assert dist.loc["CAR", "mean"] == pytest.approx(car.mean())
    assert dist.loc["CAR", "q50"] == pytest.approx(car.median())


def test_expensive_tests_follow_the_rule_of_a_study():
    fitted = sorted(EXPENSIVE)
    small, large = spec(n_events=250), spec(n_events=251)
    assert small.test_names == list(TESTS) and small.not_computed == []
    assert [t for t in large.test_names if t in EXPENSIVE] == []
    assert [note.split()[0] for note in large.not_computed] == fitted
    assert "251 firm-events, more than the 250" in large.not_computed[0]
    assert spec(n_events=251, expensive_tests="all").test_names == list(TESTS)
    assert "expensive_tests: none" in spec(n_events=10, expensive_tests="none").not_computed[0]
    explicit = spec(n_events=5000, tests=("csect_t", *fitted))
    assert explicit.test_names == ["csect_t", *fitted] and explicit.not_computed == []  # asked for: computed
    with pytest.raises(ConfigError, match="expensive_tests 'some'"):
        spec(expensive_tests="some")


def test_bad_specs():
    with pytest.raises(ConfigError):
        spec(window=(3, -3))
    with pytest.raises(ConfigError):
        spec(estimation_window=(-100, 0))
    with pytest.raises(ConfigError):
        spec(min_estimation_returns=500)
    with pytest.raises(ConfigError):
        spec(engine="gpu")


@pytest.mark.parametrize("processes", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_dask_local_cluster_gives_identical_results(universe, processes):
    distributed = pytest.importorskip("distributed")
    for engine in ("fast", "full"):
        s = spec(engine=engine, chunk_size=60)
        local = run_placebo(universe, s)
        cluster = distributed.LocalCluster
        with cluster(n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=None) as c:
            with distributed.Client(c) as client:
                remote = run_placebo(universe, s, client=client)
        assert remote.chunks == local.chunks == 5
        pd.testing.assert_frame_equal(local.firms, remote.firms, check_exact=True)
        pd.testing.assert_frame_equal(local.tests, remote.tests, check_exact=True)


def test_harness_yardstick_agrees_with_engine(universe):
    """bench.scale's loops (statsmodels per firm-event) against the engine and the placebo's CARs, on draws
    that include firm-events halted on the window's last day (followed to their next trade by all three)."""
    scale = pytest.importorskip("bench.scale")
    s = spec(n_events=300)
    draw = draw_events(universe, s)
    events = firm_events(universe.panel, draw)
    halted = ~universe.panel.traded.to_numpy()[draw.day0 + WIN[1], draw.ticker]
    assert halted.sum() >= 3
    ab = abnormal_returns(
        universe.panel, s.benchmark, events, s.model, EST, scale.engine_window(universe.panel, events, WIN)
    )
    placebo_car = run_placebo(universe, s, draw=draw).firms["car"].to_numpy()
    for loop in (scale.yardstick, scale.lean_yardstick):
        ars = loop(universe.panel, s.benchmark, events, EST, WIN)
        worst_ar, worst_car = scale.agreement(ab, ars, WIN)
        assert worst_ar < 1e-9 and worst_car < 1e-9
        loop_car = np.array([a.sum() if len(a) else np.nan for a in ars])
        np.testing.assert_allclose(placebo_car, loop_car, rtol=1e-9, atol=1e-12)


def test_extra_windows_and_injection_keep_the_null_rows(universe):
    """More windows and injected levels on the same draw: the null rows of ``window`` and the firm table are the
    plain run's (to 1e-12 relative: another batch shape may round differently on another BLAS kernel); every
    (window, level) has a row per pseudo-study and test."""
    s = spec(window=(0, 5), n_events=200)
    plain = run_placebo(universe, s)
    more = run_placebo(universe, replace(s, extra_windows=((0, 0), (0, 1)), injected=(0.01, 0.05)))
    pd.testing.assert_frame_equal(plain.firms, more.firms, rtol=1e-12, atol=1e-15)
    null = more.tests[(more.tests.window_start == 0) & (more.tests.window_end == 5) & (more.tests.injected == 0.0)]
    pd.testing.assert_frame_equal(plain.tests, null.reset_index(drop=True), rtol=1e-12, atol=1e-15)
    combos = more.tests.groupby(["window_start", "window_end", "injected"]).size()
    assert len(combos) == 9 and (combos == 20 * len(TESTS)).all()
    table = more.rejection_table()
    size = table[(table.window_end == 5) & (table.injected == 0.0)].set_index("test")["rejection_rate"]
    assert np.allclose(size.to_numpy(), plain.rejection_rates().set_index("test").loc[size.index, "rejection_rate"])


def test_injected_return_moves_day0_and_power_grows(universe):
    from eventstudy.placebo import inject_day0

    s = spec(window=(0, 5), n_events=200)
    events = firm_events(universe.panel, draw_events(universe, s))
    ab = abnormal_returns(universe.panel, s.benchmark, events, s.model, EST, (0, 5))
    shifted = inject_day0(ab, 0.03)
    changed = (shifted.ar != ab.ar) & np.isfinite(ab.ar)
    assert np.array_equal(changed, (shifted.returns != ab.returns) & np.isfinite(ab.returns))
    assert np.array_equal(np.isnan(shifted.ar), np.isnan(ab.ar))
    # exactly one day per firm-event with a return from day 0 on: its first such return
    has = np.isfinite(ab.ar) & (ab.rel_days >= 0)
    assert np.array_equal(changed.sum(axis=1), has.any(axis=1).astype(int))
    rows, cols = np.nonzero(changed)
    assert np.array_equal(cols, has[rows].argmax(axis=1))
    assert np.allclose(shifted.ar[rows, cols] - ab.ar[rows, cols], 0.03, rtol=0, atol=1e-15)
    a, b = ab.cumulate(ab.days((0, 5))), shifted.cumulate(ab.days((0, 5)))
    assert np.allclose(b["car"] - a["car"], 0.03, rtol=0, atol=1e-12)
    before = ab.rel_days < 0
    assert np.array_equal(a["car_se"], b["car_se"])
    assert np.array_equal(shifted.ar[:, before], ab.ar[:, before], equal_nan=True)
    result = run_placebo(universe, replace(s, injected=(0.01, 0.1)))
    rates = result.rejection_table().pivot(index="test", columns="injected", values="rejection_rate")
    # a 10 % jump against 2 % daily noise (CAR sd ~5 % over 6 days, 10 firms): the parametric tests find it
    assert (rates.loc[["csect_t", "bmp_t", "patell_z", "portfolio_t", "bw_t"], 0.1] >= 0.9).all(), rates
    assert (rates[0.1] > rates[0.0]).all(), rates
    assert rates[0.1].mean() > rates[0.01].mean() > rates[0.0].mean() - 0.05


def test_injection_must_be_nonzero(universe):
    with pytest.raises(ConfigError):
        spec(injected=(0.0,))


def test_a_firm_halted_on_the_last_window_day_is_followed_to_its_next_trade_as_in_a_study(universe):
    """Issue 21, item 2: one gathering rule. A study counts the return that ends a halt running past the window
    (it overlaps the window); the placebo gathered only the window's days and lost it. Each firm-event's placebo
    CAR is checked against the sum, on a wide range of relative days, of the ARs whose span overlaps the window."""
    s = spec(n_events=300)
    draw = draw_events(universe, s)
    result = run_placebo(universe, s, draw=draw)
    events = firm_events(universe.panel, draw)
    wide = abnormal_returns(universe.panel, s.benchmark, events, s.model, EST, (EST[0], WIN[1] + 60))
    first = wide.rel_days - wide.span + 1  # the first session each return covers (relative day)
    overlaps = np.isfinite(wide.ar) & (wide.rel_days >= WIN[0]) & (first <= WIN[1])
    want = np.where(overlaps, wide.ar, 0.0).sum(axis=1)
    last = draw.day0 + WIN[1]
    halted = ~universe.panel.traded.to_numpy()[last, draw.ticker]
    followed = halted & overlaps[:, wide.rel_days > WIN[1]].any(axis=1)
    assert followed.sum() >= 3  # the synthetic universe's halts: some firm-events end the window suspended
    got = result.firms["car"].to_numpy()
    assert np.allclose(got, want, rtol=1e-12, atol=1e-15)
    assert (result.firms["n_obs"].to_numpy() == overlaps.sum(axis=1)).all()


def test_rates_split_by_pseudo_studies_with_and_without_a_halted_firm(universe):
    """Issue 21, item 2: docs/validation.md gives each rate also for pseudo-studies with and without a halted firm.
    A firm-event is halted when it did not trade on every session of the window or its first return in it spans
    sessions before it — read here from the panel's traded flags and spans, independently of the engine."""
    window = (0, 1)  # short, few firms: some pseudo-studies without a halted firm
    s = spec(n_events=300, window=window, firms_per_study=3)
    draw = draw_events(universe, s)
    result = run_placebo(universe, s, draw=draw)
    traded, span = universe.panel.traded.to_numpy(), universe.panel.span.to_numpy()
    days = draw.day0[:, None] + np.arange(window[0], window[1] + 1)[None, :]
    halted_firm = ~traded[days, draw.ticker[:, None]].all(axis=1) | (span[days[:, 0], draw.ticker] > 1)
    want = sorted({f"P{k:06d}" for k in np.unique(draw.study[halted_firm])})
    got = result.halted_studies()
    assert 0 < len(got) < len(np.unique(draw.study)) and sorted(got) == want
    both = [
        result.rejection_table(halted=h).set_index(["window_start", "window_end", "injected", "test"])
        for h in (True, False)
    ]
    total = result.rejection_table().set_index(["window_start", "window_end", "injected", "test"])
    assert (both[0]["studies"] + both[1]["studies"] == total["studies"]).all()


def test_firm_events_halted_on_the_last_day_run_apart_give_the_numbers_of_one_engine_call(universe, monkeypatch):
    """A chunk's firm-events that trade on the windows' last day and those followed past it to their next trade
    are run through the engine apart (run.chunk_abnormal_returns); every firm table column and test row equals
    what one engine call over the longest reach gives."""
    from eventstudy.placebo import run as run_module

    s = spec(n_events=300)
    draw = draw_events(universe, s)
    context = run_module.prepare(universe.panel, s)
    reach = run_module.halt_reaches(universe.panel, (draw.day0, draw.ticker), s.span[1])
    assert 0 < (reach > 0).sum() < len(draw)  # both kinds in the draw: the split is exercised
    split = run_module.chunk_abnormal_returns(context, s, draw)
    one = abnormal_returns(universe.panel, s.benchmark, firm_events(universe.panel, draw), s.model, EST,
                           (s.span[0], s.span[1] + int(reach.max())), gap_days=False)  # fmt: skip
    assert (split.rel_days == one.rel_days).all()
    late, inside = reach > 0, split.rel_days <= s.span[1]
    for name in ("returns", "market", "span", "design", "estimation", "ar", "ar_var", "masked"):
        a, b = getattr(split, name), getattr(one, name)
        np.testing.assert_allclose(a[late], b[late], rtol=1e-12, atol=0, err_msg=name)
        np.testing.assert_allclose(a[~late][:, inside], b[~late][:, inside], rtol=1e-12, atol=0, err_msg=name)
        after = a[~late][:, ~inside]  # no return on the days past the windows: what the engine leaves then
        fill = run_module.NO_RETURN[name]
        assert (np.isnan(after) if isinstance(fill, float) and np.isnan(fill) else after == fill).all(), name
    assert not one.overlap(s.span)[~late][:, ~inside].any()  # the on-time rows' later returns never count
    for name in ("params", "xtx_inv", "sigma2", "n_est", "dof"):
        np.testing.assert_allclose(getattr(split, name), getattr(one, name), rtol=1e-12, err_msg=name)

    apart = run_placebo(universe, s, draw=draw)
    whole = run_module.halt_reaches
    monkeypatch.setattr(run_module, "halt_reaches", lambda *a, **k: np.full(len(a[1][0]), whole(*a, **k).max()))
    together = run_placebo(universe, s, draw=draw)
    pd.testing.assert_frame_equal(apart.firms, together.firms, rtol=1e-12)
    pd.testing.assert_frame_equal(apart.tests, together.tests, rtol=1e-12)
