"""eventstudy.claims.spec: parsing the claims: section (typed objects, one-line errors) and comparison edges."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
import yaml

from eventstudy import claims as C
from eventstudy.errors import ConfigError
from eventstudy.spec.config import load_study, parse_study
from eventstudy.spec.yaml_safe import StrictLoader

from .conftest import EVENTS, ROOT, since_claim, study_dict


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
        assert (
            c.document in {p.name for p in (ROOT.parent / "shared" / "seeds").glob("*.txt")}
            or not (ROOT.parent / "shared" / "seeds").is_dir()
        )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.update(colour="red"), "claims[0].colour: unknown key 'colour'"),
        (lambda c: c["quantity"].update(kind="volume"), "claims[0].quantity.kind: 'volume' is not a quantity"),
        (lambda c: c["quantity"].update(event="nope"), "claims[0].quantity.event: 'nope' is not an event id"),
        (lambda c: c["quantity"].update(base="yesterday"), "claims[0].quantity.base: 'yesterday' is not an anchor"),
        (lambda c: c["quantity"].update(measure="log"), "claims[0].quantity.measure: 'log' is not a measure"),
        (lambda c: c["quantity"].update(benchmark="IDX.SZ"), "claims[0].quantity.benchmark: a benchmark only applies"),
        (
            lambda c: c["claim"].update(comparison="roughly"),
            "claims[0].claim.comparison: 'roughly' is not a comparison",
        ),
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
    data = study_dict([]) | yaml.load(text, Loader=StrictLoader)  # noqa: S506
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
