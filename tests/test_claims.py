"""Claims check (issue 4): schema, each quantity on tiny constructed series, verdict edges, the five default claims."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path

import jinja2
import pandas as pd
import pytest
import yaml

from eventstudy import claims as C
from eventstudy.calendar import sessions
from eventstudy.config import _StrictLoader, load_study, parse_study
from eventstudy.data import open_provider
from eventstudy.errors import ConfigError, DataUnavailable

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events.yaml"
TEMPLATES = ROOT / "eventstudy" / "templates"


# ------------------------------------------------------------------------------------------- constructed data


def frame(rows: dict[str, tuple[float, float, bool]]) -> pd.DataFrame:
    """A price history from {date: (close, prev_close, traded)}."""
    index = pd.DatetimeIndex(pd.to_datetime(list(rows)), name="date")
    close, prev, traded = zip(*rows.values(), strict=True)
    return pd.DataFrame(
        {"close": close, "prev_close": prev, "volume": [1000.0 if t else 0.0 for t in traded], "traded": traded},
        index=index,
    )


def steady(start: str, end: str, first: float = 10.0, step: float = 0.0) -> dict[str, tuple[float, float, bool]]:
    """Every XSHE session in [start, end], all traded, close first, first+step, ..."""
    out, prev = {}, first
    for i, day in enumerate(sessions("XSHE", pd.Timestamp(start), pd.Timestamp(end))):
        close = first + step * i
        out[day.date().isoformat()] = (close, prev, True)
        prev = close
    return out


class FakeProvider:
    name = "fake"

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames

    def history(self, ticker, start=None, end=None):
        if ticker not in self.frames:
            raise DataUnavailable(f"{ticker}: not in the fake provider")
        f = self.frames[ticker]
        return f.loc[pd.Timestamp(start) if start else None : pd.Timestamp(end) if end else None]

    def provenance(self, ticker):  # pragma: no cover - not used
        raise NotImplementedError


def study_dict(claims: list[dict]) -> dict:
    return {
        "study": {"id": "tiny", "title": "Tiny", "benchmark": "IDX.SZ", "alternative_benchmarks": ["IDX2.SZ"]},
        "events": [
            {
                "id": "ev",
                "title": "Event",
                "announced": "2019-10-07T18:00:00",
                "timezone": "America/New_York",
                "firms": [{"ticker": "AAA.SZ", "name": "Alpha", "exchange": "XSHE"}],
            }
        ],
        "claims": claims,
    }


def since_claim(**quantity) -> dict:
    q = {"kind": "return", "ticker": "AAA.SZ", "event": "ev", "base": "last_close_before_announcement",
         "end": "last_close_before_document", "measure": "price"}  # fmt: skip
    q.update(quantity)
    return {"id": "up", "document": "doc.txt", "date": "2019-10-18", "quote": "up a lot since", "quantity": q,
            "claim": {"comparison": "more_than", "value": "10%"}}  # fmt: skip


# ------------------------------------------------------------------------------------------------ schema


def test_default_claims_parse_into_typed_objects():
    study = load_study(EVENTS)
    claims = C.parse_claims(study)
    assert [c.id for c in claims] == [
        "hikvision-up-25pct-since-blacklisting",
        "dahua-up-30pct-since-blacklisting",
        "iflytek-closed-down-nearly-3pct",
        "hikvision-dahua-suspended-tuesday",
        "iflytek-shanghai-listed",
    ]
    hik = claims[0]
    assert hik.document == "000_1c0fd30f8fcf2ba4.txt" and hik.date == date(2020, 9, 3)
    assert hik.quantity.kind == "return" and hik.quantity.measure == "price"
    assert hik.comparison.op == "more_than" and hik.comparison.value == Decimal("0.25")
    assert hik.benchmarks == ("000300.SS", "399106.SZ")
    assert claims[2].comparison.tolerance == Decimal("0.005") and claims[2].quantity.on == date(2019, 10, 8)
    assert claims[3].quantity.tickers == ("002415.SZ", "002236.SZ") and claims[3].comparison.value is False
    assert claims[4].comparison.value == "XSHG"
    for c in claims:
        assert len(c.quote.split()) <= C.MAX_QUOTE_WORDS
        assert c.document in {p.name for p in (ROOT.parent / "shared" / "seeds").glob("*.txt")} or not (
            ROOT.parent / "shared" / "seeds"
        ).is_dir()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.update(colour="red"), "claims[0].colour: unknown key 'colour'"),
        (lambda c: c["quantity"].update(kind="volume"), "claims[0].quantity.kind: 'volume' is not a quantity"),
        (lambda c: c["quantity"].update(event="nope"), "claims[0].quantity.event: 'nope' is not an event id"),
        (lambda c: c["quantity"].update(base="yesterday"), "claims[0].quantity.base: 'yesterday' is not an anchor"),
        (lambda c: c["quantity"].update(measure="log"), "claims[0].quantity.measure: 'log' is not a measure"),
        (lambda c: c["quantity"].update(benchmark="IDX.SZ"), "claims[0].quantity.benchmark: a benchmark only applies"),
        (lambda c: c["claim"].update(comparison="roughly"), "claims[0].claim.comparison: 'roughly' is not a comparison"),
        (lambda c: c["claim"].update(comparison="is"), "claims[0].claim.comparison: 'is' compares facts"),
        (lambda c: c["claim"].update(value=25), "claims[0].claim.value: 25 is a return of more than 1000%"),
        (lambda c: c["claim"].update(value="lots"), "claims[0].claim.value: 'lots' is not a number"),
        (lambda c: c["claim"].update(tolerance="1pp"), "claims[0].claim.tolerance: a tolerance only applies"),
        (lambda c: c.update(quote="word " * 26), "claims[0].quote: the quote has 26 words"),
        (lambda c: c.update(date="3 Sep 2020"), "claims[0].date: '3 Sep 2020' is not a date"),
        (lambda c: c.pop("quantity"), "claims[0].quantity: is required"),
        (lambda c: c.update(id="Bad Id"), "claims[0].id: 'Bad Id' is not allowed here"),
    ],
)
def test_schema_errors_are_one_line_naming_file_field_and_value(mutate, message):
    claim = since_claim()
    mutate(claim)
    study = parse_study(study_dict([claim]), "my.yaml")
    with pytest.raises(ConfigError) as err:
        C.parse_claims(study)
    text = str(err.value)
    assert "\n" not in text and text.startswith("my.yaml: ") and message in text


def test_schema_rejects_yaml_on_key_and_duplicate_ids():
    text = """
