"""The default study end to end, recomputed independently from the raw CSV files with statsmodels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.data import open_provider
from eventstudy.errors import DataError
from eventstudy.study.run import run_study

from ..conftest import SNAPSHOT_CSV

EVENT = "us-entity-list-2019-10-07"


def raw(ticker: str) -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT_CSV / f"{ticker}.csv", parse_dates=["date"]).set_index("date")


@pytest.fixture(scope="module")
def golden():
    """Hikvision's market model for the Entity List event, rebuilt without eventstudy's code: the estimation
    sample leaves out the 31 sessions of days -10..+20 of the Huawei listing (day 0 Thursday 16 May 2019), the
    firm's other event in the study (``estimation_exclude: study_events``)."""
    firm, index = raw("002415.SZ"), raw("000300.SS")
    dates = index.index  # the index trades every session, so its dates are the session axis
    firm = firm.reindex(dates)
    d0 = dates.get_loc(pd.Timestamp("2019-10-08"))
    traded = firm["traded"].to_numpy() == 1
    r = (firm["close"] / firm["prev_close"] - 1).to_numpy()
    m = (index["close"] / index["prev_close"] - 1).to_numpy()
    single = traded & np.concatenate([[False], traded[:-1]])  # traded today and the session before
    huawei = dates.get_loc(pd.Timestamp("2019-05-16"))
    rows = np.setdiff1d(np.arange(d0 - 260, d0 - 10), np.arange(huawei - 10, huawei + 21))
    use = rows[single[rows]]
    fit = sm.OLS(r[use], sm.add_constant(m[use])).fit()
    return {"fit": fit, "r": r, "index": index["close"].to_numpy(), "traded": traded, "d0": d0, "dates": dates}


def test_estimates_match_statsmodels(default_results, golden):
    fit = golden["fit"]
    row = default_results.estimates.query("event_id == @EVENT and ticker == '002415.SZ'").iloc[0]
    assert row["n_est"] == fit.nobs == 250 - 31
    assert row["alpha"] == pytest.approx(fit.params[0], rel=1e-10)
    assert row["beta"] == pytest.approx(fit.params[1], rel=1e-10)
    assert row["sigma"] == pytest.approx(np.sqrt(fit.scale), rel=1e-10)
    assert row["day0"] == "2019-10-08"


def test_car_0_5_with_forecast_error_correction(default_results, golden):
    fit, r, close, d0 = golden["fit"], golden["r"], golden["index"], golden["d0"]
    alpha, beta = fit.params
    # Days 0..5: 8 & 9 Oct halted; 10 Oct return spans 3 sessions (since 30 Sep); then 11, 14, 15 Oct.
    pos = [d0 + 2, d0 + 3, d0 + 4, d0 + 5]
    spans = [3, 1, 1, 1]
    market = [close[p] / close[p - k] - 1 for p, k in zip(pos, spans)]
    ar = [r[p] - (alpha * k + beta * mk) for p, k, mk in zip(pos, spans, market)]
    g = np.array([sum(spans), sum(market)])
    var = fit.scale * sum(spans) + g @ fit.cov_params() @ g  # cov_params = σ² (X'X)^-1
    car, se = sum(ar), np.sqrt(var)
    row = default_results.car.query("event_id == @EVENT and ticker == '002415.SZ' and window_end == 5").iloc[0]
    assert row["n_obs"] == 4
    assert row["car"] == pytest.approx(car, rel=1e-10)
    assert row["car_se"] == pytest.approx(se, rel=1e-10)
    assert row["car_t"] == pytest.approx(car / se, rel=1e-10)
    assert row["car_p"] == pytest.approx(2 * stats.t.sf(abs(car / se), fit.df_resid), rel=1e-8)
    bhar = np.prod([1 + r[p] for p in pos]) - close[d0 + 5] / close[d0 - 1]
    assert row["bhar"] == pytest.approx(bhar, rel=1e-10)


