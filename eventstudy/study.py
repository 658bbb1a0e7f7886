"""One study, run end to end: spec + price provider → :class:`StudyResults` (tidy frames, ready to publish).

This module only sequences the stages — calendar (day 0), data, returns, engine, inference — and checks
that the data can support the study; the definitions live in those modules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from . import __version__
from .calendar import DayZero, calendar_name, day_zero, sessions
from .config import Study
from .coverage import BenchmarkGap, benchmark_gaps, completeness_columns, estimation_span, resumption_reach
from .cross_section import cross_section_table
from .data.base import PriceProvider, Provenance, validate_history
from .engine import AbnormalReturns, FirmEvent, abnormal_returns, without
from .errors import ConfigError, DataError
from .factors import model_options
from .inference import significance_table
from .quality import limit_frame, limit_grid, quality_table
from .returns import ReturnsPanel, returns_panel

SESSION_MARGIN = 10  # extra sessions fetched on each side of what the windows need


@dataclass(frozen=True)
class StudyResults:
    """What a run produced; the frames have the columns of the published CSV files."""

    study: Study
    day_zero: dict[tuple[str, str], DayZero]  # (event_id, exchange) → mapping
    panel: ReturnsPanel
    abnormal: AbnormalReturns
    estimates: pd.DataFrame
    car: pd.DataFrame
    ar: pd.DataFrame
    tests: pd.DataFrame
    provenance: dict[str, Provenance]
    source: str
    as_of: date | None
    halts: pd.DataFrame  # event_id, ticker, first, last, sessions, resumed, span
    benchmark_gaps: tuple[BenchmarkGap, ...] = ()  # firm-events left out because the benchmark lacks sessions
    quality: pd.DataFrame | None = None  # per-ticker data quality (eventstudy.quality.COLUMNS)
    limits: pd.DataFrame | None = None  # sessions × tickers: "up"/"down" closes at the daily price limit, else ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return __version__


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
) -> dict[str, pd.DataFrame]:
    """Histories of ``tickers`` between ``start`` and ``end``; a ticker with no rows there is an error."""
    out = {}
    for ticker in tickers:
        if on_fetch is not None:
            on_fetch(ticker)
        frame = validate_history(provider.history(ticker, start.date(), end.date()), f"{ticker} ({provider.name})")
        if frame.empty:
            raise DataError(f"{ticker}: no prices between {start.date()} and {end.date()} from {provider.name}")
        out[ticker] = frame
    return out


def _check_coverage(study: Study, ab: AbnormalReturns, panel: ReturnsPanel, excluded: np.ndarray) -> None:
    """Every firm-event must have prices around day 0 and enough estimation returns (``excluded`` ones, whose
    benchmark lacks data, are reported as such instead)."""
    for i, fe in enumerate(ab.firm_events):
        if excluded[i]:
            continue
        covered = panel.covered[fe.ticker]
        if not covered.loc[fe.day0]:
            first, last = covered[covered].index.min(), covered[covered].index.max()
            raise DataError(
                f"{fe.ticker}: event {fe.event_id} has day 0 {fe.day0.date()}, outside its data "
                f"({first.date() if pd.notna(first) else 'none'} .. {last.date() if pd.notna(last) else 'none'})"
            )
        if ab.n_est[i] < study.min_estimation_returns:
            raise DataError(
                f"{fe.ticker}: event {fe.event_id}: {int(ab.n_est[i])} single-session returns in the estimation "
                f"window {list(study.estimation_window)}, fewer than min_estimation_returns="
                f"{study.min_estimation_returns}"
            )


def _check_as_of(inputs: StudyInputs) -> None:
    """An event whose day 0 falls after the ``--as-of`` cut-off has no data yet: say so (not "not a session")."""
    if inputs.as_of is None:
        return
    for fe in inputs.firm_events:
        if fe.day0.date() > inputs.as_of:
            raise DataError(
                f"event {fe.event_id}: day 0 {fe.day0.date()} falls after the as-of date {inputs.as_of}; "
                "no session of its windows is in the data"
            )


def _excluded(ab: AbnormalReturns, gaps: list[BenchmarkGap]) -> np.ndarray:
    """Firm-events left out because the benchmark lacks sessions they need; an error when none remains."""
    hit = {(g.event_id, g.ticker) for g in gaps}
    excluded = np.array([(fe.event_id, fe.ticker) in hit for fe in ab.firm_events], dtype=bool)
    if len(excluded) and excluded.all():
        names = ", ".join(f"{g.event_id}:{g.ticker}" for g in gaps)
        raise DataError(f"{gaps[0].describe()}, needed by every firm-event ({names}); nothing left to test")
    return excluded


def car_table(
    ab: AbnormalReturns,
    panel: ReturnsPanel,
    windows: tuple[tuple[int, int], ...],
    gaps: list[BenchmarkGap],
    limits: np.ndarray,
) -> pd.DataFrame:
    """``car.csv``: per firm-event and window the CAR over the returns overlapping the window, ``complete``, the
    closes at the daily price limit among those returns (``limit_up``, ``limit_down``; ``limits`` is the
    :func:`~eventstudy.quality.limit_grid`) and a ``note`` saying why a figure is missing or partial (benchmark
    gap, data ending inside the window)."""
    car = pd.concat([ab.car(w) for w in windows], ignore_index=True)
    complete, notes = completeness_columns(panel, ab, windows)
    car["complete"] = complete
    counted = [ab.overlap(w) & np.isfinite(ab.ar) for w in windows]
    car["limit_up"] = np.concatenate([(c & (limits == "up")).sum(axis=1) for c in counted])
    car["limit_down"] = np.concatenate([(c & (limits == "down")).sum(axis=1) for c in counted])
    car["note"] = notes
    for gap in gaps:
        rows = (car["event_id"] == gap.event_id) & (car["ticker"] == gap.ticker)
        car.loc[rows, ["car", "car_se", "car_t", "car_p", "bhar"]] = np.nan
        car.loc[rows, "note"] = gap.describe()
    return car


def halts_table(ab: AbnormalReturns, panel: ReturnsPanel, window: tuple[int, int]) -> pd.DataFrame:
    """Suspensions (runs of covered, non-traded sessions) of each firm-event within ``window``."""
    rows = []
    for fe in ab.firm_events:
        day0 = panel.position(fe.day0)
        lo, hi = max(day0 + window[0], 0), min(day0 + window[1], len(panel.sessions) - 1)
        traded = panel.traded[fe.ticker].to_numpy()
        # A suspension is a row that says no trade; a session without a row is "no data", not a suspension.
        covered = (panel.present if panel.present is not None else panel.covered)[fe.ticker].to_numpy()
        pos = lo
        while pos <= hi:
            if covered[pos] and not traded[pos]:
                start = pos
                while pos + 1 < len(traded) and covered[pos + 1] and not traded[pos + 1]:
                    pos += 1
                resumed = pos + 1 if pos + 1 < len(traded) and traded[pos + 1] else None
                rows.append(
                    {
                        "event_id": fe.event_id,
                        "ticker": fe.ticker,
                        "first": panel.sessions[start].date(),
                        "last": panel.sessions[pos].date(),
                        "first_rel": start - day0,
                        "last_rel": pos - day0,
                        "sessions": pos - start + 1,
                        "resumed": panel.sessions[resumed].date() if resumed is not None else None,
                        "span": int(panel.span[fe.ticker].iloc[resumed]) if resumed is not None else None,
                    }
                )
            pos += 1
    return pd.DataFrame(
        rows, columns=["event_id", "ticker", "first", "last", "first_rel", "last_rel", "sessions", "resumed", "span"]
    )


def _ar_frame(ab: AbnormalReturns, panel: ReturnsPanel, path: tuple[int, int], limits: np.ndarray) -> pd.DataFrame:
    days = ab.days(path)
    rel = ab.rel_days[days]
    frames = []
    for i, fe in enumerate(ab.firm_events):
        pos = panel.position(fe.day0) + rel
        inside = (pos >= 0) & (pos < len(panel.sessions))
        dates = [panel.sessions[p].date().isoformat() if ok else "" for p, ok in zip(pos, inside, strict=True)]
        traded = np.where(inside, panel.traded[fe.ticker].to_numpy()[np.clip(pos, 0, len(panel.sessions) - 1)], False)
        frames.append(
            pd.DataFrame(
                {
                    "event_id": fe.event_id,
                    "ticker": fe.ticker,
                    "rel_day": rel,
                    "date": dates,
                    "ar": ab.ar[i, days],
                    "traded": traded.astype(int),
                    "limit": limits[i, days],
                }
            )  # fmt: skip
        )
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class StudyInputs:
    """Everything a study's numbers depend on: the spec, day 0 of each firm-event, and the prices."""

    study: Study
    day_zero: dict[tuple[str, str], DayZero]
    firm_events: tuple[FirmEvent, ...]
    mic: str
    start: pd.Timestamp
    end: pd.Timestamp
    histories: dict[str, pd.DataFrame]
    provenance: dict[str, Provenance]
    as_of: date | None = None  # a cut-off: only sessions up to this date were used


