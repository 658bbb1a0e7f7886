"""What a study needs before any number is computed: day 0 of every firm-event on its own exchange, the market
groups (calendar, benchmark) and the sessions each reads (:func:`plan_study`), and the prices loaded for them
(:func:`prepare_inputs`: a firm still suspended at the end of its range is followed to its next trade).
:mod:`eventstudy.study.analysis` turns the resulting :class:`StudyInputs` into numbers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data.base import BulkPriceProvider, PriceProvider, Provenance, validate_history
from ..data.calendar import DayZero, day_zero, sessions
from ..data.histories import PriceHistories, combine, stacked
from ..errors import ConfigError, DataError
from ..model.engine import HALT_LOOKAHEAD_DAYS, FirmEvent
from ..spec.config import Study
from ..spec.events import Firm
from ..spec.exchanges import calendar_name, exchange_of_ticker
from .markets import FirmMarket, MarketGroup, firm_market, group_members

if TYPE_CHECKING:
    from .screen_inputs import ConfounderInputs

SESSION_MARGIN = 10  # extra sessions fetched on each side of what the windows need


def _fetch_range(study: Study, firm_days: list[pd.Timestamp], mic: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    axis = sessions(mic)
    lo, hi = study.relative_span
    pos = axis.get_indexer(pd.DatetimeIndex(firm_days))
    first = axis[max(int(pos.min()) + lo - SESSION_MARGIN, 0)]
    last = axis[min(int(pos.max()) + hi + SESSION_MARGIN, len(axis) - 1)]
    return first, last


def load_histories(
    provider: PriceProvider,
    tickers: list[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    on_fetch: Callable[[str], None] | None = None,
    ranges: dict[str, tuple[pd.Timestamp, pd.Timestamp]] | None = None,
    optional: Collection[str] = (),
) -> PriceHistories:
    """Histories of ``tickers`` between ``start`` and ``end`` (or the ticker's own ``ranges`` entry, capped at
    ``end``); a ticker with no rows there is an error. The first error of a ticker not in ``optional`` is raised
    (in the order of ``tickers``); those of ``optional`` ones are kept in ``failed``.

    A :class:`~eventstudy.data.base.BulkPriceProvider` reads them all at once (validated there); any other
    provider one by one, each history validated here."""
    requests = {}
    for ticker in tickers:
        lo, hi = ranges.get(ticker, (start, end)) if ranges else (start, end)
        requests[ticker] = (lo.date(), min(hi, end).date())
    if isinstance(provider, BulkPriceProvider):
        if on_fetch is not None:
            for ticker in tickers:
                on_fetch(ticker)
        read = provider.histories(requests)
        frames: dict[str, pd.DataFrame] | None = None
    else:
        frames = {}
    failed: dict[str, DataError] = {}
    for ticker, (lo_day, hi_day) in requests.items():
        try:
            if frames is None:
                if ticker in read.failed:
                    raise read.failed[ticker]
                empty = read.length(ticker) == 0
            else:
                if on_fetch is not None:
                    on_fetch(ticker)
                frame = validate_history(provider.history(ticker, lo_day, hi_day), f"{ticker} ({provider.name})")
                frames[ticker], empty = frame, frame.empty
            if empty:
                raise DataError(f"{ticker}: no prices between {lo_day} and {hi_day} from {provider.name}")
        except DataError as exc:
            if ticker not in optional:
                raise
            failed[ticker] = exc
            if frames is not None:
                frames.pop(ticker, None)
    out = read.select([t for t in requests if t not in failed]) if frames is None else stacked(frames)
    out.failed = failed
    return out


@dataclass(frozen=True)
class StudyPlan:
    """Day 0 of every firm-event, its market (exchange, calendar, benchmark), the market groups and the range
    of sessions each reads (``start``/``end``: the union, for fetching)."""

    day_zero: dict[tuple[str, str], DayZero]
    firm_events: tuple[FirmEvent, ...]
    markets: tuple[FirmMarket, ...]
    groups: tuple[MarketGroup, ...]
    start: pd.Timestamp
    end: pd.Timestamp

    def ranges(self, study: Study) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
        """Per ticker, the sessions to fetch: the union of its groups' ranges. An alternative benchmark is read
        over the ranges of the groups on its own calendar (its exchange from its ticker's suffix; an unknown
        suffix: every group); one on a calendar without firms, or a mapped benchmark no firm uses, is not read."""
        out: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}

        def widen(ticker: str, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
            old = out.get(ticker)
            out[ticker] = (min(old[0], lo), max(old[1], hi)) if old else (lo, hi)

        for g in self.groups:
            for t in dict.fromkeys(self.firm_events[i].ticker for i in g.members):
                widen(t, g.start, g.end)
            widen(g.benchmark, g.start, g.end)
        for t in study.alternative_benchmarks:
            try:
                calendar: str | None = calendar_name(exchange_of_ticker(t))
            except ConfigError:
                calendar = None
            for g in self.groups:
                if calendar is None or g.calendar == calendar:
                    widen(t, g.start, g.end)
        return {t: out[t] for t in study.tickers if t in out}


@dataclass(frozen=True)
class StudyInputs(StudyPlan):
    """Everything a study's numbers depend on: its plan (a group's ``end`` moved on when a firm is still
    suspended at the end of its range), the spec and the prices."""

    study: Study
    histories: Mapping[str, pd.DataFrame]  # a PriceHistories when prepare_inputs read them
    provenance: dict[str, Provenance]
    as_of: date | None = None  # a cut-off: only sessions up to this date were used
    # alternative benchmarks the source could not give (ticker → why); only benchmark sensitivity reads them
    unavailable: dict[str, str] = field(default_factory=dict)
    # the firm-events (and their markets) whose event periods are masked out of estimation windows
    # (``estimation_exclude: study_events``); None: this run's own. A run over part of a study (benchmark
    # sensitivity) keeps the whole study's, so that its estimates are those of the study.
    mask_context: tuple[tuple[FirmEvent, ...], tuple[FirmMarket, ...]] | None = None
    # the confounder screen's inputs beyond the prices (earnings dates; a part-run's confounded firm-events)
    confounders: ConfounderInputs | None = None


def plan_study(study: Study) -> StudyPlan:
    """Map every event to day 0 on each firm's exchange (under the event's day-0 rule), group the firm-events
    by (calendar, benchmark) and work out the sessions each group's windows need."""
    mappings: dict[tuple[str, str], DayZero] = {}
    firm_events: list[FirmEvent] = []
    markets: list[FirmMarket] = []
    market_of: dict[Firm, FirmMarket] = {}  # a firm in many events has one market
    for i, ev in enumerate(study.events):
        for firm in ev.firms:
            key = (ev.id, firm.exchange)
            if key not in mappings:
                try:
                    mappings[key] = day_zero(ev.announced, firm.exchange, ev.day0_rule)
                except ConfigError as exc:
                    raise ConfigError(f"{study.path}: events[{i}].announced: {exc}") from None
            firm_events.append(FirmEvent(ev.id, firm.ticker, firm.name, mappings[key].session))
            if firm not in market_of:
                market_of[firm] = firm_market(firm.exchange, study.benchmark_of(firm), firm.exchange_label)
            markets.append(market_of[firm])
    groups = []
    for (calendar, benchmark), members in group_members(markets).items():
        start, end = _fetch_range(study, [firm_events[i].day0 for i in members], calendar)
        groups.append(MarketGroup(calendar, benchmark, members, start, end))
    start, end = min(g.start for g in groups), max(g.end for g in groups)
    return StudyPlan(mappings, tuple(firm_events), tuple(markets), tuple(groups), start, end)