def test_halted_firms_reaction_counts_in_0_1_and_minus1_1(default_results, golden):
    """Hikvision was suspended on days 0 and +1 (8-9 Oct 2019): its return of 10 Oct spans days 0..+2 and
    overlaps [0, 1], so it counts there (issue 9.6); on main it was "not traded"."""
    fit, r, close, d0 = golden["fit"], golden["r"], golden["index"], golden["d0"]
    alpha, beta = fit.params
    ar_resumed = r[d0 + 2] - (alpha * 3 + beta * (close[d0 + 2] / close[d0 - 1] - 1))
    ar_before = r[d0 - 1] - (alpha + beta * (close[d0 - 1] / close[d0 - 2] - 1))
    car = default_results.car.query("event_id == @EVENT and ticker == '002415.SZ'").set_index(
        ["window_start", "window_end"]
    )
    row = car.loc[(0, 1)]
    assert row["n_obs"] == 1 and (row["covered_start"], row["covered_end"]) == (0, 2)
    assert row["car"] == pytest.approx(ar_resumed, rel=1e-10)
    g = np.array([3.0, close[d0 + 2] / close[d0 - 1] - 1])
    assert row["car_se"] == pytest.approx(np.sqrt(fit.scale * 3 + g @ fit.cov_params() @ g), rel=1e-10)
    row = car.loc[(-1, 1)]
    assert row["n_obs"] == 2 and (row["covered_start"], row["covered_end"]) == (-1, 2)
    assert row["car"] == pytest.approx(ar_before + ar_resumed, rel=1e-10)
    rows = default_results.car.query("event_id == @EVENT and window_start == 0 and window_end == 1").set_index("ticker")
    assert rows.loc["002236.SZ", "n_obs"] == 1 and rows.loc["002236.SZ", "covered_end"] == 2  # Dahua likewise
    assert rows.loc["002230.SZ", "n_obs"] == 2 and rows.loc["002230.SZ", "covered_end"] == 1  # iFlytek traded
    # The same four firm samples feed tests.csv.
    tests = default_results.tests.query("event_id == @EVENT and window_start == 0 and window_end == 1")
    assert set(tests["n_firms"]) == {4}
    csect = tests.set_index("test").loc["csect_t"]
    cars = rows["car"].to_numpy()
    assert csect["statistic"] == pytest.approx(cars.mean() / (cars.std(ddof=1) / 2.0), rel=1e-10)


def test_halt_sessions_have_no_ar_and_the_resumption_carries_it(default_results):
    ar = default_results.ar.query("event_id == @EVENT and ticker == '002415.SZ'").set_index("rel_day")
    assert ar.loc[0, "traded"] == 0 and np.isnan(ar.loc[0, "ar"])
    assert ar.loc[1, "traded"] == 0 and np.isnan(ar.loc[1, "ar"])
    assert ar.loc[2, "date"] == "2019-10-10" and np.isfinite(ar.loc[2, "ar"])
    halts = default_results.halts.query("event_id == @EVENT")
    assert set(halts["ticker"]) == {"002415.SZ", "002236.SZ"}
    assert set(halts["span"]) == {3}


def test_every_firm_event_is_reported(default_results):
    assert len(default_results.estimates) == 8 + 13 + 7  # two Chinese events of 4 firms, the US events of 13 and 7
    assert len(default_results.car) == 28 * 4
    assert set(default_results.tests["test"]) >= {"csect_t", "patell_z", "bmp_t"}
    assert default_results.as_of.isoformat() == "2020-12-11"  # the US files end first


US_EVENT = "us-suppliers-2019-10-07"


def yahoo_raw(ticker: str) -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT_CSV.parent / "us_2019" / f"{ticker}.csv", parse_dates=["Date"]).set_index("Date")


def test_us_firm_on_its_own_calendar_and_benchmark_matches_statsmodels(default_results):
    """AMBA against VONE on New York sessions, rebuilt from Yahoo's adjusted closes without eventstudy's code:
    day 0 is Tuesday 8 Oct 2019 (announced Monday after the US close), estimation days -260..-11 of the NYSE."""
    firm, index = yahoo_raw("AMBA")["Adj Close"], yahoo_raw("VONE")["Adj Close"]
    dates = index.index  # every NYSE session is in the file (README of us-2019)
    assert firm.index.equals(dates)
    r, m = (firm / firm.shift(1) - 1).to_numpy(), (index / index.shift(1) - 1).to_numpy()
    d0 = dates.get_loc(pd.Timestamp("2019-10-08"))
    rows = np.arange(d0 - 260, d0 - 10)
    fit = sm.OLS(r[rows], sm.add_constant(m[rows])).fit()
    est = default_results.estimates.query("event_id == @US_EVENT and ticker == 'AMBA'").iloc[0]
    assert (est["day0"], est["est_start"], est["est_end"]) == ("2019-10-08", dates[d0 - 260].date().isoformat(),
                                                               dates[d0 - 11].date().isoformat())  # fmt: skip
    assert est["n_est"] == 250 and est["beta"] == pytest.approx(fit.params[1], rel=1e-10)
    for end in (1, 5):
        pos = np.arange(d0, d0 + end + 1)
        ar = r[pos] - fit.params[0] - fit.params[1] * m[pos]
        g = np.array([len(pos), m[pos].sum()])
        se = np.sqrt(fit.scale * len(pos) + g @ fit.cov_params() @ g)
        row = default_results.car.query("event_id == @US_EVENT and ticker == 'AMBA' and window_start == 0 "
                                        "and window_end == @end").iloc[0]  # fmt: skip
        assert row["car"] == pytest.approx(ar.sum(), rel=1e-10)
        assert row["car_t"] == pytest.approx(ar.sum() / se, rel=1e-10)
    day0 = default_results.ar.query("event_id == @US_EVENT and ticker == 'AMBA' and rel_day == 0").iloc[0]
    assert day0["date"] == "2019-10-08"


