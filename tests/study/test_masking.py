"""Estimation windows free of the study's own events (issue 21, item 3; eventstudy/study/masking.py).

Every expected figure is rebuilt here without eventstudy's code: the session calendar from the benchmark's own
price file (the CSI 300 trades every Shanghai/Shenzhen session) or listed by hand, the fits with statsmodels.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import eventstudy as es
from eventstudy.data import open_provider
from eventstudy.errors import DataError
from eventstudy.inference.sample import window_samples
from eventstudy.spec.config import Study
from eventstudy.study.run import run_study

from ..conftest import SNAPSHOT_CSV

OCTOBER = "us-entity-list-2019-10-07"
HUAWEI = "us-entity-list-huawei-2019-05-15"
SHENZHEN = ["002415.SZ", "002236.SZ", "002230.SZ", "300188.SZ"]  # in both events
RTOL = 1e-12


def raw(ticker: str) -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT_CSV / f"{ticker}.csv", parse_dates=["date"]).set_index("date")


@pytest.fixture(scope="module")
def calendar():
    """The Shanghai/Shenzhen sessions (the CSI 300's dates), the positions of the two day 0s (8 Oct and 16 May
    2019, the first sessions after the New York evening announcements), the estimation window of 8 Oct
    (sessions -260..-11) and the Huawei listing's event period (days -10..+20: the span of the default
    study's event windows [-1, 10] and daily path [-10, 20])."""
    dates = raw("000300.SS").index
    d0, h0 = dates.get_loc(pd.Timestamp("2019-10-08")), dates.get_loc(pd.Timestamp("2019-05-16"))
    window = np.arange(d0 - 260, d0 - 10)
    huawei = np.arange(h0 - 10, h0 + 21)
    return {"dates": dates, "window": window, "masked": np.intersect1d(window, huawei)}


def statsmodels_fit(ticker: str, calendar: dict, leave_out: np.ndarray) -> sm.regression.linear_model.RegressionResults:
    """OLS of the firm's single-session returns on the CSI 300's over the estimation window of 8 Oct 2019, less
    the sessions at positions ``leave_out``. A single-session return: the firm traded on the session and on the
    one before (close / prev_close − 1, the exchange's reference price being the previous close)."""
    dates = calendar["dates"]
    firm, index = raw(ticker).reindex(dates), raw("000300.SS")
    traded = firm["traded"].to_numpy() == 1
    single = traded & np.concatenate([[False], traded[:-1]])
    r = (firm["close"] / firm["prev_close"] - 1).to_numpy()
    m = (index["close"] / index["prev_close"] - 1).to_numpy()
    rows = np.setdiff1d(calendar["window"], leave_out)
    use = rows[single[rows] & np.isfinite(r[rows]) & np.isfinite(m[rows])]
    return sm.OLS(r[use], sm.add_constant(m[use])).fit()


@pytest.fixture(scope="module")
def unmasked(default_study):
    """The default study with ``estimation_exclude: none``."""
    return run_study(dataclasses.replace(default_study, estimation_exclude="none"), open_provider("snapshot"))


def test_the_october_event_leaves_out_the_huawei_listings_sessions(default_results, calendar):
    """(a) The four Shenzhen firms of 8 Oct 2019 were in the Huawei listing of 16 May 2019: its days -10..+20,
    29 April .. 14 June 2019 on the Shanghai/Shenzhen calendar (1-3 May and 7 June are holidays), are masked."""
    dates, masked = calendar["dates"], calendar["masked"]
    assert len(masked) == 31  # the whole event period lies inside the estimation window
    first, last = dates[masked[0]].date().isoformat(), dates[masked[-1]].date().isoformat()
    assert (first, last) == ("2019-04-29", "2019-06-14")
    assert np.array_equal(masked, np.arange(masked[0], masked[-1] + 1))  # one run of consecutive sessions
    est = default_results.estimates.set_index(["event_id", "ticker"])
    for ticker in SHENZHEN:
        row = est.loc[(OCTOBER, ticker)]
        assert row["n_masked"] == 31
        assert row["masked"] == f"{first}..{last}"
        assert row["masked_by"] == HUAWEI
    # The other firm-events have no other event of theirs in an estimation window: the October windows come
    # after the May events' estimation windows, and no US firm is in two events.
    others = default_results.estimates.query("event_id != @OCTOBER")
    assert (others["n_masked"] == 0).all() and (others["masked"] == "").all() and (others["masked_by"] == "").all()
    # The engine's estimation sample and the sessions it masked, on Hikvision's row
    ab = default_results.abnormal
    i = next(k for k, fe in enumerate(ab.firm_events) if (fe.event_id, fe.ticker) == (OCTOBER, "002415.SZ"))
    d0 = dates.get_loc(pd.Timestamp("2019-10-08"))
    masked_days = ab.rel_days[ab.masked[i]]
    assert np.array_equal(masked_days, masked - d0)
    assert not ab.estimation[i][ab.masked[i]].any()


