"""What a study needs before any number is computed: day 0 of every firm-event on its own exchange, the market
groups (calendar, benchmark) and the sessions each reads (:func:`plan_study`), and the prices loaded for them
(:func:`prepare_inputs`: a firm still suspended at the end of its range is followed to its next trade).
:mod:`eventstudy.study.analysis` turns the resulting :class:`StudyInputs` into numbers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from ..data.base import PriceProvider, Provenance, validate_history
from ..data.calendar import DayZero, day_zero, sessions
from ..errors import ConfigError, DataError
from ..model.engine import HALT_LOOKAHEAD_DAYS, FirmEvent
from ..spec.config import Study
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
) -> dict[str, pd.DataFrame]:
    """Histories of ``tickers`` between ``start`` and ``end`` (or the ticker's own ``ranges`` entry, capped at
    ``end``); a ticker with no rows there is an error."""
    out = {}
    for ticker in tickers:
        if on_fetch is not None:
            on_fetch(ticker)
        lo, hi = ranges.get(ticker, (start, end)) if ranges else (start, end)
        start_t, end_t = lo, min(hi, end)
        frame = validate_history(provider.history(ticker, start_t.date(), end_t.date()), f"{ticker} ({provider.name})")
        if frame.empty:
            raise DataError(f"{ticker}: no prices between {start_t.date()} and {end_t.date()} from {provider.name}")
        out[ticker] = frame
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
            for i in g.members:
                widen(self.firm_events[i].ticker, g.start, g.end)
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
    histories: dict[str, pd.DataFrame]
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
    for i, ev in enumerate(study.events):
        for firm in ev.firms:
            key = (ev.id, firm.exchange)
            if key not in mappings:
                try:
                    mappings[key] = day_zero(ev.announced, firm.exchange, ev.day0_rule)
                except ConfigError as exc:
                    raise ConfigError(f"{study.path}: events[{i}].announced: {exc}") from None
            firm_events.append(FirmEvent(ev.id, firm.ticker, firm.name, mappings[key].session))
            markets.append(firm_market(firm.exchange, study.benchmark_of(firm), firm.exchange_label))
    groups = []
    for (calendar, benchmark), members in group_members(markets).items():
        start, end = _fetch_range(study, [firm_events[i].day0 for i in members], calendar)
        groups.append(MarketGroup(calendar, benchmark, members, start, end))
    start, end = min(g.start for g in groups), max(g.end for g in groups)
    return StudyPlan(mappings, tuple(firm_events), tuple(markets), tuple(groups), start, end)


def _resumption_end(
    provider: PriceProvider,
    histories: dict[str, pd.DataFrame],
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
    latest = None
    for ticker in tickers:
        history = histories.get(ticker)
        if history is None or history.empty or bool(history["traded"].iloc[-1]) or cap <= end:
            continue
        try:
            later = provider.history(ticker, (end + pd.Timedelta(days=1)).date(), cap.date())
        except DataError:
            continue
        trades = later.index[later["traded"].to_numpy(dtype=bool)]
        if len(trades):
            latest = trades[0] if latest is None else max(latest, trades[0])
    return latest


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
    histories: dict[str, pd.DataFrame] = {}
    unavailable: dict[str, str] = {}
    for ticker in tickers:
        try:
            histories.update(load_histories(provider, [ticker], plan.start, end, on_fetch, ranges))
        except DataError as exc:
            if ticker not in optional:
                raise
            unavailable[ticker] = str(exc)
    groups = list(plan.groups)
    for k, group in enumerate(groups):  # a firm still suspended at the end of its range: read on to its next trade
        firms = list(dict.fromkeys(plan.firm_events[i].ticker for i in group.members))
        resumed = _resumption_end(provider, histories, firms, min(group.end, end), as_of)
        if resumed is None:
            continue
        groups[k] = dataclasses.replace(group, end=max(group.end, resumed))
        for t in dict.fromkeys([*firms, group.benchmark]):
            ranges[t] = (ranges[t][0], max(ranges[t][1], resumed))
            histories.update(load_histories(provider, [t], plan.start, resumed, on_fetch, ranges))
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