def test_each_market_keeps_its_own_day_zero_and_tests_count_its_firms(default_results):
    est = default_results.estimates.set_index(["event_id", "ticker"])["day0"]
    assert est[("us-entity-list-2019-10-07", "002415.SZ")] == "2019-10-08"
    assert est[("us-suppliers-huawei-2019-05-15", "NPTN")] == "2019-05-16"
    markets = {(fe.event_id, fe.ticker): m for fe, m in zip(default_results.abnormal.firm_events,
                                                           default_results.markets, strict=True)}  # fmt: skip
    assert markets[("us-suppliers-2019-10-07", "NVDA")] == markets[("us-suppliers-2019-10-07", "AMBA")]
    nvda, hik = markets[("us-suppliers-2019-10-07", "NVDA")], markets[("us-entity-list-2019-10-07", "002415.SZ")]
    assert (nvda.exchange, nvda.calendar, nvda.benchmark) == ("XNAS", "XNYS", "VONE")
    assert (hik.exchange, hik.calendar, hik.benchmark) == ("XSHE", "XSHG", "000300.SS")
    assert set(default_results.panels) == {("XSHG", "000300.SS"), ("XNYS", "VONE")}
    tests = default_results.tests.query("event_id == 'us-suppliers-huawei-2019-05-15' and window_end == 5")
    assert set(tests["n_firms"]) == {13}


def test_too_few_estimation_returns_is_an_error(default_study):
    strict = dataclasses.replace(default_study, min_estimation_returns=251)
    # 250 single-session returns in the window, less the 31 sessions of the Huawei listing's days -10..+20
    with pytest.raises(
        DataError,
        match=r"002415.SZ: event us-entity-list-2019-10-07: 219 single-session returns in the estimation window "
        r"\[-260, -11\] \(31 masked sessions left out, study.estimation_exclude: study_events, days \[-10, 20\] of "
        r"the firm's other events\), fewer than min_estimation_returns=251",
    ):
        run_study(strict, open_provider("snapshot"))


@pytest.mark.parametrize(
    ("announced", "message"),
    [
        # after the snapshot: the benchmark has no prices for the study's range
        ("2023-03-01 18:00", r"000300.SS: no prices between 2022-01-17 and 2023-06-14 from snapshot"),
        # too early: the estimation window starts before the data
        ("2015-06-01 18:00", r"002415.SZ: event us-entity-list-2019-10-07: \d+ single-session returns"),
    ],
)
def test_announcement_the_data_cannot_support_is_an_error(default_study, announced, message):
    moved = dataclasses.replace(default_study.events[0], announced=pd.Timestamp(announced, tz="America/New_York"))
    study = dataclasses.replace(default_study, events=(moved,))
    with pytest.raises(DataError, match=message):
        run_study(study, open_provider("snapshot"))


def test_the_battery_in_a_forked_worker_leaves_every_table_as_the_serial_run(
    default_study, default_results, monkeypatch
):
    """The default study with its windows' battery in a forked worker while this process builds the other tables
    (pending_significance_table, forced for a study this small): every table as the serial run's, at 1e-12."""
    from eventstudy.inference import significance

    monkeypatch.setattr(significance, "PARALLEL_FIRM_EVENT_WINDOWS", 1)
    forked = run_study(default_study, open_provider("snapshot"))
    for name in ("tests", "car", "ar", "estimates", "halts"):
        pd.testing.assert_frame_equal(getattr(forked, name), getattr(default_results, name), rtol=1e-12, atol=0)
    for name in ("volume", "volatility", "reaction_tests", "confounder_sensitivity"):
        pd.testing.assert_frame_equal(forked.extra[name], default_results.extra[name], rtol=1e-12, atol=0)