def test_without_a_mask_the_estimates_are_the_full_windows(unmasked, calendar):
    """(b) ``estimation_exclude: none``: nothing masked; α and β are OLS on the whole estimation window."""
    assert (unmasked.estimates["n_masked"] == 0).all() and (unmasked.estimates["masked"] == "").all()
    est = unmasked.estimates.set_index(["event_id", "ticker"])
    for ticker in SHENZHEN:
        fit = statsmodels_fit(ticker, calendar, np.array([], dtype=int))
        row = est.loc[(OCTOBER, ticker)]
        assert row["n_est"] == fit.nobs
        np.testing.assert_allclose([row["alpha"], row["beta"]], fit.params, rtol=RTOL)
        np.testing.assert_allclose(row["sigma"], np.sqrt(fit.scale), rtol=RTOL)


def test_with_the_mask_the_estimates_are_ols_without_the_masked_sessions(default_results, unmasked, calendar):
    """(c) The default: α, β and σ are OLS on the estimation window less the Huawei listing's sessions; n_est
    falls by the masked single-session returns (31 for the three firms that traded throughout)."""
    est = default_results.estimates.set_index(["event_id", "ticker"])
    before = unmasked.estimates.set_index(["event_id", "ticker"])
    for ticker in SHENZHEN:
        fit = statsmodels_fit(ticker, calendar, calendar["masked"])
        row = est.loc[(OCTOBER, ticker)]
        assert row["n_est"] == fit.nobs
        np.testing.assert_allclose([row["alpha"], row["beta"]], fit.params, rtol=RTOL)
        np.testing.assert_allclose(row["sigma"], np.sqrt(fit.scale), rtol=RTOL)
        assert row["beta"] != pytest.approx(before.loc[(OCTOBER, ticker), "beta"], rel=1e-6)  # the mask matters
        assert (row["est_start"], row["est_end"]) == ("2018-09-05", "2019-09-16")  # the window is not extended
    assert est.loc[(OCTOBER, "002415.SZ"), "n_est"] == before.loc[(OCTOBER, "002415.SZ"), "n_est"] - 31
    # the May event's estimates are untouched
    may = default_results.estimates.query("event_id == @HUAWEI")
    pd.testing.assert_frame_equal(may, unmasked.estimates.query("event_id == @HUAWEI"))


def test_the_tests_estimation_period_leaves_the_masked_sessions_out(default_results, calendar):
    """What the test battery reads as Hikvision's estimation period (the ARs before the window's days) are the
    residuals of the masked fit on its unmasked single-session days, and nothing on the masked days."""
    dates = calendar["dates"]
    fit = statsmodels_fit("002415.SZ", calendar, calendar["masked"])
    sample = window_samples(default_results.abnormal, (0, 1))[OCTOBER]
    firms = [fe.ticker for fe in default_results.abnormal.firm_events if fe.event_id == OCTOBER]
    estimation_ars = sample.ar[firms.index("002415.SZ"), ~sample.in_window]
    d0 = dates.get_loc(pd.Timestamp("2019-10-08"))
    window = calendar["window"]
    assert len(estimation_ars) == len(window)  # the columns are the relative days -260..-11
    on_masked = estimation_ars[calendar["masked"] - window[0]]
    assert np.isnan(on_masked).all()
    finite = np.isfinite(estimation_ars)
    assert finite.sum() == fit.nobs
    np.testing.assert_allclose(estimation_ars[finite], fit.resid, rtol=1e-9, atol=1e-15)
    assert d0 - 260 == window[0]


# ---- (d) a date list, worked by hand on a small synthetic study in New York sessions


# New York sessions from Mon 4 Jan to Fri 28 May 2021 by hand: weekdays but Martin Luther King Day (18 Jan),
# Presidents' Day (15 Feb) and Good Friday (2 Apr).
NYSE_2021 = pd.bdate_range("2021-01-04", "2021-05-28").drop(pd.to_datetime(["2021-01-18", "2021-02-15", "2021-04-02"]))


def synthetic_closes() -> pd.DataFrame:
    """Closes of two firms and an index on every session of ``NYSE_2021`` (a wide frame), from seeded returns."""
    rng = np.random.default_rng(21)
    m = rng.normal(0.0004, 0.01, len(NYSE_2021))
    firms = {
        "AAA": 0.0002 + 1.3 * m + rng.normal(0, 0.02, len(m)),
        "BBB": -0.0001 + 0.7 * m + rng.normal(0, 0.015, len(m)),
    }
    closes = {"IDX": 100 * np.cumprod(1 + m), **{t: 50 * np.cumprod(1 + r) for t, r in firms.items()}}
    return pd.DataFrame(closes, index=NYSE_2021.rename("date"))


LISTED = ["2021-03-01", date(2021, 3, 2), "2021-03-06", "2021-03-17", "2021-03-18", "2021-02-15", "2021-02-17"]


def synthetic_study(exclude) -> Study:
    rows = [
        {"event_id": "ev", "ticker": t, "announced": "2021-04-01T08:00:00", "timezone": "America/New_York"}
        for t in ("AAA", "BBB")
    ]
    return Study.from_events(
        rows, benchmark="IDX", windows=[[0, 1]], estimation_window=[-30, -11], min_estimation_returns=10,
        daily_path=[-2, 3], price_chart=[-5, 5], estimation_exclude=exclude,
    )  # fmt: skip


