"""Claims check: what the documents say about share prices, as checked, reproducible objects.

A *claim* (``claims:`` section of ``events.yaml``, schema in ``docs/claims.md``) is a short quote from a
document, the *quantity* it is about and the *comparison* it makes. :func:`evaluate_claims` measures the
quantity on the study's price source, compares it and gives a verdict:

``supported``     the measured value satisfies the comparison
``contradicted``  it does not
``undetermined``  it cannot be measured (no data, not a session, no trade…); the reason is given

Quantities (every return is a simple return, as a fraction: 0.25 is +25%):

``return``          a ticker's return between two *anchors* (closes), measured as

    * ``price``     ``close_end / close_base - 1`` on the *unadjusted* closes of the provider (the price a reader
      sees quoted; for the snapshot source the closes are unadjusted, for Yahoo they are adjusted closes);
    * ``total``     the product of ``close_t / prev_close_t`` over the ticker's *traded* sessions ``t`` in
      ``(base, end]``, minus 1; ``prev_close`` is the exchange's reference close, which carries
      distributions (dividends, bonus shares), so this is the distribution-inclusive return;
    * ``abnormal``  the buy-and-hold abnormal return (BHAR): the total return minus the benchmark index's
      return over the same two anchor dates, ``level_end / level_base - 1``, the index level taken as of each
      date (its last close on or before it).

``session_return``  the one-session return on a date: ``close / prev_close - 1`` of that session (the change the
                    exchange reports); undetermined when the ticker did not trade (a halt has no return).
``traded``          whether a ticker traded on a date: 1 (traded) or 0 (suspended: a session inside the data's
                    range with no trade); undetermined when the date is not a session or outside the data.
``exchange``        the exchange (ISO 10383 MIC) a ticker is listed on, from the firm's ``exchange`` field in the
                    study file, checked against the ticker's suffix.

Anchors of a ``return`` (the close *at* an anchor session is the ticker's last traded close at or before it,
i.e. the exchange's reference price through a halt):

``last_close_before_announcement``        the last session of the ticker's exchange whose close is at or before
                                          the event's announcement instant
``first_traded_close_after_announcement`` the first session whose close is after the announcement and on which
                                          the ticker traded
``last_close_before_document``            the last session dated before the document's date
``close_on_document_date``                the session on the document's date (undetermined if there is none)
``YYYY-MM-DD``                            the session on that date

Comparisons on numbers are made on the measured value rounded to :data:`RESOLUTION` (1e-12) against bounds
computed exactly (in decimal) from the numbers written in the study file, so a value exactly at a threshold or at
a tolerance edge gets the same verdict on every machine: ``at_least``, ``at_most`` and ``approximately`` include
their edges, ``more_than`` and ``less_than`` exclude them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .calendar import day_zero, exchange_calendar, exchange_of_ticker, sessions
from .config import _SLUG, _TICKER, EXCHANGE_ALIASES, Event, Study, _Reader, _show, parse_date
from .data.base import PriceProvider
from .errors import ConfigError, EventStudyError

KINDS = ("return", "session_return", "traded", "exchange")
COMPARISONS = ("at_least", "more_than", "at_most", "less_than", "approximately", "is")
NUMERIC_COMPARISONS = ("at_least", "more_than", "at_most", "less_than", "approximately")
BASES = ("last_close_before_announcement", "first_traded_close_after_announcement")
ENDS = ("last_close_before_document", "close_on_document_date")
MEASURES = ("price", "total", "abnormal")
SUPPORTED, CONTRADICTED, UNDETERMINED = "supported", "contradicted", "undetermined"
VERDICTS = (SUPPORTED, CONTRADICTED, UNDETERMINED)
DEFAULT_TOLERANCE = Decimal("0.005")  # 0.5 percentage points, for ``approximately`` without a tolerance
RESOLUTION = Decimal("1e-12")  # measured values are compared at this resolution (see the module docstring)
MAX_QUOTE_WORDS = 25
TABLE_COLUMNS = ["claim_id", "document", "quote", "quantity", "claimed", "measured", "verdict", "primary_definition"]
GRID_COLUMNS = [
    "claim_id", "base", "end", "measure", "value", "verdict",
    "benchmark", "base_date", "end_date", "primary", "reason",
]  # fmt: skip
EXCHANGE_NAMES = {
    "XSHG": "Shanghai Stock Exchange", "XSHE": "Shenzhen Stock Exchange", "XHKG": "Hong Kong Stock Exchange",
    "XNYS": "New York Stock Exchange", "XNAS": "Nasdaq",
}  # fmt: skip
_EXCHANGE_WORDS = {"SHANGHAI": "XSHG", "SHENZHEN": "XSHE", "HONG KONG": "XHKG", "HKEX": "XHKG", "XHKG": "XHKG"}
INDEX_NAMES = {"000300.SS": "CSI 300", "000001.SS": "SSE Composite", "399106.SZ": "SZSE Composite"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(%|pp)?\s*$")
_FETCH_MARGIN_DAYS = 90  # calendar days fetched before the earliest and after the latest date a claim needs


# --------------------------------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Quantity:
    """What a claim is about (see the module docstring for the definitions)."""

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
            return f"{what[self.measure or 'price']} of {who} from {_anchor_words(self.base)} to {_anchor_words(self.end)}"
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


def _number(node: _Reader, key: str, allow_pp: bool) -> Decimal:
    """A number written as a fraction (0.25) or a percentage ("25%"; tolerances also "0.5pp")."""
    raw = node.get(key)
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise node.fail(f"expected a number such as 0.25 or 25%, got {_show(raw)}", key)
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


def _tickers(node: _Reader) -> tuple[str, ...]:
    if node.has("ticker") == node.has("tickers"):
        raise node.fail("give exactly one of ticker: or tickers:")
    if node.has("ticker"):
        return (node.text("ticker", pattern=_TICKER),)
    raw = node.get("tickers")
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) and _TICKER.match(t) for t in raw):
        raise node.fail(f"expected a non-empty list of tickers, got {_show(raw)}", "tickers")
    if len(set(raw)) != len(raw):
        raise node.fail(f"a ticker is listed twice in {_show(raw)}", "tickers")
    return tuple(raw)


def _anchor(node: _Reader, key: str, names: tuple[str, ...]) -> str:
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


def _quantity(node: _Reader, events: dict[str, Event], study: Study) -> Quantity:
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
            benchmark = node.text("benchmark", study.benchmark, pattern=_TICKER)
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


def _comparison(node: _Reader, kind: str) -> Comparison:
    node.mapping({"comparison", "value", "tolerance"})
    op = node.text("comparison")
    if op not in COMPARISONS:
        raise node.fail(f"{op!r} is not a comparison ({', '.join(COMPARISONS)})", "comparison")
    numeric = kind in ("return", "session_return")
    if numeric and op == "is":
        raise node.fail(f"'is' compares facts (traded, exchange); a {kind} needs one of {', '.join(NUMERIC_COMPARISONS)}", "comparison")  # noqa: E501
    if not numeric and op != "is":
        raise node.fail(f"a {kind} claim is compared with 'is', not {op!r}", "comparison")
    if node.has("tolerance") and op != "approximately":
        raise node.fail(f"a tolerance only applies to 'approximately', not {op!r}", "tolerance")
    if kind == "traded":
        value = node.get("value")
        if not isinstance(value, bool):
            raise node.fail(f"expected true (traded) or false (suspended), got {_show(value)}", "value")
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


def _claim(node: _Reader, events: dict[str, Event], study: Study) -> Claim:
    node.mapping({"id", "document", "date", "date_approximate", "quote", "quantity", "claim", "sensitivity", "note"})
    approx = node.get("date_approximate", False)
    if not isinstance(approx, bool):
        raise node.fail(f"expected true or false, got {_show(approx)}", "date_approximate")
    quote = " ".join(node.text("quote").split())
    words = len(quote.split())
    if words > MAX_QUOTE_WORDS:
        raise node.fail(f"the quote has {words} words; quote at most {MAX_QUOTE_WORDS} (a short claim sentence)", "quote")
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
            if not isinstance(raw, list) or not all(isinstance(b, str) and _TICKER.match(b) for b in raw):
                raise sens.fail(f"expected a list of benchmark tickers, got {_show(raw)}", "benchmarks")
            benchmarks = tuple(dict.fromkeys(raw))
        if quantity.benchmark is not None and quantity.benchmark not in benchmarks:
            benchmarks = (quantity.benchmark, *benchmarks)
    elif node.has("sensitivity"):
        raise node.fail(f"a sensitivity grid only applies to return claims, not {quantity.kind!r}", "sensitivity")
    return Claim(
        id=node.text("id", pattern=_SLUG),
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
    top = _Reader(str(study.path), {"claims": study.extra["claims"]})
    events = {ev.id: ev for ev in study.events}
    claims = tuple(_claim(node, events, study) for node in top.items("claims"))
    seen: set[str] = set()
    for i, claim in enumerate(claims):
        if claim.id in seen:
            raise top.child("claims").child(i).fail(f"duplicate claim id {claim.id!r}", "id")
        seen.add(claim.id)
    return claims


# ----------------------------------------------------------------------------------------------- measuring


class Undetermined(EventStudyError):
    """A quantity cannot be measured; the message is the reason shown with the verdict."""


@dataclass(frozen=True)
class Anchor:
    """A resolved anchor: the session, the close used there and the date of that close (the last trade)."""

    name: str
    session: pd.Timestamp
    close: float
    close_date: pd.Timestamp

    def words(self) -> str:
        text = f"{_anchor_words(self.name)} ({self.session.date()})"
        if self.close_date != self.session:
            text += f", close of the last trade {self.close_date.date()}"
        return text


class _Prices:
    """Price histories fetched once per ticker over a window covering every claim."""

    def __init__(self, provider: PriceProvider, start: date, end: date) -> None:
        self.provider, self.start, self.end = provider, start, end
        self._frames: dict[str, pd.DataFrame | Undetermined] = {}

    def history(self, ticker: str) -> pd.DataFrame:
        if ticker not in self._frames:
            try:
                frame = self.provider.history(ticker, self.start, self.end)
                if frame.empty:
                    raise Undetermined(f"{ticker}: no prices between {self.start} and {self.end} from {self.provider.name}")
                self._frames[ticker] = frame
            except Undetermined as exc:
                self._frames[ticker] = exc
            except EventStudyError as exc:
                self._frames[ticker] = Undetermined(f"no data: {exc}")
        got = self._frames[ticker]
        if isinstance(got, Undetermined):
            raise got
        return got


def _covered(frame: pd.DataFrame, ticker: str, day: pd.Timestamp) -> None:
    first, last = frame.index[0], frame.index[-1]
    if day < first or day > last:
        raise Undetermined(f"no data: {ticker} has prices from {first.date()} to {last.date()}, not on {day.date()}")


def _level(frame: pd.DataFrame) -> pd.Series:
    """Total-return index: cumulative product of close/prev_close over traded rows, flat otherwise."""
    growth = np.where(frame["traded"].to_numpy(), (frame["close"] / frame["prev_close"]).to_numpy(), 1.0)
    return pd.Series(np.cumprod(growth), index=frame.index)


def _asof(series: pd.Series, day: pd.Timestamp) -> float:
    return float(series.loc[:day].iloc[-1])


def last_traded_close(frame: pd.DataFrame, ticker: str, session: pd.Timestamp) -> tuple[float, pd.Timestamp]:
    """The ticker's last traded close at or before ``session`` and its date."""
    _covered(frame, ticker, session)
    traded = frame.loc[:session]
    traded = traded[traded["traded"]]
    if traded.empty:
        raise Undetermined(f"no data: {ticker} has no traded close on or before {session.date()}")
    return float(traded["close"].iloc[-1]), traded.index[-1]