class _HaltedFrom:
    """The snapshot, with one firm suspended from ``first`` (a date) for ``sessions`` of its sessions: the rows
    of the halt as the exchange shows them (close held at the last close, no volume), and the resumption's
    previous close the last close before the halt (its return spans the whole halt)."""

    def __init__(self, ticker: str, first: str, sessions: int) -> None:
        self.snapshot, self.ticker, self.first, self.sessions = open_provider("snapshot"), ticker, first, sessions
        self.name = self.snapshot.name

    def history(self, ticker, start=None, end=None):
        frame = self.snapshot.history(ticker, start, end)
        if ticker != self.ticker:
            return frame
        frame = frame.copy()
        k = frame.index.get_loc(pd.Timestamp(self.first))
        held = frame["close"].iloc[k - 1]
        halt = frame.index[k : k + self.sessions]
        frame.loc[halt, ["close", "prev_close", "volume"]] = [held, held, 0.0]
        frame.loc[halt, "traded"] = False
        frame.loc[frame.index[k + self.sessions], "prev_close"] = held
        return frame

    def provenance(self, ticker):
        return self.snapshot.provenance(ticker)


def test_a_firm_halted_over_the_daily_paths_last_day_is_followed_to_its_resumption(default_study):
    """Meiya Pico trades through day 10 (the last event window's end) but is suspended from day 19 past the price
    chart's day 60. The daily path's days 19 and 20 count the return that ends on its resumption (overlap rule),
    whatever the other firms do: the engine's days reach it, and the one-day windows count four firms."""
    d0 = pd.Timestamp("2019-10-08")
    sessions = open_provider("snapshot").history("000300.SS").index
    first = sessions[sessions.get_loc(d0) + 19]
    results = run_study(default_study, _HaltedFrom("300188.SZ", str(first.date()), 50))
    ab = results.abnormal
    assert ab.rel_days.max() >= 19 + 50  # the resumption, 50 sessions after day 19, is in the engine's days
    tests = results.tests.query("event_id == @EVENT and test == 'csect_t'").set_index(["window_start", "window_end"])
    assert tests.loc[(20, 20), "n_firms"] == 4
    assert tests.loc[(19, 19), "n_firms"] == 4
    halts = results.halts.query("event_id == @EVENT and ticker == '300188.SZ'")
    assert len(halts) == 1 and halts["span"].iloc[0] == 51


def test_one_market_holds_a_halted_firm_to_its_own_resumption_with_the_numbers_of_the_widened_range(default_study):
    """The Chinese events alone (one market group): the suspended firm's resumption is the only relative day past
    the price chart (the engine's per-firm-event reach), where the two-market study reads every firm-event to it.
    Every figure of the Chinese events is the same either way (1e-12)."""
    import dataclasses

    d0 = pd.Timestamp("2019-10-08")
    sessions = open_provider("snapshot").history("000300.SS").index
    first = str(sessions[sessions.get_loc(d0) + 19].date())
    chinese = dataclasses.replace(
        default_study, events=tuple(ev for ev in default_study.events if ev.id.startswith("us-entity-list"))
    )
    one = run_study(chinese, _HaltedFrom("300188.SZ", first, 50))
    both = run_study(default_study, _HaltedFrom("300188.SZ", first, 50))
    hi = default_study.relative_span[1]
    assert list(one.abnormal.rel_days[one.abnormal.rel_days > hi]) == [19 + 50]
    assert both.abnormal.rel_days.max() == 19 + 50 and (both.abnormal.rel_days > hi).sum() == 19 + 50 - hi
    ids = {ev.id for ev in chinese.events}
    for name in ("car", "ar", "tests", "halts"):
        a = getattr(one, name)
        b = getattr(both, name)
        b = b[b["event_id"].isin(ids)].reset_index(drop=True)
        # (ar.csv's labels are categorical: the two-market study's hold the US tickers and events too)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b, rtol=1e-12, atol=0, check_dtype=False,
                                      check_categorical=False)  # fmt: skip
    a, b = one.estimates, both.estimates[both.estimates["event_id"].isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b, rtol=1e-12, atol=0, check_dtype=False)