def _resumption_end(
    provider: PriceProvider,
    histories: PriceHistories,
    tickers: list[str],
    end: pd.Timestamp,
    as_of: date | None,
) -> pd.Timestamp | None:
    """The date of the latest first trade after ``end`` of the firms whose last row up to ``end`` is a suspension
    (None when no firm is suspended there). A window counts the return that ends a halt (the overlap rule), so a
    halt running past the planned range is followed to its end — up to ``HALT_LOOKAHEAD_DAYS`` and ``as_of``."""
    cap = end + pd.Timedelta(days=HALT_LOOKAHEAD_DAYS)
    if as_of is not None:
        cap = min(cap, pd.Timestamp(as_of))
    held = [t for t in tickers if t in histories]
    if cap <= end or not held:
        return None
    mine = histories.select(held)
    halted = ~mine.last_row("traded") & np.array([mine.length(t) > 0 for t in held])
    suspended = [t for t, h in zip(held, halted, strict=True) if h]
    if not suspended:
        return None
    after = load_histories(provider, suspended, end + pd.Timedelta(days=1), cap, optional=suspended).rows
    trades = np.flatnonzero(after.traded)
    firsts = trades[np.r_[True, after.code[trades][1:] != after.code[trades][:-1]]] if len(trades) else trades
    return pd.Timestamp(after.date[firsts].max()) if len(firsts) else None