def price_return(frame: pd.DataFrame, ticker: str, base: pd.Timestamp, end: pd.Timestamp) -> float:
    """``close_end / close_base - 1`` on unadjusted closes (last traded close at or before each session)."""
    c0, _ = last_traded_close(frame, ticker, base)
    c1, _ = last_traded_close(frame, ticker, end)
    return c1 / c0 - 1.0


def total_return(frame: pd.DataFrame, ticker: str, base: pd.Timestamp, end: pd.Timestamp) -> float:
    """Product of ``close / prev_close`` over traded sessions in ``(base, end]``, minus 1."""
    _covered(frame, ticker, base)
    _covered(frame, ticker, end)
    rows = frame.loc[(frame.index > base) & (frame.index <= end)]
    rows = rows[rows["traded"]]
    return float(np.prod((rows["close"] / rows["prev_close"]).to_numpy())) - 1.0


def index_return(frame: pd.DataFrame, ticker: str, base: pd.Timestamp, end: pd.Timestamp) -> float:
    """A benchmark's return between two dates: its total-return level as of ``end`` over that as of ``base``."""
    _covered(frame, ticker, base)
    _covered(frame, ticker, end)
    level = _level(frame)
    return _asof(level, end) / _asof(level, base) - 1.0


def session_return(frame: pd.DataFrame, ticker: str, day: pd.Timestamp) -> float:
    """``close / prev_close - 1`` of the session ``day``; a suspended session has no return."""
    _covered(frame, ticker, day)
    if day not in frame.index or not bool(frame.loc[day, "traded"]):
        raise Undetermined(f"{ticker} did not trade on {day.date()} (suspended), so it has no one-session return")
    row = frame.loc[day]
    return float(row["close"] / row["prev_close"]) - 1.0