@dataclass(frozen=True)
class StudyPlan:
    """Day 0 of every firm-event, the session calendar, and the range of sessions the study reads."""

    day_zero: dict[tuple[str, str], DayZero]
    firm_events: tuple[FirmEvent, ...]
    mic: str
    start: pd.Timestamp
    end: pd.Timestamp


def plan_study(study: Study) -> StudyPlan:
    """Map every event to day 0 on its firms' exchange and work out the sessions the windows need."""
    mappings: dict[tuple[str, str], DayZero] = {}
    firm_events: list[FirmEvent] = []
    for ev in study.events:
        for firm in ev.firms:
            key = (ev.id, firm.exchange)
            if key not in mappings:
                mappings[key] = day_zero(ev.announced, firm.exchange)
            firm_events.append(FirmEvent(ev.id, firm.ticker, firm.name, mappings[key].session))
    exchanges = {firm.exchange for ev in study.events for firm in ev.firms}
    calendars = {calendar_name(x) for x in exchanges}
    if len(calendars) > 1:
        raise ConfigError(
            f"{study.path}: firms trade on several calendars ({', '.join(sorted(calendars))}); "
            "relative days need one session axis, so split the study by exchange calendar"
        )
    mic = sorted(exchanges)[0]
    start, end = _fetch_range(study, [fe.day0 for fe in firm_events], mic)
    return StudyPlan(mappings, tuple(firm_events), mic, start, end)


