"""The claim schema: what a claim says, as typed objects parsed from the ``claims:`` section of ``events.yaml``.

A :class:`Claim` is a short quote from a document, the :class:`Quantity` it is about (``return``,
``session_return``, ``traded`` or ``exchange``; definitions in :mod:`eventstudy.claims.measures`) and the
:class:`Comparison` it makes. :func:`parse_claims` reads and checks them (schema in ``docs/claims.md``), with the
numbers (fractions, percentages, percentage points) and anchors (names or ISO dates) written in the study file.

Comparisons on numbers are made on the measured value rounded to :data:`RESOLUTION` (1e-12) against bounds
computed exactly (in decimal) from the numbers written in the study file, so a value exactly at a threshold or at
a tolerance edge gets the same verdict on every machine: ``at_least``, ``at_most`` and ``approximately`` include
their edges, ``more_than`` and ``less_than`` exclude them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..spec.config import EXCHANGE_ALIASES, Study
from ..spec.events import Event
from ..spec.fields import SLUG, TICKER, Reader, parse_date, show

KINDS = ("return", "session_return", "traded", "exchange")
COMPARISONS = ("at_least", "more_than", "at_most", "less_than", "approximately", "is")
NUMERIC_COMPARISONS = ("at_least", "more_than", "at_most", "less_than", "approximately")
BASES = ("last_close_before_announcement", "first_traded_close_after_announcement")
ENDS = ("last_close_before_document", "close_on_document_date")
MEASURES = ("price", "total", "abnormal")
DEFAULT_TOLERANCE = Decimal("0.005")  # 0.5 percentage points, for ``approximately`` without a tolerance
RESOLUTION = Decimal("1e-12")  # measured values are compared at this resolution (see the module docstring)
MAX_QUOTE_WORDS = 25
EXCHANGE_NAMES = {
    "XSHG": "Shanghai Stock Exchange", "XSHE": "Shenzhen Stock Exchange", "XHKG": "Hong Kong Stock Exchange",
    "XNYS": "New York Stock Exchange", "XNAS": "Nasdaq",
}  # fmt: skip
_EXCHANGE_WORDS = {"SHANGHAI": "XSHG", "SHENZHEN": "XSHE", "HONG KONG": "XHKG", "HKEX": "XHKG", "XHKG": "XHKG"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(%|pp)?\s*$")


@dataclass(frozen=True)
class Quantity:
    """What a claim is about (definitions in :mod:`eventstudy.claims.measures`)."""

    kind: str  # one of KINDS
    tickers: tuple[str, ...]
    event: str | None = None  # return: the event whose announcement the "since" refers to
    base: str | None = None  # return: anchor name or ISO date
    end: str | None = None  # return: anchor name or ISO date
    measure: str | None = None  # return: price | total | abnormal
    benchmark: str | None = None  # return with measure abnormal
    on: date | None = None  # session_return, traded: the session date (``session:`` in the study file)

    def describe(self) -> str:
        """One line naming the quantity, e.g. ``price return of 002415.SZ since us-entity-list-2019-10-07``."""
        who = ", ".join(self.tickers)
        if self.kind == "return":
            what = {"price": "price return", "total": "total return", "abnormal": f"BHAR vs {self.benchmark}"}
            return (
                f"{what[self.measure or 'price']} of {who} from {_anchor_words(self.base)} to {_anchor_words(self.end)}"
            )
        if self.kind == "session_return":
            return f"one-session return of {who} on {self.on}"
        if self.kind == "traded":
            return f"traded flag of {who} on {self.on}"
        return f"listing exchange of {who}"


@dataclass(frozen=True)
class Comparison:
    """The claimed comparison: ``op`` against ``value`` (Decimal for numbers, bool for traded, MIC for exchange)."""

    op: str
    value: Decimal | bool | str
    tolerance: Decimal | None = None  # approximately only

    def bounds(self) -> tuple[Decimal | None, Decimal | None, bool]:
        """(lower, upper, edges_included) of the numeric comparison."""
        v = self.value
        assert isinstance(v, Decimal)
        if self.op == "approximately":
            tol = self.tolerance if self.tolerance is not None else DEFAULT_TOLERANCE
            return v - tol, v + tol, True
        if self.op in ("at_least", "more_than"):
            return v, None, self.op == "at_least"
        return None, v, self.op == "at_most"

    def holds(self, measured: Any) -> bool:
        """Does ``measured`` satisfy the comparison? Numbers are rounded to :data:`RESOLUTION` first."""
        if self.op == "is":
            if isinstance(self.value, bool):
                return bool(int(measured)) is self.value
            return str(measured) == self.value
        q = quantize(float(measured))
        lo, hi, inclusive = self.bounds()
        if lo is not None and (q < lo or (q == lo and not inclusive)):
            return False
        if hi is not None and (q > hi or (q == hi and not inclusive)):
            return False
        return True

    def describe(self, kind: str) -> str:
        """Human text of the claimed comparison, e.g. ``more than 25%`` or ``approximately -3% (± 0.5pp)``."""
        if self.op == "is":
            if kind == "traded":
                return "is 1 (traded)" if self.value else "is 0 (not traded: suspended)"
            return f"is {self.value} ({EXCHANGE_NAMES.get(str(self.value), str(self.value))})"
        words = {"at_least": "at least", "more_than": "more than", "at_most": "at most", "less_than": "less than"}
        value = _pct(self.value)
        if self.op == "approximately":
            tol = self.tolerance if self.tolerance is not None else DEFAULT_TOLERANCE
            return f"approximately {value} (± {_num(tol * 100)}pp)"
        return f"{words[self.op]} {value}"


@dataclass(frozen=True)
class Claim:
    """One checked statement from a document."""

    id: str
    document: str
    date: date
    date_approximate: bool
    quote: str
    quantity: Quantity
    comparison: Comparison
    benchmarks: tuple[str, ...]  # abnormal-return benchmarks of the sensitivity grid (return claims)
    note: str = ""
    where: str = ""  # field path in the study file, e.g. claims[0]


def quantize(x: float) -> Decimal:
    """A float as a Decimal rounded (half-even) to :data:`RESOLUTION`."""
    return Decimal(x).quantize(RESOLUTION, rounding=ROUND_HALF_EVEN)


def _num(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _pct(d: Decimal | bool | str) -> str:
    assert isinstance(d, Decimal)
    text = _num(d * 100)
    return f"+{text}%" if d > 0 else f"{text}%"


def _anchor_words(anchor: str | None) -> str:
    return (anchor or "").replace("_", " ")


def _number(node: Reader, key: str, allow_pp: bool) -> Decimal:
    """A number written as a fraction (0.25) or a percentage ("25%"; tolerances also "0.5pp")."""
    raw = node.get(key)
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise node.fail(f"expected a number such as 0.25 or 25%, got {show(raw)}", key)
    if isinstance(raw, str):
        m = _NUMBER.match(raw)
        if not m or (m.group(2) == "pp" and not allow_pp):
            allowed = "0.005, 0.5% or 0.5pp" if allow_pp else "0.25 or 25%"
            raise node.fail(f"{raw!r} is not a number such as {allowed}", key)
        value = Decimal(m.group(1)) / (100 if m.group(2) else 1)
    else:
        if isinstance(raw, float) and not math.isfinite(raw):
            raise node.fail(f"{raw!r} is not a finite number", key)
        value = Decimal(str(raw))
    if abs(value) > 10:
        raise node.fail(f"{raw!r} is a return of more than 1000%; write percentages with a % sign (25%)", key)
    return value


def _tickers(node: Reader) -> tuple[str, ...]:
    if node.has("ticker") == node.has("tickers"):
        raise node.fail("give exactly one of ticker: or tickers:")
    if node.has("ticker"):
        return (node.text("ticker", pattern=TICKER),)
    raw = node.get("tickers")
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) and TICKER.match(t) for t in raw):
        raise node.fail(f"expected a non-empty list of tickers, got {show(raw)}", "tickers")
    if len(set(raw)) != len(raw):
        raise node.fail(f"a ticker is listed twice in {show(raw)}", "tickers")
    return tuple(raw)


def _anchor(node: Reader, key: str, names: tuple[str, ...]) -> str:
    value = node.text(key)
    if value in names:
        return value
    if _DATE.match(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise node.fail(f"{value!r} is not an anchor ({', '.join(names)}, or a date YYYY-MM-DD)", key)


def _quantity(node: Reader, events: dict[str, Event], study: Study) -> Quantity:
    kind = node.text("kind") if isinstance(node.data, dict) else None
    if kind is None:
        node.mapping(set())  # raises "expected a mapping"
    if kind not in KINDS:
        raise node.fail(f"{kind!r} is not a quantity ({', '.join(KINDS)})", "kind")
    if kind == "return":
        node.mapping({"kind", "ticker", "tickers", "event", "base", "end", "measure", "benchmark"})
        tickers = _tickers(node)
        if len(tickers) != 1:
            raise node.fail(f"a return claim is about one ticker, got {len(tickers)}", "tickers")
        event = node.text("event")
        if event not in events:
            raise node.fail(f"{event!r} is not an event id of this study ({', '.join(events)})", "event")
        measure = node.text("measure", "price")
        if measure not in MEASURES:
            raise node.fail(f"{measure!r} is not a measure ({', '.join(MEASURES)})", "measure")
        benchmark = None
        if measure == "abnormal":
            benchmark = node.text("benchmark", study.benchmark, pattern=TICKER)
        elif node.has("benchmark"):
            raise node.fail(f"a benchmark only applies to measure: abnormal, not {measure!r}", "benchmark")
        return Quantity(
            kind, tickers, event=event, base=_anchor(node, "base", BASES), end=_anchor(node, "end", ENDS),
            measure=measure, benchmark=benchmark,
        )  # fmt: skip
    if kind in ("session_return", "traded"):
        if True in node.data:  # YAML 1.1 reads a bare `on:` key as the boolean true
            raise node.fail("YAML reads the key 'on' as true; write the date as session: YYYY-MM-DD")
        node.mapping({"kind", "ticker", "tickers", "session"})
        return Quantity(kind, _tickers(node), on=parse_date(node, "session"))
    node.mapping({"kind", "ticker", "tickers"})
    return Quantity(kind, _tickers(node))


def _comparison(node: Reader, kind: str) -> Comparison:
    node.mapping({"comparison", "value", "tolerance"})
    op = node.text("comparison")
    if op not in COMPARISONS:
        raise node.fail(f"{op!r} is not a comparison ({', '.join(COMPARISONS)})", "comparison")
    numeric = kind in ("return", "session_return")
    if numeric and op == "is":
        raise node.fail(
            f"'is' compares facts (traded, exchange); a {kind} needs one of {', '.join(NUMERIC_COMPARISONS)}",
            "comparison",
        )  # noqa: E501
    if not numeric and op != "is":
        raise node.fail(f"a {kind} claim is compared with 'is', not {op!r}", "comparison")
    if node.has("tolerance") and op != "approximately":
        raise node.fail(f"a tolerance only applies to 'approximately', not {op!r}", "tolerance")
    if kind == "traded":
        value = node.get("value")
        if not isinstance(value, bool):
            raise node.fail(f"expected true (traded) or false (suspended), got {show(value)}", "value")
        return Comparison(op, value)
    if kind == "exchange":
        raw = node.text("value")
        mic = EXCHANGE_ALIASES.get(raw.upper()) or _EXCHANGE_WORDS.get(raw.upper())
        if mic is None:
            known = sorted({*EXCHANGE_ALIASES, "Shanghai", "Shenzhen"})
            raise node.fail(f"{raw!r} is not a known exchange ({', '.join(known)})", "value")
        return Comparison(op, mic)
    value = _number(node, "value", allow_pp=False)
    tolerance = None
    if op == "approximately":
        tolerance = _number(node, "tolerance", allow_pp=True) if node.has("tolerance") else DEFAULT_TOLERANCE
        if tolerance < 0:
            raise node.fail(f"tolerance {node.get('tolerance')!r} is negative", "tolerance")
    return Comparison(op, value, tolerance)


def _claim(node: Reader, events: dict[str, Event], study: Study) -> Claim:
    node.mapping({"id", "document", "date", "date_approximate", "quote", "quantity", "claim", "sensitivity", "note"})
    approx = node.get("date_approximate", False)
    if not isinstance(approx, bool):
        raise node.fail(f"expected true or false, got {show(approx)}", "date_approximate")
    quote = " ".join(node.text("quote").split())
    words = len(quote.split())
    if words > MAX_QUOTE_WORDS:
        raise node.fail(
            f"the quote has {words} words; quote at most {MAX_QUOTE_WORDS} (a short claim sentence)", "quote"
        )
    quantity = _quantity(node.child("quantity"), events, study) if node.has("quantity") else None
    if quantity is None:
        raise node.fail("is required", "quantity")
    if not node.has("claim"):
        raise node.fail("is required", "claim")
    comparison = _comparison(node.child("claim"), quantity.kind)
    benchmarks: tuple[str, ...] = ()
    if quantity.kind == "return":
        benchmarks = (study.benchmark, *study.alternative_benchmarks)
        if node.has("sensitivity"):
            sens = node.child("sensitivity")
            sens.mapping({"benchmarks"})
            raw = sens.get("benchmarks")
            if not isinstance(raw, list) or not all(isinstance(b, str) and TICKER.match(b) for b in raw):
                raise sens.fail(f"expected a list of benchmark tickers, got {show(raw)}", "benchmarks")
            benchmarks = tuple(dict.fromkeys(raw))
        if quantity.benchmark is not None and quantity.benchmark not in benchmarks:
            benchmarks = (quantity.benchmark, *benchmarks)
    elif node.has("sensitivity"):
        raise node.fail(f"a sensitivity grid only applies to return claims, not {quantity.kind!r}", "sensitivity")
    return Claim(
        id=node.text("id", pattern=SLUG),
        document=node.text("document"),
        date=parse_date(node, "date"),
        date_approximate=approx,
        quote=quote,
        quantity=quantity,
        comparison=comparison,
        benchmarks=benchmarks,
        note=" ".join(node.text("note").split()) if node.has("note") else "",
        where=node.path,
    )


def parse_claims(study: Study) -> tuple[Claim, ...]:
    """The ``claims:`` section of the study file (``study.extra["claims"]``) as typed :class:`Claim` objects.

    Raises :class:`ConfigError` with one line naming the file, the field path and the value.
    """
    if "claims" not in study.extra or study.extra["claims"] is None:
        return ()
    top = Reader(str(study.path), {"claims": study.extra["claims"]})
    events = {ev.id: ev for ev in study.events}
    claims = tuple(_claim(node, events, study) for node in top.items("claims"))
    seen: set[str] = set()
    for i, claim in enumerate(claims):
        if claim.id in seen:
            raise top.child("claims").child(i).fail(f"duplicate claim id {claim.id!r}", "id")
        seen.add(claim.id)
    return claims