def traded_flag(frame: pd.DataFrame, ticker: str, day: pd.Timestamp) -> int:
    """1 if ``ticker`` traded on session ``day``, 0 if the session is inside its data but had no trade."""
    _covered(frame, ticker, day)
    return int(day in frame.index and bool(frame.loc[day, "traded"]))


def _exchange_of(study: Study, ticker: str) -> tuple[str, str]:
    """The listing exchange of ``ticker`` and where it comes from (the study file's firm field, or the suffix)."""
    for i, ev in enumerate(study.events):
        for j, firm in enumerate(ev.firms):
            if firm.ticker == ticker:
                return firm.exchange, f"the exchange field of events[{i}].firms[{j}] ({firm.name}) in {study.path.name}"
    return exchange_of_ticker(ticker), "its ticker suffix"


def _is_session(mic: str, day: pd.Timestamp) -> bool:
    return bool(len(sessions(mic, day, day)))


def _require_session(mic: str, day: pd.Timestamp, ticker: str) -> None:
    if not _is_session(mic, day):
        raise Undetermined(f"{day.date()} ({day.strftime('%A')}) is not a {mic} session, so {ticker} has no close on it")


def resolve_anchor(
    name: str, *, frame: pd.DataFrame, ticker: str, mic: str, announced: pd.Timestamp, document_date: date
) -> Anchor:
    """The session and close of an anchor (see the module docstring for the definitions)."""
    cal = exchange_calendar(mic)
    if name == "last_close_before_announcement":
        local = announced.tz_convert(cal.tz).tz_localize(None).normalize()
        session = cal.date_to_session(local, direction="previous")
        while cal.session_close(session) > announced:
            session = cal.previous_session(session)
        session = pd.Timestamp(session.date())
    elif name == "first_traded_close_after_announcement":
        day0 = day_zero(announced, mic)
        local = announced.tz_convert(cal.tz).tz_localize(None).normalize()
        first = cal.date_to_session(local, direction="next")
        while cal.session_close(first) <= announced:
            first = cal.next_session(first)
        first = pd.Timestamp(first.date())
        _covered(frame, ticker, min(first, day0.session))
        later = frame.loc[first:]
        later = later[later["traded"]]
        if later.empty:
            raise Undetermined(f"no data: {ticker} has no traded close after the announcement in the data")
        session = later.index[0]
    elif name == "last_close_before_document":
        session = sessions(mic, None, pd.Timestamp(document_date) - pd.Timedelta(days=1))[-1]
    elif name == "close_on_document_date":
        session = pd.Timestamp(document_date)
        _require_session(mic, session, ticker)
    else:
        session = pd.Timestamp(date.fromisoformat(name))
        _require_session(mic, session, ticker)
    close, close_date = last_traded_close(frame, ticker, pd.Timestamp(session))
    return Anchor(name, pd.Timestamp(session), close, close_date)


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Outcome:
    """A claim's verdict on its primary definition."""

    claim: Claim
    measured: float | int | str | None  # the primary measured value (None when undetermined)
    verdict: str
    reason: str  # the evidence behind the verdict, in one or two sentences
    primary_definition: str
    per_ticker: dict[str, Any] = field(default_factory=dict)

    @property
    def measured_text(self) -> str:
        """The measured value for people: a percentage with two decimals, 0/1, a MIC, or a dash."""
        return _show_measured(self.measured, self.claim.quantity.kind)


