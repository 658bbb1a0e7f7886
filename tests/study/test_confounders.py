"""The confounder screen (eventstudy/study/confounders.py) on the default study and on simulated returns.

Expected figures are rebuilt without eventstudy's code: session positions from the benchmarks' own price files,
the separate shocks of the US events from statsmodels' OLS prediction intervals, the size of the shock screen from
Student's t."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from scipy import stats

import eventstudy as es
from eventstudy.data.calendar import sessions
from eventstudy.data.earnings import YahooEarnings
from eventstudy.data.returns import returns_panel
from eventstudy.data.snapshot import US_2019_DIR, SnapshotProvider
from eventstudy.model.engine import FirmEvent, abnormal_returns
from eventstudy.study.confounders import COLUMNS, separate_shocks

from ..conftest import ROOT, SNAPSHOT_CSV

OCTOBER, HUAWEI = "us-entity-list-2019-10-07", "us-entity-list-huawei-2019-05-15"
US_HUAWEI, US_OCTOBER = "us-suppliers-huawei-2019-05-15", "us-suppliers-2019-10-07"


def study_dict(**keys) -> dict:
    """The default study without alternative benchmarks (fewer runs), with ``keys`` set in ``study:``."""
    data = yaml.safe_load((ROOT / "events.yaml").read_text())
    data["study"].pop("alternative_benchmarks", None)
    data["study"].update(keys)
    return data


@pytest.fixture(scope="module")
def default_run():
    return es.run(study_dict(), source="snapshot")


def test_the_default_study_lists_its_own_overlapping_events(default_run):
    table = default_run.confounders
    assert list(table.columns) == COLUMNS
    own = table[table["kind"] == "study_event"]
    # the four Shenzhen firms are in both events: the Huawei listing (day 0 16 May 2019) lies in the estimation
    # window of 8 Oct 2019, 96 sessions before (counted on the CSI 300's own dates), and nowhere near the Huawei
    # event's windows from the other side (8 Oct is 96 sessions after 16 May: past its windows and before its
    # estimation window).
    dates = pd.read_csv(SNAPSHOT_CSV / "000300.SS.csv", parse_dates=["date"])["date"]
    gap = int(dates[dates == "2019-10-08"].index[0] - dates[dates == "2019-05-16"].index[0])
    assert gap == 96
    assert sorted(own["ticker"]) == sorted(["002415.SZ", "002236.SZ", "002230.SZ", "300188.SZ"])
    assert set(own["event_id"]) == {OCTOBER} and set(own["rel_day"]) == {-gap} and set(own["date"]) == {"2019-05-16"}
    assert all("masked out of the estimation sample (listed only)" in d for d in own["detail"])
    # masked: listed, not confounding: 300188.SZ has no other row, so it is not confounded
    car = default_run.car
    assert not car.loc[(car["event_id"] == OCTOBER) & (car["ticker"] == "300188.SZ"), "confounded"].any()


def test_an_unmasked_study_event_confounds(tmp_path):
    run = es.run(study_dict(estimation_exclude="none"), source="snapshot")
    own = run.confounders[run.confounders["kind"] == "study_event"]
    assert len(own) == 4 and all("NOT masked" in d for d in own["detail"])
    car = run.car
    assert car.loc[car["event_id"] == OCTOBER, "confounded"].all()


def test_study_event_rows_word_each_case_by_hand():
    """Firm A in three events: B's period overlaps A-in-E1's event windows; E1 lies in the estimation window of
    A-in-E2 (masked there) and of A-in-E3 (not masked). Each row names the other event, its day 0 and its case."""
    from eventstudy.study.confounders import _study_events
    from eventstudy.study.masking import Exclusion

    day0 = pd.to_datetime(["2020-03-02", "2020-03-04", "2020-06-01", "2020-06-03"])
    located = pd.DataFrame({"i": [0, 1, 2, 3], "ticker": ["A", "A", "A", "A"], "calendar": "XSHG",
                            "event_id": ["E1", "B", "E2", "E3"], "day0": day0, "pos0": [100, 102, 160, 161]})  # fmt: skip
    exclusions = [Exclusion(), Exclusion(), Exclusion((("E1", np.zeros(1, "datetime64[ns]")),)), Exclusion()]
    rows = _study_events(located, ((-1, 5), (-120, -11), (-2, 2)), exclusions)
    got = {
        (int(i), int(r)): (d, bool(c)) for i, r, d, c in rows[["i", "rel_day", "detail", "confounds"]].itertuples(False)
    }
    windows = "its event period [-2, 2] overlaps the event windows [-1, 5]"
    estimation = "its event period [-2, 2] overlaps the estimation window [-120, -11]"
    assert got == {
        (0, 2): (f"event B (day 0 2020-03-04): {windows}", True),
        (1, -2): (f"event E1 (day 0 2020-03-02): {windows}", True),
        (2, -60): (
            f"event E1 (day 0 2020-03-02): {estimation}; masked out of the estimation sample (listed only)",
            False,
        ),
        (2, -58): (
            f"event B (day 0 2020-03-04): {estimation}; NOT masked out of the estimation sample (estimation_exclude)",
            True,
        ),
        (3, -61): (
            f"event E1 (day 0 2020-03-02): {estimation}; NOT masked out of the estimation sample (estimation_exclude)",
            True,
        ),
        (3, -59): (
            f"event B (day 0 2020-03-04): {estimation}; NOT masked out of the estimation sample (estimation_exclude)",
            True,
        ),
        (2, 1): (f"event E3 (day 0 2020-06-03): {windows}", True),
        (3, -1): (f"event E2 (day 0 2020-06-01): {windows}", True),
    }


def test_same_ticker_pairs_are_every_ordered_pair_of_a_ticker_and_calendar_in_row_order():
    """The self-join by positions against the pairs listed one by one: left rows in order, each one's partners
    (itself included) in row order; a ticker on two calendars makes two groups."""
    from eventstudy.study.confounders import same_ticker_pairs

    rng = np.random.default_rng(3)
    tickers, calendars = rng.choice(["A", "B", "C", "D"], 40), rng.choice(["XSHG", "XNYS"], 40)
    located = pd.DataFrame({"ticker": tickers, "calendar": calendars})
    left, right = same_ticker_pairs(located)
    expected = [
        (a, b) for a in range(40) for b in range(40) if (tickers[a], calendars[a]) == (tickers[b], calendars[b])
    ]
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == expected
    assert [len(x) for x in same_ticker_pairs(located.iloc[:0])] == [0, 0]


def us_returns(ticker: str) -> pd.Series:
    frame = pd.read_csv(US_2019_DIR / f"{ticker}.csv", parse_dates=["Date"]).set_index("Date")
    return frame["Adj Close"].pct_change()


def statsmodels_shocks(event_day0: str, tickers: list[str], threshold: float) -> dict[tuple[str, int], float]:
    """(ticker, relative day) of every return in [-1, 10] but day 0 with |SAR| > threshold: the market model on
    VONE fitted by statsmodels' OLS over sessions [-260, -11], SAR = residual / the prediction's observation s.e."""
    market = us_returns("VONE")
    axis = market.index
    d0 = axis.get_loc(pd.Timestamp(event_day0))
    out = {}
    for ticker in tickers:
        firm = us_returns(ticker).reindex(axis)
        est = slice(d0 - 260, d0 - 10)
        y, x = firm.iloc[est], market.iloc[est]
        ok = y.notna() & x.notna()
        fit = sm.OLS(y[ok].to_numpy(), sm.add_constant(x[ok].to_numpy())).fit()
        for rel in [-1, *range(1, 11)]:
            r, m = firm.iloc[d0 + rel], market.iloc[d0 + rel]
            pred = fit.get_prediction(np.array([[1.0, m]])).summary_frame()
            sar = (r - pred["mean"].iloc[0]) / np.sqrt(pred["mean_se"].iloc[0] ** 2 + fit.scale)
            if abs(sar) > threshold:
                out[(ticker, rel)] = sar
    return out


def test_every_separate_shock_above_the_threshold_is_listed(default_run):
    table = default_run.confounders
    shocks = table[table["kind"] == "separate_shock"]
    study = default_run.study
    for event, day0 in ((US_HUAWEI, "2019-05-16"), (US_OCTOBER, "2019-10-08")):
        tickers = [f.ticker for ev in study.events if ev.id == event for f in ev.firms]
        expected = statsmodels_shocks(day0, tickers, 3.0)
        mine = shocks[shocks["event_id"] == event]
        listed = {
            (t, int(r)): float(re.match(r"SAR ([+-][0-9.]+)", d).group(1))
            for t, r, d in zip(mine["ticker"], mine["rel_day"], mine["detail"], strict=True)
        }
        assert set(listed) == set(expected)
        for key, sar in listed.items():  # printed to 3 decimals
            assert sar == pytest.approx(expected[key], abs=5e-4)
    assert {(t, int(r)) for t, r in zip(shocks["ticker"], shocks["rel_day"], strict=True) if t == "NPTN"} == {
        ("NPTN", 1)
    }
    # a lower threshold lists more: a strict superset
    lower = es.run(study_dict(shock_threshold=2), source="snapshot").confounders.query("kind == 'separate_shock'")
    pairs = set(zip(lower["event_id"], lower["ticker"], lower["rel_day"], strict=True))
    assert set(zip(shocks["event_id"], shocks["ticker"], shocks["rel_day"], strict=True)) < pairs


def test_the_return_that_holds_day_0_is_never_a_separate_shock(default_run):
    # Hikvision and Dahua were suspended on 8 and 9 October 2019 (days 0 and +1): their return of 10 October
    # (day +2) spans three sessions and holds day 0, so it is the reaction, never a shock; iFlytek traded on
    # day 0 and its day +2 is a single-session return: it may be listed.
    shocks = default_run.confounders.query("kind == 'separate_shock'")
    assert not ((shocks["ticker"].isin(["002415.SZ", "002236.SZ"])) & (shocks["event_id"] == OCTOBER)).any()
    assert ((shocks["ticker"] == "002230.SZ") & (shocks["rel_day"] == 2)).any()
    assert (shocks["rel_day"] != 0).all()


def test_the_snapshot_says_it_has_no_earnings_dates(default_run):
    notes = default_run.confounders.query("kind == 'not_screened'")
    firms = {f.ticker for ev in default_run.study.events for f in ev.firms}
    assert set(notes["ticker"]) == firms
    assert set(notes["detail"]) == {"earnings dates not screened: source snapshot has none"}
    assert (notes["event_id"] == "").all() and notes["rel_day"].isna().all()


def test_ex_dates_in_the_windows_are_listed_and_confound(default_run):
    rows = default_run.confounders.query("kind == 'distribution'")
    # Hikvision's 2019 dividend: reference close 23.96 on 24 May 2019 against the 24.56 close of 23 May (day +6)
    hik = rows[(rows["ticker"] == "002415.SZ") & (rows["event_id"] == HUAWEI)]
    assert list(hik["date"]) == ["2019-05-24"] and list(hik["rel_day"]) == [6]
    raw = pd.read_csv(SNAPSHOT_CSV / "002415.SZ.csv").set_index("date")
    assert raw.loc["2019-05-24", "prev_close"] == 23.96 and raw.loc["2019-05-23", "close"] == 24.56
    car = default_run.car
    assert car.loc[(car["event_id"] == HUAWEI) & (car["ticker"] == "002415.SZ"), "confounded"].all()


class EarningsSnapshot(SnapshotProvider):
    """The snapshot's prices with recorded Yahoo earnings dates (yfinance's shape) for QCOM and AMBA."""

    def __init__(self) -> None:
        super().__init__()
        self.earnings = YahooEarnings(self.fetch)

    @staticmethod
    def fetch(ticker: str) -> pd.DataFrame | None:
        stamps = {
            # after the 16:00 close: the next session (21 May, day +3 of the 16 May event); before the open: that day
            "QCOM": ["2019-05-20 16:05", "2019-05-22 08:00", "2019-07-31 16:00"],
            "AMBA": ["2019-08-27 16:00", "2019-12-03 16:00"],  # outside [-1, 10] of 8 October
        }.get(ticker)
        if stamps is None:
            return None
        index = pd.DatetimeIndex(
            [pd.Timestamp(s).tz_localize("America/New_York") for s in stamps], name="Earnings Date"
        )
        n = len(stamps)
        return pd.DataFrame(
            {"EPS Estimate": np.linspace(0.7, 0.8, n), "Reported EPS": np.r_[0.77, [np.nan] * (n - 1)],
             "Surprise(%)": np.r_[8.45, [np.nan] * (n - 1)]},
            index=index,
        )  # fmt: skip


def test_earnings_releases_from_recorded_responses_fall_on_the_session_that_trades_on_them(tmp_path):
    run = es.run(study_dict(), source=EarningsSnapshot())
    table = run.confounders
    rows = table[table["kind"] == "earnings"]
    assert list(zip(rows["ticker"], rows["date"], rows["rel_day"], strict=True)) == [
        ("QCOM", "2019-05-21", 3), ("QCOM", "2019-05-22", 4)
    ]  # fmt: skip
    assert rows["detail"].iloc[0] == (
        "earnings release 2019-05-20 16:05 EDT, EPS estimate 0.7, reported EPS 0.77, surprise % 8.45"
    )
    notes = table[table["kind"] == "not_screened"]
    assert "QCOM" not in set(notes["ticker"]) and "AMBA" not in set(notes["ticker"])
    assert set(notes.loc[notes["ticker"] == "NPTN", "detail"]) == {
        "earnings dates not screened: Yahoo lists no earnings dates"
    }
    car = run.car
    assert car.loc[(car["event_id"] == US_HUAWEI) & (car["ticker"] == "QCOM"), "confounded"].all()


def test_user_news_is_placed_on_the_first_session_on_or_after_its_date(tmp_path):
    news = tmp_path / "news.csv"
    news.write_text(
        "ticker,date,description\n"
        "AMBA,2019-10-12,Ambarella guidance cut <b>reported</b>\n"  # a Saturday: Monday 14 October, day +4
        "AMBA,2019-11-30,outside the windows\n"
        "MSFT,2019-10-09,not a firm of the study\n"
    )
    data = study_dict(confounders=str(news))
    run = es.run(data, source="snapshot")
    rows = run.confounders.query("kind == 'news'")
    assert list(zip(rows["event_id"], rows["ticker"], rows["date"], rows["rel_day"], strict=True)) == [
        (US_OCTOBER, "AMBA", "2019-10-14", 4)
    ]
    assert rows["detail"].iloc[0] == f"Ambarella guidance cut <b>reported</b> ({news}, line 2, dated 2019-10-12)"
    car = run.car
    assert car.loc[(car["event_id"] == US_OCTOBER) & (car["ticker"] == "AMBA"), "confounded"].all()


def test_exclude_confounded_runs_the_tests_without_them_and_the_sensitivity_row_is_the_other_choice(default_run):
    excluded = es.run(study_dict(exclude_confounded=True), source="snapshot")
    flagged = default_run.car.drop_duplicates(["event_id", "ticker"]).groupby("event_id")["confounded"].sum()
    assert flagged[US_HUAWEI] == 5  # NPTN, QRVO, QCOM (shocks), SWKS, XLNX (ex-dates): see the other tests
    tests_in, tests_out = default_run.tests, excluded.tests
    key = ["event_id", "window_start", "window_end", "test"]
    both = tests_in.merge(tests_out, on=key, suffixes=("_in", "_out"))
    for event, n in flagged.items():
        rows = both[(both["event_id"] == event) & both["test"].eq("kp_bmp_t")]
        assert ((rows["n_firms_in"] - rows["n_firms_out"]) == n).all()
    head_in, head_out = default_run.headline, excluded.headline
    sens_in, sens_out = default_run.sensitivity, excluded.sensitivity
    assert set(sens_in["role"]) == {"without_confounded"} and set(sens_out["role"]) == {"with_confounded"}
    for head, sens in ((head_out, sens_in), (head_in, sens_out)):  # the other run's headline, figure for figure
        merged = head.merge(sens, on=["event_id", "window_start", "window_end"], suffixes=("", "_s"))
        assert len(merged) == len(head) == 16
        np.testing.assert_allclose(merged["caar_s"], merged["caar"], rtol=1e-12)
        np.testing.assert_allclose(merged["statistic_s"], merged["statistic"], rtol=1e-9)
        np.testing.assert_allclose(merged["p_value_s"], merged["p_value"], rtol=1e-9)
        assert (merged["n_firms_s"] == merged["n_firms"]).all()
    note = head_out.loc[head_out["event_id"] == US_HUAWEI, "note"].iloc[0]
    assert "left out as confounded (exclude_confounded; see confounders.csv): NPTN, QRVO, SWKS, XLNX, QCOM" in note


def test_an_event_whose_firm_events_are_all_confounded_keeps_its_headline_rows():
    run = es.run(study_dict(exclude_confounded=True, shock_threshold=1e-6), source="snapshot")
    assert run.car["confounded"].all()
    head = run.headline
    assert len(head) == 16 and (head["n_firms"] == 0).all() and head["caar"].isna().all()
    assert head["note"].str.startswith("left out as confounded").all()
    sens = run.sensitivity
    assert sens["caar"].notna().all() and (sens["role"] == "with_confounded").all()


def test_the_shock_screen_has_its_nominal_size_under_the_null():
    """Market-model returns with normal disturbances: SAR is Student t with n − 2 degrees of freedom, so a return
    exceeds c in absolute value with probability 2 P(t > c). 1,000 firm-events × 11 sessions at c = 2."""
    rng = np.random.default_rng(7)
    n_firms, n_sessions, day0 = 1000, 290, 275
    axis = sessions("XNYS", pd.Timestamp("2017-01-03"))[:n_sessions]
    market = rng.normal(0.0004, 0.01, n_sessions)
    histories = {}
    for k in range(n_firms + 1):
        r = market if k == n_firms else 0.0002 + 1.1 * market + rng.normal(0.0, 0.02, n_sessions)
        close = 10.0 * np.cumprod(1.0 + r)
        histories["MKT" if k == n_firms else f"F{k}"] = pd.DataFrame(
            {"close": close, "prev_close": np.r_[10.0, close[:-1]], "volume": 1.0, "traded": True}, index=axis
        )
    panel = returns_panel(histories, axis, benchmarks=("MKT",))
    firm_events = [FirmEvent("e", f"F{k}", f"F{k}", axis[day0]) for k in range(n_firms)]
    ab = abnormal_returns(panel, "MKT", firm_events, "market_model", (-260, -11), (-1, 10))
    hits = separate_shocks(ab, [(-1, 1), (0, 10)], 2.0)
    draws = n_firms * 11
    expected = 2 * stats.t.sf(2.0, 248)
    assert abs(len(hits) / draws - expected) < 4 * np.sqrt(expected * (1 - expected) / draws)
    assert set(hits["rel_day"]) <= {-1, *range(1, 11)}


def test_separate_shocks_on_the_window_columns_equal_the_whole_arrays(monkeypatch):
    """The screen reads the standardised ARs only on the columns the event windows count, BATCH_FIRM_EVENTS rows
    at a time; its rows are those of the rule applied to the whole ``(N, W)`` arrays (a halted firm's late return
    that overlaps a window included, a day-0 return and the days outside the windows left out), in blocks of 3
    rows as in one."""
    import eventstudy.study.confounders as confounders

    rng = np.random.default_rng(3)
    n_firms, n_sessions, day0 = 40, 290, 270
    axis = sessions("XNYS", pd.Timestamp("2017-01-03"))[:n_sessions]
    market = rng.normal(0.0004, 0.01, n_sessions)
    histories = {"MKT": None}
    for k in range(n_firms):
        close = 10.0 * np.cumprod(1.0 + 0.0002 + 1.1 * market + rng.normal(0.0, 0.03, n_sessions))
        traded = np.ones(n_sessions, dtype=bool)
        if k % 5 == 0:  # halted over days 9..12: the return of day 13 spans them and overlaps the window [0, 10]
            traded[day0 + 9 : day0 + 13] = False
        close = np.where(traded, close, np.nan)
        close = pd.Series(close).ffill().to_numpy()
        histories[f"F{k}"] = pd.DataFrame(
            {"close": close, "prev_close": np.r_[10.0, close[:-1]], "volume": np.where(traded, 1.0, 0.0),
             "traded": traded}, index=axis,
        )  # fmt: skip
    histories["MKT"] = pd.DataFrame(
        {"close": 10.0 * np.cumprod(1.0 + market), "volume": 1.0, "traded": True}, index=axis
    ).assign(prev_close=lambda f: np.r_[10.0, f["close"].to_numpy()[:-1]])
    panel = returns_panel(histories, axis, benchmarks=("MKT",))
    firm_events = [FirmEvent("e", f"F{k}", f"F{k}", axis[day0]) for k in range(n_firms)]
    ab = abnormal_returns(panel, "MKT", firm_events, "market_model", (-260, -11), (-1, 15))
    windows, threshold = [(-1, 1), (0, 10)], 1.0
    hits = separate_shocks(ab, windows, threshold)
    counted = ab.overlap(windows[0]) | ab.overlap(windows[1])
    rel = ab.rel_days[None, :]
    holds_day0 = (ab.span > 0) & (rel >= 0) & (rel - ab.span + 1 <= 0)
    with np.errstate(invalid="ignore"):
        want = counted & ~holds_day0 & np.isfinite(ab.sar) & (np.abs(ab.sar) > threshold)
    i, j = np.nonzero(want)
    assert (ab.span[i, j] > 1).any() and (ab.rel_days[j] > 10).any()  # late returns after halts among them
    np.testing.assert_array_equal(hits["i"], i)
    np.testing.assert_array_equal(hits["rel_day"], ab.rel_days[j])
    assert hits["detail"].str.contains(r"SAR [+-]\d\.\d{3}").all()
    monkeypatch.setattr(confounders, "BATCH_FIRM_EVENTS", 3)
    pd.testing.assert_frame_equal(separate_shocks(ab, windows, threshold), hits)


def test_results_built_by_hand_have_an_empty_table():
    from eventstudy.study.confounders import study_confounders

    frame = study_confounders(dataclasses.make_dataclass("R", [])())
    assert list(frame.columns) == COLUMNS and frame.empty


def test_the_benchmark_sensitivity_leaves_out_the_same_firm_events():
    run = es.run(study_dict(exclude_confounded=True, alternative_benchmarks=["QQQ"]), source="snapshot")
    sens = run.sensitivity
    rows = sens[(sens["event_id"] == US_HUAWEI) & sens["role"].isin(["main", "alternative"])]
    assert list(rows["benchmark"].unique()) == ["VONE", "QQQ"]
    # 13 suppliers less the 5 confounded ones against VONE: the same 8 against QQQ (whose SARs would differ)
    assert (rows["n_firms"] == 8).all()


def test_the_console_line_and_the_text_summary_say_what_the_screen_found(default_run):
    line = (
        "7 of 28 firm-events confounded, counted in the tests (4 study_event, 4 separate_shock, 4 distribution); "
        "earnings dates not screened: source snapshot has none (24 tickers)"
    )
    from eventstudy.study.confounders import screen_words

    assert screen_words(default_run.raw) == line
    assert f"Confounders:           {line}" in str(default_run.summary())
