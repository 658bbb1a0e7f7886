"""eventstudy.claims.evaluate: verdicts and the sensitivity grid end to end, on constructed data and on the five
default claims (events.yaml on the snapshot)."""

from __future__ import annotations

from datetime import date

import pytest

from eventstudy import claims as C
from eventstudy.errors import ConfigError
from eventstudy.spec.config import parse_study

from .conftest import frame, since_claim, steady, study_dict, tiny_results


def test_return_claim_grid_and_bhar_on_constructed_series():
    firm = frame(steady("2019-08-01", "2019-10-31", first=10.0, step=0.1))
    idx = frame(steady("2019-08-01", "2019-10-31", first=100.0, step=0.5))
    idx2 = frame(steady("2019-08-01", "2019-10-31", first=100.0, step=0.0))
    res = tiny_results(since_claim(), {"AAA.SZ": firm, "IDX.SZ": idx, "IDX2.SZ": idx2})
    c = lambda d: float(firm.loc[d, "close"])  # noqa: E731
    i = lambda d: float(idx.loc[d, "close"])  # noqa: E731
    (o,) = res.outcomes
    assert o.measured == c("2019-10-17") / c("2019-09-30") - 1.0  # document dated 2019-10-18
    g = res.grid.set_index(["base", "end", "measure"])
    assert len(res.grid) == 2 * 2 * 4 and res.grid["primary"].sum() == 1
    assert g.loc[("last_close_before_announcement", "close_on_document_date", "total"), "value"] == pytest.approx(
        c("2019-10-18") / c("2019-09-30") - 1.0, abs=1e-14
    )
    bhar = g.loc[("first_traded_close_after_announcement", "last_close_before_document", "abnormal vs IDX.SZ"), "value"]
    assert bhar == pytest.approx(
        (c("2019-10-17") / c("2019-10-08") - 1) - (i("2019-10-17") / i("2019-10-08") - 1), abs=1e-14
    )
    flat = g.loc[
        ("first_traded_close_after_announcement", "last_close_before_document", "abnormal vs IDX2.SZ"), "value"
    ]
    assert flat == pytest.approx(c("2019-10-17") / c("2019-10-08") - 1, abs=1e-14)
    assert set(res.grid["verdict"]) <= set(C.VERDICTS)
    (path,) = res.paths
    assert path.dates[0] == date(2019, 9, 30) and path.dates[-1] == date(2019, 10, 18)
    assert path.firms["AAA.SZ"][0] == 0.0 and path.threshold == 0.10
    assert path.benchmark == "IDX.SZ" and path.benchmark_path[-1] == pytest.approx(
        i("2019-10-18") / i("2019-09-30") - 1
    )


def test_missing_benchmark_data_makes_abnormal_cells_undetermined_with_the_reason():
    firm = frame(steady("2019-08-01", "2019-10-31", first=10.0, step=0.1))
    short_idx = frame(steady("2019-08-01", "2019-10-11", first=100.0, step=0.5))  # ends before the document
    claim = since_claim(measure="abnormal", benchmark="IDX.SZ")
    res = tiny_results(claim, {"AAA.SZ": firm, "IDX.SZ": short_idx})
    (o,) = res.outcomes
    assert o.verdict == C.UNDETERMINED and o.measured is None
    assert "no data: IDX.SZ has prices from" in o.reason and "not on 2019-10-17" in o.reason
    idx2 = res.grid[res.grid["measure"] == "abnormal vs IDX2.SZ"]
    assert (idx2["verdict"] == C.UNDETERMINED).all() and idx2["reason"].str.contains("not in the fake provider").all()
    assert (res.grid[res.grid["measure"] == "price"]["verdict"] != C.UNDETERMINED).all()
    assert res.table.loc[0, "verdict"] == "undetermined"


def test_exchange_claim_uses_the_firm_field_and_the_suffix():
    c = {"id": "listed", "document": "d.txt", "date": "2019-10-09", "quote": "Shanghai-listed Alpha",
         "quantity": {"kind": "exchange", "ticker": "AAA.SZ"}, "claim": {"comparison": "is", "value": "Shanghai"}}  # fmt: skip
    res = tiny_results(c, {})
    (o,) = res.outcomes
    assert (o.measured, o.verdict) == ("XSHE", C.CONTRADICTED)
    assert "AAA.SZ is listed on XSHE (Shenzhen Stock Exchange)" in o.reason and "events[0].firms[0]" in o.reason
    c["claim"]["value"] = "SZSE"
    assert tiny_results(c, {}).outcomes[0].verdict == C.SUPPORTED
    data = study_dict([c])
    data["events"][0]["firms"][0]["exchange"] = "XSHG"  # the study file disagrees with the .SZ suffix: refused
    with pytest.raises(ConfigError, match=r"firms\[0\]\.exchange: ticker 'AAA.SZ' has suffix \.SZ, which means XSHE"):
        parse_study(data)
    c["quantity"]["ticker"] = "ZZZ.XX"  # not a firm of the study, unknown suffix
    o = tiny_results(c, {}).outcomes[0]
    assert o.verdict == C.UNDETERMINED and "unknown exchange suffix .XX" in o.reason