@dataclass
class ClaimPath:
    """Data of one claim's chart: cumulative returns from ``base_date`` on the ticker's sessions."""

    claim_id: str
    title: str  # plain text built from ids, tickers and dates only
    base_date: date
    dates: list[date]
    firms: dict[str, list[float]]  # ticker → cumulative total return from the base close
    firm_price: dict[str, list[float]]  # ticker → cumulative price return from the base close
    traded: dict[str, list[bool]]
    benchmark: str | None
    benchmark_path: list[float] | None
    threshold: float | None
    band: tuple[float, float] | None  # approximately: the tolerance band
    marks: list[tuple[date, str]] = field(default_factory=list)


@dataclass
class ClaimsResults:
    """What :func:`evaluate_claims` produced."""

    study_id: str
    source: str
    outcomes: list[Outcome]
    table: pd.DataFrame  # claims.csv: TABLE_COLUMNS
    grid: pd.DataFrame  # GRID_COLUMNS
    paths: list[ClaimPath]

    @property
    def details(self) -> pd.DataFrame:
        """The claims table with each verdict's reason."""
        out = self.table.copy()
        out["reason"] = [o.reason for o in self.outcomes]
        return out

    def grid_for(self, claim_id: str) -> pd.DataFrame:
        return self.grid[self.grid["claim_id"] == claim_id]

    def grid_tables(self) -> list[dict[str, Any]]:
        """The sensitivity grid shaped for the report: per claim, columns (base × end) and rows (measures)."""
        tables = []
        for outcome in self.outcomes:
            g = self.grid_for(outcome.claim.id)
            if g.empty:
                continue
            cols = list(dict.fromkeys(zip(g["base"], g["end"], strict=True)))
            columns = [
                {"base": b, "end": e,
                 "label": f"{_anchor_words(b)} → {_anchor_words(e)}",
                 "dates": _dates_of(g, b, e)}
                for b, e in cols
            ]  # fmt: skip
            rows = []
            for measure in dict.fromkeys(g["measure"]):
                cells = []
                for b, e in cols:
                    hit = g[(g["measure"] == measure) & (g["base"] == b) & (g["end"] == e)].iloc[0]
                    cells.append(
                        {"value": _show_measured(hit["value"], "return"), "verdict": hit["verdict"],
                         "primary": bool(hit["primary"]), "reason": hit["reason"]}
                    )  # fmt: skip
                rows.append({"measure": measure, "cells": cells})
            verdicts = set(g["verdict"]) - {UNDETERMINED}
            tables.append(
                {"claim_id": outcome.claim.id, "claimed": outcome.claim.comparison.describe("return"),
                 "columns": columns, "rows": rows, "flips": len(verdicts) > 1, "summary": flip_summary(g)}
            )  # fmt: skip
        return tables

    def counts(self) -> dict[str, int]:
        return {v: sum(o.verdict == v for o in self.outcomes) for v in VERDICTS}