HALT_LOOKAHEAD_DAYS = 366  # how far past the planned range a firm suspended at its end is followed


def _resumption_end(
    provider: PriceProvider, histories: dict[str, pd.DataFrame], study: Study, end: pd.Timestamp, as_of: date | None
) -> pd.Timestamp | None:
    """The date of the latest first trade after ``end`` of the firms whose last row up to ``end`` is a suspension
    (None when no firm is suspended there). A window counts the return that ends a halt (the overlap rule), so a
    halt running past the planned range is followed to its end — up to ``HALT_LOOKAHEAD_DAYS`` and ``as_of``."""
    cap = end + pd.Timedelta(days=HALT_LOOKAHEAD_DAYS)
    if as_of is not None:
        cap = min(cap, pd.Timestamp(as_of))
    latest = None
    for ticker in dict.fromkeys(f.ticker for ev in study.events for f in ev.firms):
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
    tickers = list(study.tickers)  # firms first, then the benchmarks
    histories = load_histories(provider, tickers, plan.start, end, on_fetch)
    resumed = _resumption_end(provider, histories, study, end, as_of)
    if resumed is not None:  # a firm still suspended at the end of the range: read on to its next trade
        end = resumed
        histories = load_histories(provider, tickers, plan.start, end, on_fetch)
    provenance = {t: provider.provenance(t) for t in histories}
    if as_of is not None:
        provenance = {
            t: dataclasses.replace(p, as_of=min(p.as_of, as_of) if p.as_of else None) for t, p in provenance.items()
        }
    return StudyInputs(study, plan.day_zero, plan.firm_events, plan.mic, plan.start, end, histories, provenance, as_of)


def analyse(inputs: StudyInputs) -> StudyResults:
    """Returns, estimation, abnormal returns and tests for prepared inputs."""
    study, firm_events = inputs.study, list(inputs.firm_events)
    _check_as_of(inputs)
    benchmarks = (study.benchmark, *study.alternative_benchmarks)
    axis = sessions(inputs.mic, inputs.start, inputs.end)
    panel = returns_panel(inputs.histories, axis, benchmarks=benchmarks)
    lo, hi = study.relative_span
    last_window_day = max(w[1] for w in study.event_windows)
    # The engine's relative days reach the return that ends a halt running past the last window (overlap rule).
    reach = last_window_day + resumption_reach(panel, firm_events, last_window_day)
    ab = abnormal_returns(
        panel,
        study.benchmark,
        firm_events,
        study.model,
        study.estimation_window,
        (lo, max(hi, study.daily_path[1], reach)),
        **model_options(study),
    )
    gaps = benchmark_gaps(panel, firm_events, study.benchmark, study.estimation_window, study.event_windows)
    excluded = _excluded(ab, gaps)
    _check_coverage(study, ab, panel, excluded)
    tested = without(ab, excluded)

    est = ab.estimates()
    est_start, est_end, shortened = estimation_span(ab, panel, study.benchmark)
    est.insert(4, "est_start", est_start)
    est.insert(5, "est_end", est_end)
    est["shortened"] = shortened
    limit_days = limit_frame(inputs.histories, panel)
    limits = limit_grid(limit_days, panel, ab.firm_events, ab.rel_days)
    car = car_table(ab, panel, study.event_windows, gaps, limits)
    as_of_dates = [p.as_of for p in inputs.provenance.values() if p.as_of is not None]
    results = StudyResults(
        study=study,
        day_zero=inputs.day_zero,
        panel=panel,
        abnormal=ab,
        estimates=est,
        car=car,
        ar=_ar_frame(ab, panel, study.daily_path, limits),
        tests=significance_table(tested, study.event_windows, daily_path=study.daily_path),
        provenance=inputs.provenance,
        source=", ".join(sorted({p.source for p in inputs.provenance.values()})),
        as_of=min(as_of_dates) if as_of_dates else None,
        halts=halts_table(ab, panel, study.price_chart),
        benchmark_gaps=tuple(gaps),
        quality=quality_table(inputs.histories, panel),
        limits=limit_days,
    )
    table = cross_section_table(results)  # the optional cross_section: block (eventstudy/cross_section.py)
    return results if table is None else dataclasses.replace(results, extra={**results.extra, "cross_section": table})


def run_study(study: Study, provider: PriceProvider, as_of: date | None = None) -> StudyResults:
    """Run every event of ``study`` on prices from ``provider`` (only sessions up to ``as_of`` if given)."""
    return analyse(prepare_inputs(study, provider, as_of))
