"""Multi-market studies: groups by (calendar, benchmark), their results combined by firm-event."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import open_provider
from eventstudy.model.engine import abnormal_returns
from eventstudy.spec.events import Firm
from eventstudy.study.markets import combine_abnormal, firm_market, group_members
from eventstudy.study.run import run_study


def test_group_members_by_calendar_and_benchmark():
    markets = [firm_market("XSHE", "000300.SS"), firm_market("XNAS", "VONE"), firm_market("XSHG", "000300.SS"),
               firm_market("XNYS", "VONE"), firm_market("XNYS", "SOXX")]  # fmt: skip
    assert group_members(markets) == {
        ("XSHG", "000300.SS"): (0, 2),
        ("XNYS", "VONE"): (1, 3),
        ("XNYS", "SOXX"): (4,),
    }


def test_combine_puts_rows_back_in_study_order(default_results):
    ab = default_results.abnormal
    groups = [np.array([3, 0]), np.array([2, 1])]
    parts = [dataclasses.replace(ab, firm_events=tuple(ab.firm_events[i] for i in g),
                                 **{f: getattr(ab, f)[g] for f in ("returns", "market", "span", "design", "estimation",
                                                                   "params", "xtx_inv", "sigma2", "n_est", "dof", "ar",
                                                                   "ar_var", "masked")})
             for g in (groups[0], groups[1])]  # fmt: skip
    subset = dataclasses.replace(ab, firm_events=ab.firm_events[:4], **{
        f: getattr(ab, f)[:4] for f in ("returns", "market", "span", "design", "estimation", "params", "xtx_inv",
                                        "sigma2", "n_est", "dof", "ar", "ar_var", "masked")})  # fmt: skip
    combined = combine_abnormal(parts, [g.tolist() for g in groups])
    assert combined.firm_events == subset.firm_events
    np.testing.assert_array_equal(combined.ar, subset.ar)
    np.testing.assert_array_equal(combined.xtx_inv, subset.xtx_inv)
    np.testing.assert_array_equal(combined.masked, subset.masked)
    with pytest.raises(ValueError, match="cover 0..N-1 once"):
        combine_abnormal(parts, [[0, 1], [1, 2]])


@pytest.fixture(scope="module")
def mixed(default_study):
    """One event with a Shenzhen firm and a Nasdaq firm (the 7 Oct 2019 announcement), AMBA against SOXX."""
    ev = default_study.events[0]
    us = default_study.events[3]
    amba = dataclasses.replace(us.firms[0], benchmark="SOXX")
    nvda = us.firms[1]
    event = dataclasses.replace(ev, firms=(ev.firms[2], amba, nvda))
    study = dataclasses.replace(default_study, events=(event,), extra={})
    return study, run_study(study, open_provider("snapshot"))


@pytest.fixture(scope="module")
def unmasked(default_study):
    """The default study with ``estimation_exclude: none``: iFlytek's estimation window for 7 Oct 2019 keeps the
    sessions of the Huawei listing, as in ``mixed``, whose only event is 7 Oct 2019."""
    return run_study(dataclasses.replace(default_study, estimation_exclude="none"), open_provider("snapshot"))


def test_a_mixed_event_gives_each_firm_its_own_market(mixed, unmasked):
    study, res = mixed
    assert set(res.panels) == {("XSHG", "000300.SS"), ("XNYS", "SOXX"), ("XNYS", "VONE")}
    assert [(m.exchange, m.benchmark) for m in res.markets] == [
        ("XSHE", "000300.SS"),
        ("XNAS", "SOXX"),
        ("XNAS", "VONE"),
    ]
    ar = res.ar.set_index(["ticker", "rel_day"])["date"]
    # relative days count each firm's own exchange sessions: day +1 is Wed 9 Oct in both, day -1 differs
    assert ar[("002230.SZ", -1)] == "2019-09-30" and ar[("AMBA", -1)] == "2019-10-07"
    # iFlytek and NVDA are what they are in the single-market events (same calendar and benchmark; the panels
    # start on other dates, so the benchmark's total-return levels differ by rounding)
    base = unmasked.car.set_index(["event_id", "ticker", "window_start", "window_end"])
    car = res.car.set_index(["ticker", "window_start", "window_end"])
    assert car.loc[("002230.SZ", 0, 5), "car"] == pytest.approx(
        base.loc[("us-entity-list-2019-10-07", "002230.SZ", 0, 5), "car"], rel=1e-12
    )
    assert car.loc[("NVDA", 0, 5), "car"] == pytest.approx(
        base.loc[("us-suppliers-2019-10-07", "NVDA", 0, 5), "car"], rel=1e-12
    )
    # AMBA against SOXX: its own engine run
    hist = {t: open_provider("snapshot").history(t) for t in ("AMBA", "SOXX")}
    panel = res.panels[("XNYS", "SOXX")]
    assert panel.level.columns.tolist() == ["AMBA", "SOXX", "QQQ", "ONEQ"]  # the firm, its benchmark, US alternatives
    one = abnormal_returns(
        panel, "SOXX", [res.abnormal.firm_events[1]], "market_model", study.estimation_window, (-260, 60)
    )
    assert car.loc[("AMBA", 0, 5), "car"] == pytest.approx(one.car((0, 5))["car"].iloc[0], rel=1e-12)
    assert len(hist["SOXX"]) > 0
    # the tests aggregate the event across both markets
    n = res.tests.query("window_start == 0 and window_end == 5")["n_firms"]
    assert set(n) == {3}


def test_benchmark_override_on_a_firm(mixed):
    _, res = mixed
    assert res.estimates.set_index("ticker").loc["AMBA", "beta"] != pytest.approx(
        res.estimates.set_index("ticker").loc["NVDA", "beta"]
    )
    assert isinstance(Firm("X", "X", "XNYS", "SOXX").benchmark, str)


def test_single_panel_accessor_refuses_several_markets(mixed, default_results):
    _, res = mixed
    with pytest.raises(ValueError, match="3 market groups"):
        _ = res.panel
    assert isinstance(res.panel_of(0).sessions, pd.DatetimeIndex)