def _dates_of(g: pd.DataFrame, base: str, end: str) -> str:
    hit = g[(g["base"] == base) & (g["end"] == end)]
    b = next((d for d in hit["base_date"] if d), "")
    e = next((d for d in hit["end_date"] if d), "")
    return f"{b} → {e}" if b and e else ""


def _show_measured(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind in ("return", "session_return") and isinstance(value, float):
        return f"{value * 100:+.2f}%"
    return str(value)


def flip_summary(grid: pd.DataFrame) -> str:
    """Which definitions of a claim's grid disagree with the primary verdict, in one sentence."""
    if grid.empty:
        return ""
    primary = grid[grid["primary"]]
    pv = primary["verdict"].iloc[0] if len(primary) else None
    others = grid[(~grid["primary"]) & (grid["verdict"] != UNDETERMINED) & (grid["verdict"] != pv)]
    undetermined = grid[grid["verdict"] == UNDETERMINED]
    if others.empty:
        text = f"every determined definition agrees with the primary verdict ({pv})"
    else:
        cells = "; ".join(
            f"{r.measure}, {_anchor_words(r.base)} → {_anchor_words(r.end)} ({_show_measured(r.value, 'return')})"
            for r in others.itertuples()
        )
        text = f"the verdict flips to {others['verdict'].iloc[0]} for {len(others)} of {len(grid)} definitions: {cells}"
    if len(undetermined):
        text += f"; {len(undetermined)} undetermined"
    return text


# ----------------------------------------------------------------------------------------------- evaluation


def _window(study: Study, claims: tuple[Claim, ...]) -> tuple[date, date]:
    days: list[date] = []
    events = {ev.id: ev for ev in study.events}
    for c in claims:
        days.append(c.date)
        q = c.quantity
        if q.on is not None:
            days.append(q.on)
        if q.event is not None:
            days.append(events[q.event].announced.date())
        for anchor in (q.base, q.end):
            if anchor and _DATE.match(anchor):
                days.append(date.fromisoformat(anchor))
    lo, hi = min(days), max(days)
    return (
        (pd.Timestamp(lo) - pd.Timedelta(days=_FETCH_MARGIN_DAYS)).date(),
        (pd.Timestamp(hi) + pd.Timedelta(days=_FETCH_MARGIN_DAYS)).date(),
    )


def _mic(study: Study, ticker: str) -> str:
    try:
        return _exchange_of(study, ticker)[0]
    except ConfigError as exc:
        raise Undetermined(str(exc)) from None


def _measure_return(
    claim: Claim, prices: _Prices, study: Study, base: str, end: str, measure: str, benchmark: str | None
) -> tuple[float, Anchor, Anchor, float | None]:
    """(value, base anchor, end anchor, benchmark return) of one definition of a return claim."""
    q = claim.quantity
    ticker = q.tickers[0]
    mic = _mic(study, ticker)
    frame = prices.history(ticker)
    announced = next(ev.announced for ev in study.events if ev.id == q.event)
    b = resolve_anchor(base, frame=frame, ticker=ticker, mic=mic, announced=announced, document_date=claim.date)
    e = resolve_anchor(end, frame=frame, ticker=ticker, mic=mic, announced=announced, document_date=claim.date)
    if e.session <= b.session:
        raise Undetermined(f"the end ({e.session.date()}) is not after the base ({b.session.date()})")
    if measure == "price":
        return e.close / b.close - 1.0, b, e, None
    total = total_return(frame, ticker, b.session, e.session)
    if measure == "total":
        return total, b, e, None
    assert benchmark is not None
    bench = index_return(prices.history(benchmark), benchmark, b.session, e.session)
    return total - bench, b, e, bench


def _definition(q: Quantity, b: Anchor | None, e: Anchor | None, measure: str, benchmark: str | None) -> str:
    what = {
        "price": "price return close_end/close_base − 1 (unadjusted closes)",
        "total": "total return: product of close/prev_close over traded sessions in (base, end], − 1",
        "abnormal": f"BHAR: total return − {_bench_name(benchmark)} return over the same dates",
    }[measure]
    base = b.words() if b else _anchor_words(q.base)
    end = e.words() if e else _anchor_words(q.end)
    return f"{what}; base = {base}; end = {end}; event {q.event}"


def _bench_name(ticker: str | None) -> str:
    if ticker is None:
        return ""
    name = INDEX_NAMES.get(ticker)
    return f"{name} ({ticker})" if name else ticker


def _verdict(claim: Claim, measured: Any) -> str:
    return SUPPORTED if claim.comparison.holds(measured) else CONTRADICTED


def _evaluate_return(claim: Claim, prices: _Prices, study: Study) -> tuple[Outcome, list[dict[str, Any]]]:
    q = claim.quantity
    rows: list[dict[str, Any]] = []
    bases = list(dict.fromkeys([*BASES, q.base]))
    ends = list(dict.fromkeys([*ENDS, q.end]))
    measures: list[tuple[str, str | None]] = [("price", None), ("total", None)]
    measures += [("abnormal", b) for b in claim.benchmarks]
    primary: Outcome | None = None
    for measure, bench in measures:
        for base in bases:
            for end in ends:
                is_primary = (base, end, measure) == (q.base, q.end, q.measure) and (
                    measure != "abnormal" or bench == q.benchmark
                )
                label = measure if measure != "abnormal" else f"abnormal vs {bench}"
                try:
                    value, b, e, _ = _measure_return(claim, prices, study, base, end, measure, bench)
                    verdict, reason = _verdict(claim, value), ""
                    bd, ed = b.session.date().isoformat(), e.session.date().isoformat()
                except Undetermined as exc:
                    value, verdict, reason, b, e, bd, ed = math.nan, UNDETERMINED, str(exc), None, None, "", ""
                rows.append(
                    {"claim_id": claim.id, "base": base, "end": end, "measure": label, "value": value,
                     "verdict": verdict, "benchmark": bench or "", "base_date": bd, "end_date": ed,
                     "primary": is_primary, "reason": reason}
                )  # fmt: skip
                if is_primary:
                    definition = _definition(q, b, e, measure, bench)
                    if verdict == UNDETERMINED:
                        primary = Outcome(claim, None, UNDETERMINED, reason, definition)
                    else:
                        ticker = q.tickers[0]
                        because = (
                            f"{ticker}: {_show_measured(value, 'return')} "
                            f"({'satisfies' if verdict == SUPPORTED else 'does not satisfy'} "
                            f"'{claim.comparison.describe('return')}')"
                        )
                        primary = Outcome(claim, value, verdict, because, definition, {ticker: value})
    assert primary is not None
    grid = pd.DataFrame(rows, columns=GRID_COLUMNS)
    summary = flip_summary(grid)
    if primary.verdict != UNDETERMINED:
        primary = Outcome(
            claim, primary.measured, primary.verdict, f"{primary.reason}; sensitivity: {summary}",
            primary.primary_definition, primary.per_ticker,
        )  # fmt: skip
    return primary, rows


def _evaluate_simple(claim: Claim, prices: _Prices, study: Study) -> Outcome:
    q = claim.quantity
    per: dict[str, Any] = {}
    reasons: list[str] = []
    verdicts: list[str] = []
    if q.kind == "session_return":
        definition = f"one-session return close/prev_close − 1 on {q.on} (the exchange's reference previous close)"
    elif q.kind == "traded":
        definition = f"traded flag on {q.on}: 1 = traded, 0 = a session inside the data with no trade (suspended)"
    else:
        definition = "listing exchange (MIC) from the firm's exchange field in the study file, checked against the ticker suffix"  # noqa: E501
    for ticker in q.tickers:
        try:
            if q.kind == "exchange":
                try:
                    mic, where = _exchange_of(study, ticker)
                except ConfigError as exc:
                    raise Undetermined(str(exc)) from None
                try:
                    by_suffix = exchange_of_ticker(ticker)
                except ConfigError:
                    by_suffix = None
                if by_suffix is not None and by_suffix != mic:
                    raise Undetermined(
                        f"{ticker}: {where} says {mic} but the ticker suffix says {by_suffix}; fix the study file"
                    )
                value: Any = mic
                agree = f"; the ticker suffix .{ticker.rsplit('.', 1)[1]} agrees" if by_suffix and "." in ticker else ""
                text = f"{ticker} is listed on {mic} ({EXCHANGE_NAMES.get(mic, mic)}), from {where}{agree}"
            else:
                mic = _mic(study, ticker)
                day = pd.Timestamp(q.on)
                _require_session(mic, day, ticker)
                frame = prices.history(ticker)
                if q.kind == "session_return":
                    value = session_return(frame, ticker, day)
                    text = f"{ticker} on {q.on}: {_show_measured(value, 'session_return')}"
                else:
                    value = traded_flag(frame, ticker, day)
                    text = f"{ticker} on {q.on}: traded = {value} ({'traded' if value else 'suspended'})"
            verdict = _verdict(claim, value)
            if q.kind == "exchange":
                text += f"; the document says {claim.comparison.value} ({EXCHANGE_NAMES.get(str(claim.comparison.value), '')})"  # noqa: E501
            per[ticker] = value
            reasons.append(text)
            verdicts.append(verdict)
        except Undetermined as exc:
            reasons.append(str(exc))
            verdicts.append(UNDETERMINED)
    if CONTRADICTED in verdicts:
        verdict = CONTRADICTED
    elif UNDETERMINED in verdicts:
        verdict = UNDETERMINED
    else:
        verdict = SUPPORTED
    if len(q.tickers) == 1:
        measured = per.get(q.tickers[0])
    else:
        measured = "; ".join(f"{t}={per[t]!r}" if t in per else f"{t}=undetermined" for t in q.tickers)
    return Outcome(claim, measured, verdict, "; ".join(reasons), definition, per)


def _path(claim: Claim, prices: _Prices, study: Study) -> ClaimPath | None:
    """Chart data: return claims from the primary base to the document date; dated claims ±5 sessions."""
    q = claim.quantity
    if q.kind == "exchange":
        return None
    ticker = q.tickers[0]
    try:
        mic = _mic(study, ticker)
        frames = {t: prices.history(t) for t in q.tickers}
        marks: list[tuple[date, str]] = []
        if q.kind == "return":
            announced = next(ev.announced for ev in study.events if ev.id == q.event)
            b = resolve_anchor(q.base or "", frame=frames[ticker], ticker=ticker, mic=mic, announced=announced,
                               document_date=claim.date)  # fmt: skip
            base = b.session
            axis = sessions(mic, base, pd.Timestamp(claim.date))
            for name in dict.fromkeys([*BASES, *ENDS, q.end or ""]):
                try:
                    a = resolve_anchor(name, frame=frames[ticker], ticker=ticker, mic=mic, announced=announced,
                                       document_date=claim.date)  # fmt: skip
                    marks.append((a.session.date(), _anchor_words(name)))
                except Undetermined:
                    pass
            title = f"{claim.id}: {ticker} since {q.event}"
        else:
            day = pd.Timestamp(q.on)
            around = sessions(mic, day - pd.Timedelta(days=30), day + pd.Timedelta(days=30))
            pos = int(around.searchsorted(day))
            axis = around[max(pos - 6, 0) : pos + 6]
            base = around[max(pos - 1, 0)]  # the close before the day: the one-session return's base
            marks.append((day.date(), str(q.on)))
            title = f"{claim.id}: {', '.join(q.tickers)} around {q.on}"
        axis = axis[axis <= min(f.index[-1] for f in frames.values())]
        firms, price, traded = {}, {}, {}
        for t, frame in frames.items():
            level = _level(frame)
            l0 = _asof(level, base)
            c0, _ = last_traded_close(frame, t, base)
            firms[t] = [_asof(level, d) / l0 - 1.0 for d in axis]
            price[t] = [last_traded_close(frame, t, d)[0] / c0 - 1.0 for d in axis]
            traded[t] = [bool(d in frame.index and frame.loc[d, "traded"]) for d in axis]
        bench = q.benchmark if q.measure == "abnormal" else (claim.benchmarks[0] if claim.benchmarks else study.benchmark)
        bpath = None
        try:
            bf = prices.history(bench)
            blevel = _level(bf)
            b0 = _asof(blevel, base)
            bpath = [(_asof(blevel, d) / b0 - 1.0) if bf.index[0] <= d <= bf.index[-1] else math.nan for d in axis]
        except (Undetermined, IndexError):
            bpath = None
    except (Undetermined, IndexError):
        return None
    threshold = band = None
    comp = claim.comparison
    if comp.op in NUMERIC_COMPARISONS:
        threshold = float(comp.value)  # type: ignore[arg-type]
        if comp.op == "approximately":
            lo, hi, _ = comp.bounds()
            band = (float(lo), float(hi))  # type: ignore[arg-type]
    return ClaimPath(
        claim_id=claim.id, title=title, base_date=pd.Timestamp(base).date(), dates=[d.date() for d in axis],
        firms=firms, firm_price=price, traded=traded, benchmark=bench, benchmark_path=bpath,
        threshold=threshold, band=band, marks=marks,
    )  # fmt: skip


def evaluate_claims(study: Study, provider: PriceProvider, claims: tuple[Claim, ...] | None = None) -> ClaimsResults:
    """Measure every claim of ``study`` on ``provider``'s prices; verdicts, sensitivity grid and chart data."""
    claims = parse_claims(study) if claims is None else claims
    outcomes: list[Outcome] = []
    grid_rows: list[dict[str, Any]] = []
    paths: list[ClaimPath] = []
    if claims:
        start, end = _window(study, claims)
        prices = _Prices(provider, start, end)
        for claim in claims:
            if claim.quantity.kind == "return":
                outcome, rows = _evaluate_return(claim, prices, study)
                grid_rows += rows
            else:
                outcome = _evaluate_simple(claim, prices, study)
            outcomes.append(outcome)
            path = _path(claim, prices, study)
            if path is not None:
                paths.append(path)
    table = pd.DataFrame(
        [
            {"claim_id": o.claim.id, "document": f"{o.claim.document} ({o.claim.date}"
             f"{', approximate' if o.claim.date_approximate else ''})", "quote": o.claim.quote,
             "quantity": o.claim.quantity.describe(), "claimed": o.claim.comparison.describe(o.claim.quantity.kind),
             "measured": o.measured, "verdict": o.verdict, "primary_definition": o.primary_definition}
            for o in outcomes
        ],
        columns=TABLE_COLUMNS,
    )  # fmt: skip
    return ClaimsResults(
        study_id=study.id,
        source=getattr(provider, "name", ""),
        outcomes=outcomes,
        table=table,
        grid=pd.DataFrame(grid_rows, columns=GRID_COLUMNS),
        paths=paths,
    )


# ----------------------------------------------------------------------------------------------- outputs


def write_claims_csv(results: ClaimsResults, path: str | Path) -> Path:
    """Write ``claims.csv`` (columns :data:`TABLE_COLUMNS`; measured values at full float precision)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = results.table.copy()
    out["measured"] = [_csv_value(v) for v in out["measured"]]
    out.to_csv(path, index=False, lineterminator="\n")
    return path


def _csv_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


def format_verdicts(results: ClaimsResults) -> str:
    """The verdict table as plain text for the terminal, with each verdict's reason and definition."""
    if not results.outcomes:
        return "No claims in this study (add a claims: section, see docs/claims.md)."
    head = ("claim", "verdict", "measured", "claimed")
    rows = [(o.claim.id, o.verdict.upper(), o.measured_text, o.claim.comparison.describe(o.claim.quantity.kind))
            for o in results.outcomes]  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join("{:<%d}" % w for w in widths)
    out = [line.format(*head).rstrip(), line.format(*("-" * w for w in widths)).rstrip()]
    for o, row in zip(results.outcomes, rows, strict=True):
        out.append(line.format(*row).rstrip())
        out.append(f"    quote:      \"{o.claim.quote}\" ({o.claim.document}, {o.claim.date})")
        out.append(f"    definition: {o.primary_definition}")
        out.append(f"    why:        {o.reason}")
    counts = results.counts()
    out.append("")
    out.append(", ".join(f"{n} {v}" for v, n in counts.items()) + f" (prices: {results.source})")
    return "\n".join(out)


def claims_figures(results: ClaimsResults) -> list[Any]:
    """One plotly figure per :class:`ClaimPath` (same order as ``results.paths``)."""
    import plotly.graph_objects as go

    colours = ["#1f4e79", "#b35806", "#4d9221", "#762a83"]
    figures = []
    for path in results.paths:
        fig = go.Figure()
        x = [d.isoformat() for d in path.dates]
        for i, (ticker, values) in enumerate(path.firms.items()):
            colour = colours[i % len(colours)]
            fig.add_trace(go.Scatter(x=x, y=values, mode="lines", name=f"{ticker} total return",
                                     line={"color": colour, "width": 2}))  # fmt: skip
            fig.add_trace(go.Scatter(x=x, y=path.firm_price[ticker], mode="lines", name=f"{ticker} price return",
                                     line={"color": colour, "width": 1, "dash": "dot"}))  # fmt: skip
            halted = [(d, v) for d, v, t in zip(x, values, path.traded[ticker], strict=True) if not t]
            if halted:
                fig.add_trace(go.Scatter(x=[h[0] for h in halted], y=[h[1] for h in halted], mode="markers",
                                         name=f"{ticker} suspended", marker={"color": colour, "symbol": "x", "size": 9}))  # fmt: skip  # noqa: E501
        if path.benchmark_path is not None:
            fig.add_trace(go.Scatter(x=x, y=path.benchmark_path, mode="lines", name=f"{_bench_name(path.benchmark)}",
                                     line={"color": "#7f7f7f", "width": 1.5}))  # fmt: skip
        if path.band is not None:
            fig.add_hrect(y0=path.band[0], y1=path.band[1], fillcolor="#fdae61", opacity=0.25, line_width=0)
        if path.threshold is not None:
            fig.add_hline(y=path.threshold, line={"color": "#d73027", "dash": "dash"})
            fig.add_annotation(x=1, xref="paper", y=path.threshold, text=f"claimed {path.threshold:+.1%}",
                               showarrow=False, xanchor="right", yanchor="bottom", font={"color": "#d73027"})  # fmt: skip
        for day, label in path.marks:
            fig.add_vline(x=day.isoformat(), line={"color": "#999999", "width": 1, "dash": "dot"})
            fig.add_annotation(x=day.isoformat(), y=1, yref="paper", text=label, showarrow=False, textangle=-90,
                               xanchor="left", yanchor="top", font={"size": 9, "color": "#666666"})  # fmt: skip
        fig.update_layout(
            title={"text": path.title}, yaxis={"tickformat": "+.0%", "title": f"cumulative return from {path.base_date}"},
            xaxis={"title": "session"}, template="plotly_white", height=420, margin={"l": 60, "r": 20, "t": 50, "b": 40},
            legend={"orientation": "h", "y": -0.2},
        )  # fmt: skip
        figures.append(fig)
    return figures


def claims_figures_html(results: ClaimsResults) -> list[str]:
    """The figures as HTML divs with stable ids ``claim-<claim_id>`` (plotly.js loaded by the page)."""
    return [
        fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"claim-{path.claim_id}")
        for fig, path in zip(claims_figures(results), results.paths, strict=True)
    ]
