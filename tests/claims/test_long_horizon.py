"""The long-horizon columns of the claims table: a hand-worked tiny claim, the default study's "since" claims
against direct computations (the sensitivity grid's BHAR, a loop over the vendored control prices, statsmodels for
the calendar-time alpha), the vendored selection against a fresh matching on the universe, and "no universe"."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy import claims as C
from eventstudy.claims import long_horizon as LH
from eventstudy.data import open_provider
from eventstudy.inference.calendar_time import newey_west_lags
from eventstudy.spec.config import load_study

from .conftest import EVENTS, frame, since_claim, steady, tiny_results

UNIVERSE = Path(__file__).resolve().parents[3] / "shared" / "data" / "szse-universe-2015-2022.parquet"
HIK, DAHUA = "hikvision-up-25pct-since-blacklisting", "dahua-up-30pct-since-blacklisting"


def test_tiny_claim_by_hand(monkeypatch, tmp_path):
    monkeypatch.setattr(LH, "VENDORED", tmp_path)  # no vendored selection, no universe
    aaa = steady("2018-08-01", "2019-10-31", first=10.0, step=0.01)
    idx = steady("2018-08-01", "2019-10-31", first=100.0, step=0.05)
    res = tiny_results(since_claim(), {"AAA.SZ": frame(aaa), "IDX.SZ": frame(idx)})
    row = res.table.set_index("claim_id").loc["up"]
    # base 2019-09-30, end 2019-10-17 (the last session before the document of 18 October)
    base, end = "2019-09-30", "2019-10-17"
    r_i = aaa[end][0] / aaa[base][0] - 1.0
    r_m = idx[end][0] / idx[base][0] - 1.0
    assert row["bhar_benchmark"] == pytest.approx(r_i - r_m, rel=1e-12)
    assert row["bhar_benchmark_mean"] == pytest.approx(r_i - r_m, rel=1e-12)
    assert math.isnan(row["bhar_benchmark_p_skew"])  # one firm: no cross-section to test
    assert row["bhar_control"] == "no universe"
    assert "no universe" in row["long_horizon_note"] and "at least 2 firms" in row["long_horizon_note"]
    assert math.isnan(row["ct_alpha"]) and "portfolio days" in row["long_horizon_note"]  # 12 sessions < 20
    assert "no universe" in res.long_horizon["up"]


def test_non_return_claims_say_why_they_have_none(default_claims):
    t = default_claims.table.set_index("claim_id")
    assert t.loc["iflytek-shanghai-listed", "long_horizon_note"] == "not a return claim: no long-horizon figures"


def _level(rows: pd.DataFrame, base: str, end: str) -> float:
    """Direct loop: product of close/prev_close over the traded rows in (base, end]."""
    g = 1.0
    for r in rows.itertuples():
        if pd.Timestamp(base) < r.date <= pd.Timestamp(end) and r.traded:
            g *= r.close / r.prev_close
    return g - 1.0


def test_default_since_claims_against_direct_computations(default_claims):
    t = default_claims.table.set_index("claim_id")
    grid = default_claims.grid
    prices = pd.read_parquet(LH.VENDORED / "prices.parquet")
    selection = pd.read_csv(LH.VENDORED / "selection.csv", dtype={"base": str, "end": str})
    firms = default_claims.long_horizon_firms
    for claim, ticker in ((HIK, "002415.SZ"), (DAHUA, "002236.SZ")):
        primary = grid[(grid.claim_id == claim) & (grid.measure == "abnormal vs 000300.SS")
                       & (grid.base == "last_close_before_announcement") & (grid.end == "last_close_before_document")]  # fmt: skip
        assert t.loc[claim, "bhar_benchmark"] == pytest.approx(primary.value.iloc[0], rel=1e-12)
        mine = firms[(firms.claim_id == claim) & (firms.ticker == ticker)].iloc[0]
        sel = selection[selection.ticker == ticker].sort_values("rank")
        assert mine.controls == " ".join(sel.control)
        control = np.mean([_level(prices[prices.ticker == c], mine.base, mine.end) for c in sel.control])
        assert t.loc[claim, "bhar_control"] == pytest.approx(mine.total_return - control, rel=1e-12)
    # One sample per event: the two claims share their tests and their alpha.
    cols = [
        "bhar_benchmark_mean",
        "bhar_benchmark_p_skew",
        "bhar_benchmark_p_boot",
        "bhar_control_p_boot",
        "ct_alpha_p",
    ]
    assert t.loc[HIK, cols].tolist() == t.loc[DAHUA, cols].tolist()
    assert "4 firm(s) of us-entity-list-2019-10-07" in t.loc[HIK, "long_horizon_note"]
    assert "with 4 firms the bootstrap p rejects too often" in t.loc[HIK, "long_horizon_note"]
    # The figures of the note (2019-09-30 → 2020-09-02 against the CSI 300, four firms):
    assert t.loc[HIK, "bhar_benchmark"] == pytest.approx(-0.0503, abs=5e-5)
    assert t.loc[DAHUA, "bhar_benchmark"] == pytest.approx(0.1217, abs=5e-5)
    assert t.loc[HIK, "bhar_control"] == pytest.approx(-0.0029, abs=5e-5)
    assert t.loc[DAHUA, "bhar_control"] == pytest.approx(-0.2494, abs=5e-5)


def test_calendar_time_alpha_against_statsmodels(default_claims):
    provider = open_provider("snapshot")
    tickers = ["002415.SZ", "002236.SZ", "002230.SZ", "300188.SZ"]
    lo, hi = pd.Timestamp("2019-09-30"), pd.Timestamp("2020-09-02")
    daily = {}
    for tk in tickers:  # single-session returns: traded today and on the previous session
        h = provider.history(tk, date_lo := (lo - pd.Timedelta(days=10)).date(), hi.date())
        ok = h["traded"] & h["traded"].shift(1, fill_value=False)
        daily[tk] = (h["close"] / h["prev_close"] - 1.0).where(ok)[(h.index > lo) & (h.index <= hi)]
    port = pd.DataFrame(daily).mean(axis=1).dropna()
    idx = provider.history("000300.SS", date_lo, hi.date())
    m = (idx["close"] / idx["close"].shift(1) - 1.0).reindex(port.index)
    fit = sm.OLS(port.to_numpy(), sm.add_constant(m.to_numpy())).fit(
        cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(port))}, use_t=True
    )
    row = default_claims.table.set_index("claim_id").loc[HIK]
    assert row["ct_alpha"] == pytest.approx(fit.params[0], rel=1e-10)
    assert row["ct_alpha_t"] == pytest.approx(fit.tvalues[0], rel=1e-9)
    assert row["ct_alpha_p"] == pytest.approx(fit.pvalues[0], rel=1e-9)


@pytest.mark.skipif(not UNIVERSE.exists(), reason="needs ../shared/data/szse-universe-2015-2022.parquet")
def test_the_vendored_selection_is_what_the_universe_selects(default_claims):
    fresh = C.evaluate_claims(load_study(EVENTS), open_provider("snapshot"), universe=UNIVERSE)
    a = default_claims.table.set_index("claim_id")
    b = fresh.table.set_index("claim_id")
    for claim in (HIK, DAHUA):
        for col in LH.LONG_COLUMNS[:-1]:
            assert b.loc[claim, col] == pytest.approx(a.loc[claim, col], rel=1e-12, nan_ok=True)
    firms = fresh.long_horizon_firms
    assert firms is not None
    selection = pd.read_csv(LH.VENDORED / "selection.csv", dtype={"base": str, "end": str})
    for r in firms.drop_duplicates("ticker").itertuples():
        sel = selection[selection.ticker == r.ticker].sort_values("rank")
        assert r.controls == " ".join(sel.control)
        assert [d["distance"] for d in r.selection] == pytest.approx(sel.distance.tolist(), rel=1e-12)


def test_a_universe_given_is_the_one_matched_in(tmp_path):
    from eventstudy.data.universe import write_synthetic_universe

    path = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=12, n_sessions=700, seed=1)
    got = C.evaluate_claims(load_study(EVENTS), open_provider("snapshot"), universe=path)
    note = got.table.set_index("claim_id").loc[HIK, "long_horizon_note"]
    assert "u.parquet" in note and "vendored" not in note  # its 12 firms halt too often: no 5 eligible controls