claims:
  - {id: a, document: d.txt, date: 2019-10-09, quote: q, quantity: {kind: traded, ticker: AAA.SZ, on: 2019-10-08},
     claim: {comparison: is, value: false}}
"""
    data = study_dict([]) | yaml.load(text, Loader=_StrictLoader)  # noqa: S506
    with pytest.raises(ConfigError, match=r"claims\[0\]\.quantity: YAML reads the key 'on' as true"):
        C.parse_claims(parse_study(data, "f.yaml"))
    dup = since_claim()
    with pytest.raises(ConfigError, match=r"f\.yaml: claims\[1\]\.id: duplicate claim id 'up'"):
        C.parse_claims(parse_study(study_dict([dup, copy.deepcopy(dup)]), "f.yaml"))


def test_comparison_values_accept_fractions_and_percentages():
    c = since_claim()
    c["claim"] = {"comparison": "approximately", "value": -0.03}
    (claim,) = C.parse_claims(parse_study(study_dict([c])))
    assert claim.comparison.value == Decimal("-0.03") and claim.comparison.tolerance == C.DEFAULT_TOLERANCE
    c["claim"] = {"comparison": "approximately", "value": "-3%", "tolerance": "0.25%"}
    (claim,) = C.parse_claims(parse_study(study_dict([c])))
    assert claim.comparison.tolerance == Decimal("0.0025")
    assert claim.comparison.describe("return") == "approximately -3% (± 0.25pp)"


# ---------------------------------------------------------------------------------------------- quantities


def test_price_total_and_index_returns_on_a_tiny_series_with_a_dividend_and_a_halt():
    # 100 → halt → 110 (ex-dividend of 2: prev_close 98 after a 100 close) → 121
    f = frame(
        {
            "2019-09-27": (100.0, 99.0, True),
            "2019-09-30": (100.0, 100.0, True),
            "2019-10-08": (100.0, 100.0, False),  # suspended: no return
            "2019-10-09": (98.0 * 1.1, 98.0, True),  # ex-dividend day, +10% on the adjusted reference
            "2019-10-10": (98.0 * 1.1 * 1.1, 98.0 * 1.1, True),
        }
    )
    base, end = pd.Timestamp("2019-09-30"), pd.Timestamp("2019-10-10")
    assert C.price_return(f, "T", base, end) == pytest.approx(98.0 * 1.21 / 100.0 - 1.0, abs=1e-15)
    assert C.total_return(f, "T", base, end) == pytest.approx(0.21, abs=1e-15)
    assert C.index_return(f, "T", base, end) == pytest.approx(0.21, abs=1e-15)
    # a halted anchor uses the last traded close (the exchange's reference price)
    assert C.last_traded_close(f, "T", pd.Timestamp("2019-10-08")) == (100.0, pd.Timestamp("2019-09-30"))
    assert C.total_return(f, "T", pd.Timestamp("2019-10-08"), end) == pytest.approx(0.21, abs=1e-15)
    with pytest.raises(C.Undetermined, match="no data: T has prices from 2019-09-27 to 2019-10-10, not on 2019-10-11"):
        C.total_return(f, "T", base, pd.Timestamp("2019-10-11"))


def test_session_return_and_traded_flag():
    f = frame(
        {
            "2019-09-30": (31.86, 32.64, True),
            "2019-10-08": (31.01, 31.86, True),
            "2019-10-09": (31.01, 31.01, False),
            "2019-10-11": (32.00, 31.01, True),  # 2019-10-10 has no row: not traded
        }
    )
    assert C.session_return(f, "T", pd.Timestamp("2019-10-08")) == 31.01 / 31.86 - 1.0
    with pytest.raises(C.Undetermined, match="did not trade on 2019-10-09"):
        C.session_return(f, "T", pd.Timestamp("2019-10-09"))
    assert C.traded_flag(f, "T", pd.Timestamp("2019-10-08")) == 1
    assert C.traded_flag(f, "T", pd.Timestamp("2019-10-09")) == 0
    assert C.traded_flag(f, "T", pd.Timestamp("2019-10-10")) == 0
    with pytest.raises(C.Undetermined, match="no data"):
        C.traded_flag(f, "T", pd.Timestamp("2019-10-14"))


def test_anchors_follow_the_exchange_calendar_and_the_halt():
    rows = steady("2019-09-02", "2019-10-31", first=10.0, step=0.1)
    for d in ("2019-10-08", "2019-10-09"):  # halted on the first two sessions after the announcement
        close = rows["2019-09-30"][0]
        rows[d] = (close, close, False)
    rows["2019-10-10"] = (rows["2019-10-10"][0], rows["2019-09-30"][0], True)
    f = frame(rows)
    announced = pd.Timestamp("2019-10-07T18:00:00", tz="America/New_York")
    kw = {"frame": f, "ticker": "T", "mic": "XSHE", "announced": announced}
    b = C.resolve_anchor("last_close_before_announcement", document_date=date(2019, 10, 18), **kw)
    assert b.session == pd.Timestamp("2019-09-30")  # 1-7 October: National Day holiday
    first = C.resolve_anchor("first_traded_close_after_announcement", document_date=date(2019, 10, 18), **kw)
    assert first.session == pd.Timestamp("2019-10-10")
    last = C.resolve_anchor("last_close_before_document", document_date=date(2019, 10, 19), **kw)  # a Saturday
    assert last.session == pd.Timestamp("2019-10-18")
    on = C.resolve_anchor("close_on_document_date", document_date=date(2019, 10, 18), **kw)
    assert on.session == pd.Timestamp("2019-10-18")
    with pytest.raises(C.Undetermined, match=r"2019-10-19 \(Saturday\) is not a XSHE session"):
        C.resolve_anchor("close_on_document_date", document_date=date(2019, 10, 19), **kw)
    # an announcement during a session: the last close before it is the previous session's
    intraday = pd.Timestamp("2019-10-15T10:30:00", tz="Asia/Shanghai")
    kw["announced"] = intraday
    assert C.resolve_anchor("last_close_before_announcement", document_date=date(2019, 10, 18), **kw).session == (
        pd.Timestamp("2019-10-14")
    )
    assert C.resolve_anchor("first_traded_close_after_announcement", document_date=date(2019, 10, 18), **kw).session == (
        pd.Timestamp("2019-10-15")
    )


def tiny_results(claim: dict, frames: dict[str, pd.DataFrame]) -> C.ClaimsResults:
    return C.evaluate_claims(parse_study(study_dict([claim]), "tiny.yaml"), FakeProvider(frames))


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
    assert bhar == pytest.approx((c("2019-10-17") / c("2019-10-08") - 1) - (i("2019-10-17") / i("2019-10-08") - 1), abs=1e-14)
    flat = g.loc[("first_traded_close_after_announcement", "last_close_before_document", "abnormal vs IDX2.SZ"), "value"]
    assert flat == pytest.approx(c("2019-10-17") / c("2019-10-08") - 1, abs=1e-14)
    assert set(res.grid["verdict"]) <= set(C.VERDICTS)
    (path,) = res.paths
    assert path.dates[0] == date(2019, 9, 30) and path.dates[-1] == date(2019, 10, 18)
    assert path.firms["AAA.SZ"][0] == 0.0 and path.threshold == 0.10
    assert path.benchmark == "IDX.SZ" and path.benchmark_path[-1] == pytest.approx(i("2019-10-18") / i("2019-09-30") - 1)


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
    data["events"][0]["firms"][0]["exchange"] = "XSHG"  # the study file disagrees with the .SZ suffix
    res = C.evaluate_claims(parse_study(data), FakeProvider({}))
    assert res.outcomes[0].verdict == C.UNDETERMINED and "ticker suffix says XSHE" in res.outcomes[0].reason
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


# ------------------------------------------------------------------------------------------- verdict edges


def comparison(op: str, value: str, tolerance: str | None = None) -> C.Comparison:
    return C.Comparison(op, Decimal(value), Decimal(tolerance) if tolerance is not None else None)


@pytest.mark.parametrize(
    ("op", "value", "tol", "measured", "holds"),
    [
        # approximately -3% ± 0.5pp: both edges included, even when the float is a hair outside them
        ("approximately", "-0.03", "0.005", 97.5 / 100.0 - 1.0, True),  # -0.025000000000000022
        ("approximately", "-0.03", "0.005", -0.025, True),
        ("approximately", "-0.03", "0.005", -0.035, True),
        ("approximately", "-0.03", "0.005", 96.5 / 100.0 - 1.0, True),
        ("approximately", "-0.03", "0.005", -0.0249999999, False),
        ("approximately", "-0.03", "0.005", -0.0350000001, False),
        ("approximately", "-0.03", "0", -0.03, True),
        ("approximately", "-0.03", None, -0.0250000000004, True),  # default tolerance 0.5pp; below the resolution
        # thresholds: at_least/at_most include the edge, more_than/less_than exclude it
        ("more_than", "0.25", None, 1.25 / 1.0 - 1.0, False),
        ("at_least", "0.25", None, 1.25 / 1.0 - 1.0, True),
        ("more_than", "0.25", None, 0.2500000001, True),
        ("at_most", "0.3", None, 0.1 + 0.2, True),  # 0.30000000000000004
        ("less_than", "0.3", None, 0.1 + 0.2, False),
        ("less_than", "0.3", None, 0.2999999999, True),
        ("more_than", "-0.03", None, -0.0299999, True),
    ],
)
def test_verdict_edges_are_deterministic(op, value, tol, measured, holds):
    assert comparison(op, value, tol).holds(measured) is holds


def test_is_comparisons():
    assert C.Comparison("is", False).holds(0) and not C.Comparison("is", False).holds(1)
    assert C.Comparison("is", True).holds(1)
    assert C.Comparison("is", "XSHE").holds("XSHE") and not C.Comparison("is", "XSHG").holds("XSHE")


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


# -------------------------------------------------------------------------------------- the default study


@pytest.fixture(scope="module")
def default_results() -> C.ClaimsResults:
    return C.evaluate_claims(load_study(EVENTS), open_provider("snapshot"))


def test_five_default_claims_end_to_end(default_results):
    t = default_results.table.set_index("claim_id")
    assert list(default_results.table.columns) == C.TABLE_COLUMNS
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
    listed = next(o for o in default_results.outcomes if o.claim.id == "iflytek-shanghai-listed")
    assert "002230.SZ is listed on XSHE (Shenzhen Stock Exchange)" in listed.reason
    assert "the document says XSHG" in listed.reason


def test_default_sensitivity_grid(default_results):
    g = default_results.grid
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


def test_claims_csv_keeps_full_precision(default_results, tmp_path):
    path = C.write_claims_csv(default_results, tmp_path / "claims.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == C.TABLE_COLUMNS and len(back) == 5
    for _, row in back.iterrows():
        measured = default_results.table.set_index("claim_id").loc[row["claim_id"], "measured"]
        if isinstance(measured, float):
            assert float(row["measured"]) == measured  # round-trips exactly
        else:
            assert row["measured"] == str(measured)


def test_format_verdicts(default_results):
    text = C.format_verdicts(default_results)
    assert "hikvision-up-25pct-since-blacklisting  CONTRADICTED  +18.95%" in text
    assert "iflytek-closed-down-nearly-3pct" in text and "-2.67%" in text
    assert "3 supported, 2 contradicted, 0 undetermined (prices: snapshot)" in text
    assert C.format_verdicts(C.ClaimsResults("s", "x", [], default_results.table[:0], default_results.grid[:0], []))


def test_figures_have_stable_ids_and_thresholds(default_results):
    figs = C.claims_figures(default_results)
    assert len(figs) == len(default_results.paths) == 4  # the listing-exchange claim has no price path
    hik = figs[0]
    names = [tr.name for tr in hik.data]
    assert "002415.SZ total return" in names and "CSI 300 (000300.SS)" in names
    assert any(getattr(s, "y0", None) == 0.25 for s in hik.layout.shapes)
    html = C.claims_figures_html(default_results)
    assert 'id="claim-hikvision-up-25pct-since-blacklisting"' in html[0]
    assert html == C.claims_figures_html(default_results)  # deterministic


def render_partial(results: C.ClaimsResults, figures: list[str]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    return env.get_template("claims.html.j2").render(claims=results, claims_figures_html=figures)


def test_partial_renders_badges_grid_and_charts(default_results):
    html = render_partial(default_results, C.claims_figures_html(default_results))
    assert '<h2 id="claims">What the documents claim</h2>' in html
    assert html.count('class="claims-badge claims-contradicted">contradicted<') == 1 + 2
    assert "claims-primary" in html and 'id="claim-dahua-up-30pct-since-blacklisting"' in html
    assert "+18.95%" in html and "+27.48%" in html


def test_partial_escapes_document_text(default_results):
    evil = copy.copy(default_results)
    o = evil.outcomes[0]
    claim = C.Claim(**{**o.claim.__dict__, "quote": '<script>alert("x")</script> & up', "note": "<b>n</b>"})
    evil.outcomes = [C.Outcome(claim, o.measured, o.verdict, "<i>why</i>", o.primary_definition), *evil.outcomes[1:]]
    html = render_partial(evil, [])
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; up" in html
    assert "<b>n</b>" not in html and "<i>why</i>" not in html
