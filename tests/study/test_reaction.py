"""The study's abnormal volume, volatility, pre-trend and diagnostics frames (eventstudy.study.reaction), checked
against statsmodels/scipy on the default study's own numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox

from eventstudy.data import open_provider
from eventstudy.model.diagnostics import estimation_diagnostics
from eventstudy.study.reaction import TESTS_COLUMNS, VOLATILITY_COLUMNS, VOLUME_COLUMNS, with_reaction


def test_frames_have_their_columns_and_a_row_per_firm_event_and_window(default_results) -> None:
    extra = default_results.extra
    study, n = default_results.study, default_results.abnormal.n
    days = study.daily_path[1] - study.daily_path[0] + 1
    assert list(extra["volume"].columns) == VOLUME_COLUMNS
    assert len(extra["volume"]) == n * (len(study.event_windows) + days)
    assert list(extra["volatility"].columns) == VOLATILITY_COLUMNS
    assert len(extra["volatility"]) == n * len(study.event_windows)
    assert list(extra["reaction_tests"].columns) == TESTS_COLUMNS
    pre = extra["reaction_tests"][extra["reaction_tests"]["measure"] == "pretrend"]
    assert set(pre["test"]) == {"csect_t", study.primary_test, "aar_joint_f"}
    assert (pre["window_start"] == -10).all() and (pre["window_end"] == -1).all()


def test_suspended_sessions_are_no_trade(default_results) -> None:
    # Hikvision was suspended on 2019-10-08 and 2019-10-09, days 0 and +1 of the October event: no volume then
    vol = default_results.extra["volume"]
    row = vol[(vol["event_id"] == "us-entity-list-2019-10-07") & (vol["ticker"] == "002415.SZ")
              & (vol["window_start"] == 0) & (vol["window_end"] == 1)].iloc[0]  # fmt: skip
    assert row["n_days"] == 0 and np.isnan(row["cav"])


def test_firm_cav_matches_statsmodels_on_the_benchmark_volume(default_results) -> None:
    i = 0
    fe = default_results.abnormal.firm_events[i]
    history = open_provider("snapshot").history(fe.ticker)
    bench = open_provider("snapshot").history(default_results.markets[i].benchmark)
    panel = default_results.panel_of(i)
    rel = default_results.abnormal.rel_days
    at = panel.sessions[panel.position(fe.day0) + rel]
    v = np.log1p(history["volume"].reindex(at).where(history["traded"].reindex(at).eq(True)).to_numpy(float))
    m = np.log1p(bench["volume"].reindex(at).to_numpy(float))
    est = (rel >= -260) & (rel <= -11) & np.isfinite(v) & np.isfinite(m) & ~default_results.abnormal.masked[i]
    fit = sm.OLS(v[est], sm.add_constant(m[est])).fit()
    window = (rel >= 0) & (rel <= 5) & np.isfinite(v)
    x = sm.add_constant(m[window], has_constant="add")
    g = x.sum(axis=0)
    se = np.sqrt(fit.scale * (window.sum() + g @ fit.normalized_cov_params @ g))
    vol = default_results.extra["volume"]
    row = vol[(vol["event_id"] == fe.event_id) & (vol["ticker"] == fe.ticker) & (vol["window_start"] == 0)
              & (vol["window_end"] == 5)].iloc[0]  # fmt: skip
    assert row["volume_model"] == "market" and row["market_volume"] == "000300.SS"
    np.testing.assert_allclose(row["cav"], (v[window] - x @ fit.params).sum(), rtol=1e-9)
    np.testing.assert_allclose(row["cav_se"], se, rtol=1e-9)


def test_aggregate_rows_match_scipy_on_the_firm_rows(default_results) -> None:
    vol, var = default_results.extra["volume"], default_results.extra["volatility"]
    tests = default_results.extra["reaction_tests"]
    event = "us-suppliers-huawei-2019-05-15"
    cav = vol[(vol["event_id"] == event) & (vol["window_start"] == 0) & (vol["window_end"] == 5)]["cav"].dropna()
    ref = stats.ttest_1samp(cav, 0.0)
    row = tests[(tests["event_id"] == event) & (tests["test"] == "cav_csect_t") & (tests["window_end"] == 5)].iloc[0]
    np.testing.assert_allclose([row["statistic"], row["p_value"]], [ref.statistic, ref.pvalue], rtol=1e-9)
    part = var[(var["event_id"] == event) & (var["window_start"] == 0) & (var["window_end"] == 5)]
    excess = part["u"] - part["dof"] / (part["dof"] - 2)
    ref = stats.ttest_1samp(excess, 0.0)
    row = tests[(tests["event_id"] == event) & (tests["test"] == "var_csect_t") & (tests["window_end"] == 5)].iloc[0]
    np.testing.assert_allclose([row["statistic"], row["p_value"]], [ref.statistic, ref.pvalue], rtol=1e-9)


def test_beaver_u_is_the_mean_squared_sar(default_results) -> None:
    ab = default_results.abnormal
    sar = ab.ar / np.sqrt(ab.ar_var)
    var = default_results.extra["volatility"]
    part = var[(var["window_start"] == 0) & (var["window_end"] == 10)]
    for i in (0, 5):
        use = ab.overlap((0, 10))[i] & np.isfinite(sar[i])
        np.testing.assert_allclose(part["u"].iloc[i], np.mean(sar[i, use] ** 2), rtol=1e-12)
        np.testing.assert_allclose(part["u_p"].iloc[i], stats.f.sf(np.mean(sar[i, use] ** 2), use.sum(), ab.dof[i]))


def test_diagnostics_in_estimates_match_statsmodels(default_results) -> None:
    ab, est = default_results.abnormal, default_results.estimates
    i = 3
    resid = ab.ar[i, ab.estimation[i]]
    ref = acorr_ljungbox(resid, lags=[10])
    np.testing.assert_allclose(est["lb_q"].iloc[i], ref["lb_stat"].iloc[0], rtol=1e-9)
    np.testing.assert_allclose(est["jb"].iloc[i], stats.jarque_bera(resid).statistic, rtol=1e-9)
    flagged = est["jb_p"] < 0.01
    assert est.loc[flagged, "diagnostics_flag"].str.contains("non-normal").all()


def test_a_benchmark_without_volume_gives_the_mean_adjusted_model_with_a_note(default_results) -> None:
    provider = open_provider("snapshot")
    tickers = {fe.ticker for fe in default_results.abnormal.firm_events} | {
        m.benchmark for m in default_results.markets
    }
    histories = {t: provider.history(t) for t in tickers}
    histories["000300.SS"] = histories["000300.SS"].assign(volume=np.nan)
    out = with_reaction(default_results, histories)
    vol = out.extra["volume"]
    sz = vol[vol["ticker"].str.endswith(".SZ")]
    assert (sz["volume_model"] == "mean_adjusted").all() and (sz["market_volume"] == "").all()
    assert (sz["note"] == "benchmark 000300.SS has no volume in the data: mean-adjusted volume model").all()
    assert np.isfinite(sz["cav"]).any()


@pytest.mark.parametrize("key", ["volume", "volatility", "reaction_tests"])
def test_frames_are_tidy(default_results, key) -> None:
    frame = default_results.extra[key]
    assert isinstance(frame, pd.DataFrame) and frame.columns.is_unique and len(frame)


def test_each_measure_frees_its_firm_event_arrays_before_the_next_makes_its_own(default_results, monkeypatch) -> None:
    # A 50,000-firm-event study's (N, W) arrays are ~180 MB each: the volume arrays are gone before the volatility
    # sorts its SAR², and those before the pre-window's battery, so that each reuses the memory the last freed
    import weakref

    import eventstudy.study.reaction as reaction

    provider = open_provider("snapshot")
    tickers = {fe.ticker for fe in default_results.abnormal.firm_events} | {
        m.benchmark for m in default_results.markets
    }
    histories = {t: provider.history(t) for t in tickers}
    made: dict[str, list] = {"volume": [], "squares": []}
    alive: dict[str, list[bool]] = {}
    real_arrays, real_squares, real_table = (
        reaction._volume_arrays,
        reaction.estimation_squares,
        reaction.significance_table,
    )

    def volume_arrays(*args):
        out = real_arrays(*args)
        made["volume"] += [weakref.ref(out[0]), weakref.ref(out[1])]
        return out

    def squares(*args):
        alive["at the squares"] = [ref() is not None for ref in made["volume"]]
        out = real_squares(*args)
        made["squares"].append(weakref.ref(out.values))
        return out

    def table(*args, **kwargs):
        alive["at the pre-window"] = [ref() is not None for ref in made["volume"] + made["squares"]]
        return real_table(*args, **kwargs)

    monkeypatch.setattr(reaction, "_volume_arrays", volume_arrays)
    monkeypatch.setattr(reaction, "estimation_squares", squares)
    monkeypatch.setattr(reaction, "significance_table", table)
    out = with_reaction(default_results, histories)
    assert alive == {"at the squares": [False, False], "at the pre-window": [False, False, False]}
    pd.testing.assert_frame_equal(out.extra["reaction_tests"], default_results.extra["reaction_tests"])


def test_volume_reads_only_the_days_up_to_the_last_window_with_the_numbers_of_all_days(default_results) -> None:
    # the engine holds days past the windows (long-horizon spans, a halted firm's next trade): the volume model
    # fits on the estimation days and cumulates over the windows, so the days after both change nothing
    import eventstudy.study.reaction as reaction
    from eventstudy.model.volume import abnormal_volume

    provider = open_provider("snapshot")
    ab, study = default_results.abnormal, default_results.study
    tickers = {fe.ticker for fe in ab.firm_events} | {m.benchmark for m in default_results.markets}
    histories = {t: provider.history(t) for t in tickers}
    _, _, codes, events = reaction._ids(default_results)
    frame, tests = reaction._volume(default_results, histories, codes, events)
    last = max(end for _, end in reaction.volume_windows(study))
    assert ab.rel_days[-1] > last  # (the default study holds days past its windows)
    firm, market, use_market, note = reaction._volume_arrays(default_results, histories)  # every day
    av = abnormal_volume(firm, market, ab.rel_days, ab.estimation_window, use_market, exclude=ab.masked)
    benchmarks = [m.benchmark for m in default_results.markets]
    windows = reaction.volume_windows(study)
    every_day = av.cumulate_windows(np.array([av.days(window) for window in windows]))
    pd.testing.assert_frame_equal(
        frame, reaction.volume_frame(default_results, av.use_market, av.n_est, note, benchmarks, every_day), rtol=1e-12
    )
    narrow = reaction._volume_arrays(default_results, histories, int((ab.rel_days <= last).sum()))
    assert narrow[0].shape[1] == (ab.rel_days <= last).sum() < len(ab.rel_days)
    np.testing.assert_array_equal(narrow[0], firm[:, : narrow[0].shape[1]])


def test_volume_and_volatility_in_batches_of_firm_events_are_those_of_all_at_once(default_results, monkeypatch) -> None:
    """The volume model, the volatility measures and the estimation diagnostics run BATCH_FIRM_EVENTS rows at a
    time; each row's model, U, rank excess and diagnostics are its own, so batches of 2 (cutting across the default
    study's two markets) give volume.csv's and volatility.csv's rows and their tests, and the diagnostics, as one
    batch does."""
    import eventstudy.study.reaction as reaction

    provider = open_provider("snapshot")
    ab = default_results.abnormal
    tickers = {fe.ticker for fe in ab.firm_events} | {m.benchmark for m in default_results.markets}
    histories = {t: provider.history(t) for t in tickers}
    _, _, codes, events = reaction._ids(default_results)
    assert len(ab.ar) > 4 and len({m.calendar for m in default_results.markets}) == 2
    tested = np.zeros(len(ab.ar), dtype=bool)  # (no firm-event left out)
    whole, whole_tests = reaction._volume(default_results, histories, codes, events)
    whole_u, whole_u_tests = reaction._volatility(default_results, tested, codes, events)
    monkeypatch.setattr(reaction, "BATCH_FIRM_EVENTS", 2)
    batched, batched_tests = reaction._volume(default_results, histories, codes, events)
    batched_u, batched_u_tests = reaction._volatility(default_results, tested, codes, events)
    for got, expected in zip([batched, *batched_u, *sum(batched_tests + batched_u_tests, [])],
                             [whole, *whole_u, *sum(whole_tests + whole_u_tests, [])], strict=True):  # fmt: skip
        pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    assert whole["cav"].notna().sum() > 0 and whole_u[0]["u"].notna().sum() > 0
    # the estimation diagnostics, in batches of 2, are those of all the firm-events at once
    diagnostics = estimation_diagnostics(ab)
    pd.testing.assert_frame_equal(reaction._diagnostics(ab), diagnostics, rtol=1e-12)
    assert diagnostics["chow_f"].notna().sum() > 2


def test_firm_events_with_a_benchmark_gap_are_left_out_of_the_volatility_and_the_pre_window(
    default_results, monkeypatch
) -> None:
    """A firm-event of each market left out (as a benchmark gap leaves it) gives the volatility rows and tests and
    the pre-window's tests of a run whose abnormal returns hold no return for it (``engine.without``), in batches
    of 2, without a copy of the study's daily arrays."""
    from dataclasses import replace

    import eventstudy.study.reaction as reaction
    from eventstudy.model.engine import without

    ab = default_results.abnormal
    _, _, codes, events = reaction._ids(default_results)
    left_out = np.zeros(len(ab.ar), dtype=bool)
    left_out[[0, len(ab.ar) - 1]] = True  # (the first and the last: one per market)
    none = np.zeros(len(ab.ar), dtype=bool)
    emptied = replace(default_results, abnormal=without(ab, left_out))
    want_u, want_u_tests = reaction._volatility(emptied, none, codes, events)
    want_pre = reaction._pretrend_rows(emptied, none, codes, events)
    monkeypatch.setattr(reaction, "BATCH_FIRM_EVENTS", 2)
    got_u, got_u_tests = reaction._volatility(default_results, left_out, codes, events)
    got_pre = reaction._pretrend_rows(default_results, left_out, codes, events)
    for got, expected in zip([*got_u, *sum(got_u_tests, []), *got_pre],
                             [*want_u, *sum(want_u_tests, []), *want_pre], strict=True):  # fmt: skip
        pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    assert got_u[0]["u"].isna().to_numpy()[left_out].all() and got_u[0]["u"].notna().sum() > 2
    full_pre = reaction._pretrend_rows(default_results, none, codes, events)
    assert not all(a.equals(b) for a, b in zip(got_pre, full_pre, strict=True))  # (leaving them out tells)
