"""A study's long window (long_horizon.csv): firm BHARs against a direct loop over the snapshot's rows, the event
row's tests and calendar-time alpha against bhar_tests and statsmodels, "no universe", and — with the Shenzhen
universe — the grouped matching against the per-firm matching the claims use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.data import open_provider
from eventstudy.inference.calendar_time import newey_west_lags
from eventstudy.inference.long_horizon import ControlMarket, bhar_tests
from eventstudy.publish.outputs import write_tables
from eventstudy.spec.config import parse_study
from eventstudy.study.long_horizon import COLUMNS, study_long_horizon
from eventstudy.study.run import analyse_study, run_study

UNIVERSE = Path(__file__).resolve().parents[3] / "shared" / "data" / "szse-universe-2015-2022.parquet"
FIRMS = ["002415.SZ", "002236.SZ", "002230.SZ", "300188.SZ"]


def _study(long_window=(0, 230), **settings):
    study = {"id": "long", "title": "Long", "benchmark": {"XSHE": "000300.SS"}, **settings}
    if long_window is not None:
        study["long_window"] = list(long_window)
    return parse_study({
        "study": study,
        "events": [{"id": "ev", "title": "Entity List", "announced": "2019-10-07T18:00:00",
                    "timezone": "America/New_York",
                    "firms": [{"ticker": t, "name": t, "exchange": "XSHE"} for t in FIRMS]}],
    }, "long.yaml")  # fmt: skip


@pytest.fixture(scope="module")
def results():
    return run_study(_study(), open_provider("snapshot"))


def _total(rows: pd.DataFrame, base: str, end: str) -> float:
    g = 1.0
    for day, r in rows.iterrows():
        if pd.Timestamp(base) < day <= pd.Timestamp(end) and r.traded:
            g *= r.close / r.prev_close
    return g - 1.0


def test_firm_rows_against_a_direct_loop(results):
    got = study_long_horizon(results, None)
    assert list(got.columns) == COLUMNS
    firms = got[got.row == "firm"].set_index("ticker")
    provider = open_provider("snapshot")
    idx = provider.history("000300.SS")
    # day 0 = 2019-10-08; the close of day -1 is 2019-09-30 (the National Day week is closed), day +230 2020-09-11
    assert set(firms.base) == {"2019-09-30"} and set(firms.end) == {"2020-09-11"}
    r_m = idx.close.loc["2020-09-11"] / idx.close.loc["2019-09-30"] - 1.0
    for t in FIRMS:
        r_i = _total(provider.history(t), "2019-09-30", "2020-09-11")
        assert firms.loc[t, "total_return"] == pytest.approx(r_i, rel=1e-12)
        assert firms.loc[t, "bhar_benchmark"] == pytest.approx(r_i - r_m, rel=1e-12)
        assert firms.loc[t, "bhar_control"] == "no universe"
    event = got[got.row == "event"].iloc[0]
    ref = bhar_tests([firms.loc[FIRMS, "bhar_benchmark"].to_numpy(dtype=float)], seed=0)[0]
    assert event.bhar_benchmark == pytest.approx(ref["mean"], rel=1e-12)
    assert event.bhar_benchmark_p_skew == pytest.approx(ref["p_skew"], rel=1e-12)
    assert event.bhar_control == "no universe" and "no universe" in event.note and event.n_firms == 4


def _portfolio_and_market(provider):
    lo, hi = pd.Timestamp("2019-09-30"), pd.Timestamp("2020-09-11")
    daily = {}
    for t in FIRMS:  # single-session returns: traded today and on the previous session
        h = provider.history(t)
        ok = h["traded"] & h["traded"].shift(1, fill_value=False)
        daily[t] = (h["close"] / h["prev_close"] - 1.0).where(ok)[(h.index > lo) & (h.index <= hi)]
    port = pd.DataFrame(daily).mean(axis=1).dropna()
    idx = provider.history("000300.SS")
    return port, (idx["close"] / idx["close"].shift(1) - 1.0).reindex(port.index)


def test_event_alpha_with_a_factor_file_against_statsmodels(tmp_path):
    from eventstudy.data.calendar import sessions

    days = sessions("XSHE", pd.Timestamp("2018-06-01"), pd.Timestamp("2020-12-31"))
    smb = np.random.default_rng(9).normal(0, 0.006, len(days))
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "smb": smb}).to_csv(tmp_path / "f.csv", index=False)
    study = _study(model="factor", factor_file=str(tmp_path / "f.csv"))
    event = study_long_horizon(run_study(study, open_provider("snapshot")), None).query("row == 'event'").iloc[0]
    port, m = _portfolio_and_market(open_provider("snapshot"))
    x = np.column_stack([m.to_numpy(), pd.Series(smb, index=days).reindex(port.index).to_numpy()])
    fit = sm.OLS(port.to_numpy(), sm.add_constant(x)).fit(
        cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(port))}, use_t=True
    )
    assert event.ct_alpha == pytest.approx(fit.params[0], rel=1e-10)
    assert event.ct_alpha_p == pytest.approx(fit.pvalues[0], rel=1e-9)


def test_event_alpha_against_statsmodels(results):
    event = study_long_horizon(results, None).query("row == 'event'").iloc[0]
    port, m = _portfolio_and_market(open_provider("snapshot"))
    fit = sm.OLS(port.to_numpy(), sm.add_constant(m.to_numpy())).fit(
        cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(port))}, use_t=True
    )
    assert event.ct_days == len(port)
    assert event.ct_alpha == pytest.approx(fit.params[0], rel=1e-10)
    assert event.ct_alpha_t == pytest.approx(fit.tvalues[0], rel=1e-9)


def test_no_long_window_no_file_and_the_hook_writes_it(tmp_path):
    analysis = analyse_study(_study(), open_provider("snapshot"), progress=False)
    frame = analysis.results.extra["long_horizon"]
    assert isinstance(frame, pd.DataFrame) and len(frame) == 5
    write_tables(analysis.results, tmp_path, "snapshot")
    back = pd.read_csv(tmp_path / "long_horizon.csv")
    assert list(back.columns) == COLUMNS and (back.row == "firm").sum() == 4
    plain = analyse_study(_study(None), open_provider("snapshot"), progress=False)
    assert "long_horizon" not in plain.results.extra


@pytest.mark.skipif(not UNIVERSE.exists(), reason="needs ../shared/data/szse-universe-2015-2022.parquet")
def test_grouped_matching_is_the_per_firm_matching(results):
    market = ControlMarket.from_universe(UNIVERSE)
    got = study_long_horizon(results, market)
    firms = got[got.row == "firm"].set_index("ticker")
    panel = results.panel_of(0)
    d0 = int(panel.sessions.get_loc(pd.Timestamp("2019-10-08")))
    est = panel.sessions[d0 - 260 : d0 - 10]
    m = panel.returns["000300.SS"].reindex(est).to_numpy()
    from eventstudy.model.matching import characteristics

    for t in FIRMS:
        c = characteristics(
            panel.returns[[t]].reindex(est).to_numpy(), (panel.span[[t]].reindex(est) == 1).to_numpy(), m
        )
        one = market.controls("long", "ev", t, {k: float(v[0]) for k, v in c.items()}, est, m,
                              pd.Timestamp("2019-09-30"), pd.Timestamp("2020-09-11"), set(FIRMS), 120)  # fmt: skip
        assert firms.loc[t, "controls"] == " ".join(one.tickers)
        assert firms.loc[t, "control_return"] == pytest.approx(np.mean(one.returns), rel=1e-12)


def test_the_python_api_takes_a_universe(tmp_path):
    import eventstudy as es
    from eventstudy.data.universe import write_synthetic_universe

    path = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=12, n_sessions=700, seed=1)
    res = es.run(_study(), "snapshot", universe=path)
    frame = res.long_horizon
    firms = frame[frame.row == "firm"]
    assert all("u.parquet" in n for n in firms.note)  # matched there (its 12 firms halt too often: none eligible)