def test_a_list_of_dates_masks_those_sessions_of_the_estimation_window():
    """Day 0 is Thu 1 Apr 2021 (08:00, before the open). Counting sessions back by hand: day -1 is Wed 31 Mar,
    March has 23 sessions (1 Mar is day -23), then 26, 25, 24, 23, 22, 19, 18 Feb are days -24..-30; day -11 is
    Wed 17 Mar. The estimation window [-30, -11] is 18 Feb .. 17 Mar, 20 sessions. Of the listed dates, 1 and 2
    Mar and 17 Mar are sessions inside it; 6 Mar is a Saturday and 15 Feb a holiday (no session), 18 Mar is
    day -10 and 17 Feb day -31 (outside): those mask nothing."""
    closes = synthetic_closes()
    res = es.run(synthetic_study(LISTED), prices=closes)
    est = res.estimates.set_index("ticker")
    window = pd.bdate_range("2021-02-18", "2021-03-17")  # no holiday in between
    assert len(window) == 20
    masked = pd.to_datetime(["2021-03-01", "2021-03-02", "2021-03-17"])
    r = closes.pct_change()
    for ticker in ("AAA", "BBB"):
        row = est.loc[ticker]
        assert (row["n_masked"], row["masked"], row["masked_by"]) == (
            3, "2021-03-01..2021-03-02; 2021-03-17", "estimation_exclude"
        )  # fmt: skip
        assert row["n_est"] == 17 and (row["est_start"], row["est_end"]) == ("2021-02-18", "2021-03-16")
        kept = window.difference(masked)
        fit = sm.OLS(r.loc[kept, ticker].to_numpy(), sm.add_constant(r.loc[kept, "IDX"].to_numpy())).fit()
        np.testing.assert_allclose([row["alpha"], row["beta"]], fit.params, rtol=RTOL)
        np.testing.assert_allclose(row["sigma"], np.sqrt(fit.scale), rtol=RTOL)
    # A study of one event has no other event to mask: study_events and none give the full window.
    for exclude in ("study_events", "none"):
        full = es.run(synthetic_study(exclude), prices=closes).estimates
        assert (full["n_masked"] == 0).all() and (full["n_est"] == 20).all()
    assert res.raw.study.estimation_exclude == (date(2021, 2, 15), date(2021, 2, 17), date(2021, 3, 1),
                                                date(2021, 3, 2), date(2021, 3, 6), date(2021, 3, 17),
                                                date(2021, 3, 18))  # fmt: skip


def test_a_second_event_of_the_same_firm_is_masked_over_its_event_period():
    """Two events of AAA, day 0 Thu 1 Apr and Mon 15 Mar 2021. The study's event period is [-2, 3] (event window
    [0, 1], daily path [-2, 3]): 11..18 Mar for the March event — 11, 12, 15, 16, 17, 18 Mar — of which 11..17
    Mar lie in the April event's estimation window (18 Feb .. 17 Mar). The March event's estimation window
    (29 Jan .. 26 Feb by hand: day -1 is Fri 12 Mar, day -11 Fri 26 Feb, and 15 Feb is a holiday) ends before
    the April event's period: nothing masked."""
    rows = [
        {"event_id": e, "ticker": "AAA", "announced": a, "timezone": "America/New_York"}
        for e, a in (("april", "2021-04-01T08:00:00"), ("march", "2021-03-15T08:00:00"))
    ]
    study = Study.from_events(
        rows, benchmark="IDX", windows=[[0, 1]], estimation_window=[-30, -11], min_estimation_returns=10,
        daily_path=[-2, 3], price_chart=[-5, 5],
    )  # fmt: skip
    assert study.estimation_exclude == "study_events" and study.event_period == (-2, 3)
    est = es.run(study, prices=synthetic_closes()).estimates.set_index("event_id")
    assert (est.loc["april", "n_masked"], est.loc["april", "masked"], est.loc["april", "masked_by"]) == (
        5, "2021-03-11..2021-03-17", "march"
    )  # fmt: skip
    assert est.loc["april", "n_est"] == 15
    assert (est.loc["march", "n_masked"], est.loc["march", "masked"]) == (0, "")
    assert (est.loc["march", "est_start"], est.loc["march", "est_end"]) == ("2021-01-29", "2021-02-26")


def test_too_few_returns_after_the_mask_names_the_mask():
    """A mask may leave fewer than min_estimation_returns: the error says how many sessions were masked."""
    many = [f"2021-02-{d:02d}" for d in (18, 19, 22, 23, 24, 25, 26)] + [f"2021-03-{d:02d}" for d in range(1, 6)]
    with pytest.raises(DataError, match=r"AAA: event ev: 8 single-session returns in the estimation window \[-30, -11\] "
                       r"\(12 masked sessions left out, study.estimation_exclude: a list of dates\), fewer than "
                       r"min_estimation_returns=10"):  # fmt: skip
        es.run(synthetic_study(many), prices=synthetic_closes())