def test_traded_claim_over_several_tickers_and_a_holiday():
    rows = steady("2019-09-02", "2019-10-31")
    halted = dict(rows)
    halted["2019-10-08"] = (rows["2019-10-08"][0], rows["2019-10-08"][1], False)
    c = {"id": "halt", "document": "d.txt", "date": "2019-10-09", "quote": "both suspended",
         "quantity": {"kind": "traded", "tickers": ["AAA.SZ", "BBB.SZ"], "session": "2019-10-08"},
         "claim": {"comparison": "is", "value": False}}  # fmt: skip
    res = tiny_results(c, {"AAA.SZ": frame(halted), "BBB.SZ": frame(rows), "IDX.SZ": frame(rows)})
    (o,) = res.outcomes
    assert o.verdict == C.CONTRADICTED and o.measured == "AAA.SZ=0; BBB.SZ=1"
    c["quantity"]["session"] = "2019-10-03"  # National Day: the exchange was closed
    o = tiny_results(c, {"AAA.SZ": frame(halted), "BBB.SZ": frame(rows)}).outcomes[0]
    assert o.verdict == C.UNDETERMINED and "2019-10-03 (Thursday) is not a XSHE session" in o.reason


def test_session_return_claim_at_the_tolerance_edge_end_to_end():
    rows = steady("2019-09-02", "2019-10-31", first=100.0)
    rows["2019-10-08"] = (97.5, 100.0, True)  # exactly -2.5%: the edge of -3% ± 0.5pp
    c = {"id": "down", "document": "d.txt", "date": "2019-10-09", "quote": "closed down nearly 3%",
         "quantity": {"kind": "session_return", "ticker": "AAA.SZ", "session": "2019-10-08"},
         "claim": {"comparison": "approximately", "value": "-3%", "tolerance": "0.5pp"}}  # fmt: skip
    res = tiny_results(c, {"AAA.SZ": frame(rows), "IDX.SZ": frame(rows)})
    assert res.outcomes[0].verdict == C.SUPPORTED
    rows["2019-10-08"] = (97.49, 100.0, True)  # -2.51%: inside
    assert tiny_results(c, {"AAA.SZ": frame(rows)}).outcomes[0].verdict == C.SUPPORTED
    rows["2019-10-08"] = (97.51, 100.0, True)  # -2.49%: outside
    assert tiny_results(c, {"AAA.SZ": frame(rows)}).outcomes[0].verdict == C.CONTRADICTED
    rows["2019-10-08"] = (100.0, 100.0, False)  # suspended: no one-session return
    o = tiny_results(c, {"AAA.SZ": frame(rows)}).outcomes[0]
    assert o.verdict == C.UNDETERMINED and "did not trade on 2019-10-08" in o.reason


def test_five_default_claims_end_to_end(default_claims):
    t = default_claims.table.set_index("claim_id")
    assert list(default_claims.table.columns) == C.TABLE_COLUMNS
    assert dict(t["verdict"]) == {
        "hikvision-up-25pct-since-blacklisting": "contradicted",
        "dahua-up-30pct-since-blacklisting": "supported",
        "iflytek-closed-down-nearly-3pct": "supported",
        "hikvision-dahua-suspended-tuesday": "supported",
        "iflytek-shanghai-listed": "contradicted",
    }
    # unadjusted closes: 2019-09-30 → 2020-09-02
    assert t.loc["hikvision-up-25pct-since-blacklisting", "measured"] == 38.42 / 32.30 - 1.0
    assert t.loc["dahua-up-30pct-since-blacklisting", "measured"] == 23.84 / 17.27 - 1.0
    assert t.loc["iflytek-closed-down-nearly-3pct", "measured"] == 31.01 / 31.86 - 1.0
    assert t.loc["hikvision-dahua-suspended-tuesday", "measured"] == "002415.SZ=0; 002236.SZ=0"
    assert t.loc["iflytek-shanghai-listed", "measured"] == "XSHE"
    hik = t.loc["hikvision-up-25pct-since-blacklisting", "primary_definition"]
    assert "price return" in hik and "(2019-09-30)" in hik and "(2020-09-02)" in hik
    listed = next(o for o in default_claims.outcomes if o.claim.id == "iflytek-shanghai-listed")
    assert "002230.SZ is listed on XSHE (Shenzhen Stock Exchange)" in listed.reason
    assert "the document says XSHG" in listed.reason


def test_default_sensitivity_grid(default_claims):
    g = default_claims.grid
    assert list(g.columns[:6]) == ["claim_id", "base", "end", "measure", "value", "verdict"]
    hik = g[g["claim_id"] == "hikvision-up-25pct-since-blacklisting"].set_index(["base", "end", "measure"]).sort_index()
    assert len(hik) == 16 and (hik["verdict"] != C.UNDETERMINED).all()
    first = hik.loc[("first_traded_close_after_announcement", "last_close_before_document")]
    assert first.loc["price", "verdict"] == "contradicted" and first.loc["price", "value"] == 38.42 / 30.90 - 1.0
    # the 2020-05-29 dividend (prev_close 27.71 after a 28.41 close) lifts the total return above 25%
    assert first.loc["total", "verdict"] == "supported"
    assert first.loc["total", "value"] == pytest.approx(38.42 / 30.90 * 28.41 / 27.71 - 1.0, abs=1e-12)
    assert first.loc["total", "base_date"] == "2019-10-10"  # halted on 8 and 9 October
    dahua = g[g["claim_id"] == "dahua-up-30pct-since-blacklisting"]
    assert (dahua[dahua["measure"].isin(["price", "total"])]["verdict"] == "supported").all()
    on_doc = dahua[(dahua["base"] == "last_close_before_announcement") & (dahua["end"] == "close_on_document_date")]
    assert on_doc[on_doc["measure"] == "price"]["value"].iloc[0] == 22.79 / 17.27 - 1.0
    assert on_doc[on_doc["measure"] == "price"]["end_date"].iloc[0] == "2020-09-03"
    assert (dahua[dahua["measure"].str.startswith("abnormal")]["verdict"] == "contradicted").all()
    assert set(g["measure"]) == {"price", "total", "abnormal vs 000300.SS", "abnormal vs 399106.SZ"}
