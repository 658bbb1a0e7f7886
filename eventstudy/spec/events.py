"""An event of a study file: the announcement, the firms it concerns and the documents it is taken from, as data
(:class:`Event`, :class:`Firm`, :class:`Source`) and as read from one entry of the ``events:`` list
(:func:`read_event`; every problem one line naming the file, the field and the value)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from .exchanges import DAY0_RULES, exchange_label
from .fields import SLUG, TICKER, Reader, firm_exchange, parse_date, parse_instant, show


@dataclass(frozen=True)
class Firm:
    """A listed security affected by an event."""

    ticker: str
    name: str
    exchange: str  # ISO 10383 MIC of the listing, e.g. XSHE for Shenzhen
    benchmark: str | None = None  # overrides the study's benchmark for this firm
    exchange_given: bool = True  # False: inferred from the ticker's suffix (or its absence: New York)

    @property
    def exchange_label(self) -> str:
        """How reports name the listing: ``Nasdaq`` for ``XNAS``, ``New York (NYSE or Nasdaq)`` for a suffix-less
        ticker without ``exchange:`` (:func:`eventstudy.spec.exchanges.exchange_label`)."""
        return exchange_label(self.exchange, self.ticker, self.exchange_given)


@dataclass(frozen=True)
class Source:
    """A document an event (or claim) is taken from: file name, publication date, short quote."""

    document: str
    date: date
    quote: str
    date_approximate: bool = False


@dataclass(frozen=True)
class Event:
    """One announcement and the firms it concerns."""

    id: str
    title: str
    announced: pd.Timestamp  # tz-aware instant
    approximate: bool  # the time of day (or the date) is inferred, not stated by the documents
    note: str
    sources: tuple[Source, ...]
    firms: tuple[Firm, ...]
    day0_rule: str = "close"  # exchanges.DAY0_RULES: "close" (default) or "next_open"


def _source(node: Reader) -> Source:
    node.mapping({"document", "date", "quote", "date_approximate"})
    approx = node.get("date_approximate", False)
    if not isinstance(approx, bool):
        raise node.fail(f"expected true or false, got {show(approx)}", "date_approximate")
    return Source(node.text("document"), parse_date(node, "date"), node.text("quote"), approx)


def _firm(node: Reader, known: dict[tuple, Firm] | None = None) -> Firm:
    """One entry of an event's ``firms:`` list. ``known``: the firms already read, by their entries' contents — an
    entry equal to one read before gives the same firm (its checks depend on its contents alone), so a table's
    tickers, which recur across its events, are checked once."""
    key = None
    if known is not None and isinstance(node.data, dict):
        try:
            key = tuple(node.data.items())
            firm = known.get(key)
        except TypeError:  # an unhashable value (a list): read every time, and refused below
            key, firm = None, None
        if firm is not None:
            return firm
    node.mapping({"ticker", "name", "exchange", "benchmark"})
    ticker = node.text("ticker", pattern=TICKER)
    exchange = firm_exchange(node, ticker, node.text("exchange") if node.has("exchange") else None)
    benchmark = node.text("benchmark", pattern=TICKER) if node.has("benchmark") else None
    name = node.text("name", ticker) if node.has("name") else ticker
    firm = Firm(ticker, name, exchange, benchmark, exchange_given=node.has("exchange"))
    if key is not None and known is not None:
        known[key] = firm
    return firm


def day0_rule(node: Reader, default: str) -> str:
    """The ``day0`` rule of a study or event entry (:data:`eventstudy.spec.exchanges.DAY0_RULES`)."""
    rule = node.text("day0", default)
    if rule not in DAY0_RULES:
        raise node.fail(f"{rule!r} is not a day-0 rule ({', '.join(DAY0_RULES)})", "day0")
    return rule


def read_event(node: Reader, default_rule: str = "close", known: dict[tuple, Firm] | None = None) -> Event:
    """One entry of the study file's ``events:`` list (``default_rule``: the study's ``day0`` rule; ``known``: the
    firms read from earlier entries, as :func:`_firm` takes them)."""
    node.mapping({"id", "title", "announced", "timezone", "approximate", "note", "sources", "firms", "day0"})
    approx = node.get("approximate", False)
    if not isinstance(approx, bool):
        raise node.fail(f"expected true or false, got {show(approx)}", "approximate")
    firms = tuple(_firm(f, known) for f in node.items("firms"))
    seen: set[str] = set()
    for i, firm in enumerate(firms):
        if firm.ticker in seen:
            raise node.child("firms").child(i).fail(f"ticker {firm.ticker!r} is listed twice in this event", "ticker")
        seen.add(firm.ticker)
    sources = tuple(_source(s) for s in node.items("sources")) if node.has("sources") else ()
    return Event(
        id=node.text("id", pattern=SLUG),
        title=node.text("title"),
        announced=parse_instant(node, "announced"),
        approximate=approx,
        note=node.text("note", "") if node.has("note") else "",
        sources=sources,
        firms=firms,
        day0_rule=day0_rule(node, default_rule),
    )