def prepare_inputs(
    study: Study, provider: PriceProvider, as_of: date | None = None, on_fetch: Callable[[str], None] | None = None
) -> StudyInputs:
    """Plan the study and load the prices it needs (up to ``as_of`` if given)."""
    plan = plan_study(study)
    end = min(plan.end, pd.Timestamp(as_of)) if as_of is not None else plan.end
    ranges = plan.ranges(study)
    tickers = list(ranges)  # firms first, then the benchmarks
    # An alternative benchmark (not some firm's own) is optional: without its prices only its sensitivity rows are
    # missing, and sensitivity.csv says why (eventstudy.study.sensitivity); every other ticker is required.
    optional = set(study.alternative_benchmarks) - {g.benchmark for g in plan.groups}
    first = load_histories(provider, tickers, plan.start, end, on_fetch, ranges, optional=optional)
    unavailable = {t: str(exc) for t, exc in first.failed.items()}
    parts, histories = [first], first
    groups = list(plan.groups)
    for k, group in enumerate(groups):  # a firm still suspended at the end of its range: read on to its next trade
        firms = list(dict.fromkeys(plan.firm_events[i].ticker for i in group.members))
        resumed = _resumption_end(provider, histories, firms, min(group.end, end), as_of)
        if resumed is None:
            continue
        groups[k] = dataclasses.replace(group, end=max(group.end, resumed))
        again = list(dict.fromkeys([*firms, group.benchmark]))
        for t in again:
            ranges[t] = (ranges[t][0], max(ranges[t][1], resumed))
        parts.append(load_histories(provider, again, plan.start, resumed, on_fetch, ranges))
        histories = combine(parts, list(first))
        end = max(end, resumed)
    provenance = {t: provider.provenance(t) for t in histories}
    if as_of is not None:
        provenance = {
            t: dataclasses.replace(p, as_of=min(p.as_of, as_of) if p.as_of else None) for t, p in provenance.items()
        }
    return StudyInputs(
        plan.day_zero,
        plan.firm_events,
        plan.markets,
        tuple(groups),
        plan.start,
        end,
        study=study,
        histories=histories,
        provenance=provenance,
        as_of=as_of,
        unavailable=unavailable,
    )


def on_calendar(ticker: str, group: MarketGroup) -> bool:
    """Whether an alternative benchmark belongs to ``group``'s calendar (its ticker suffix's exchange; an unknown
    suffix belongs to every calendar), as :meth:`StudyPlan.ranges` reads it."""
    try:
        return calendar_name(exchange_of_ticker(ticker)) == group.calendar
    except ConfigError:
        return True
