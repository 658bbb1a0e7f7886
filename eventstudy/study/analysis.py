"""One study, run end to end: spec + price provider → :class:`StudyResults` (tidy frames, ready to publish).

This module only sequences the stages — :mod:`eventstudy.study.plan` (day 0, market groups, the prices to load), returns,
engine, inference — and checks that the data can support the study; the definitions live in those modules. A study may mix exchanges: its
firm-events are grouped by (exchange calendar, benchmark), each group gets its own session axis, returns panel
and engine run, and the groups' results are combined by firm-event (:mod:`eventstudy.study.markets`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..data.calendar import sessions
from ..data.histories import stacked
from ..data.quality import quality_table
from ..data.returns import ReturnsPanel, returns_panel
from ..data.session_cells import flag_cells, flag_grid, limit_cells, limit_grid
from ..errors import DataError
from ..inference.significance import COLUMNS as TEST_COLUMNS
from ..inference.significance import pending_significance_table
from ..model.engine import AbnormalReturns, abnormal_returns
from ..model.full_collections import deferred_full_collections
from ..model.page_faults import kept_freed_memory, small_pages
from ..spec.config import Study
from ..spec.exchanges import same_sessions, ticker_exchange
from .confounders import ConfounderScreen, screen_confounders
from .coverage import BenchmarkGap, benchmark_gaps, day0_positions, estimation_span, resumption_reaches, ticker_columns
from .cross_section import cross_section_table
from .factor_data import group_model_options
from .markets import combine_abnormal
from .masking import Exclusion, describe_exclusion, estimation_exclusions, excluded_sessions, masked_columns
from .plan import StudyInputs, on_calendar
from .reaction import with_reaction
from .results import StudyResults
from .selection import select_tests
from .sensitivity import benchmark_sensitivity
from .tables import ar_table, car_table, concat_labelled, halts_table
from .unconfounded import confounder_sensitivity, confounder_tests, with_screen


def on_own_calendar(benchmark: str, calendar: str) -> bool:
    """Whether a benchmark trades on ``calendar``, as far as its ticker says (a suffix-less Yahoo index such as
    ``^N225``, named in an exchange mapping, is taken to be that market's)."""
    market = ticker_exchange(benchmark)
    return market is None or same_sessions(market, calendar)


def _check_coverage(study: Study, ab: AbnormalReturns, panel: ReturnsPanel, excluded: np.ndarray) -> None:
    """Every firm-event must have prices around day 0 and enough estimation returns (``excluded`` ones, whose
    benchmark lacks data, are reported as such instead); the first in order that has not is named."""
    if not len(ab.firm_events):
        return
    day0, cols = day0_positions(panel, ab.firm_events), ticker_columns(panel.covered, ab.firm_events)
    outside = ~panel.covered.to_numpy(dtype=bool)[day0, cols]
    bad = ~np.asarray(excluded, dtype=bool) & (outside | (np.asarray(ab.n_est) < study.min_estimation_returns))
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    fe = ab.firm_events[i]
    if outside[i]:
        covered = panel.covered[fe.ticker]
        first, last = covered[covered].index.min(), covered[covered].index.max()
        raise DataError(
            f"{fe.ticker}: event {fe.event_id} has day 0 {fe.day0.date()}, outside its data "
            f"({first.date() if pd.notna(first) else 'none'} .. {last.date() if pd.notna(last) else 'none'})"
        )
    n_masked = int(ab.masked[i].sum())
    masked = (
        f" ({n_masked} masked sessions left out, study.estimation_exclude: {describe_exclusion(study)})"
        if n_masked
        else ""
    )
    raise DataError(
        f"{fe.ticker}: event {fe.event_id}: {int(ab.n_est[i])} single-session returns in the estimation "
        f"window {list(study.estimation_window)}{masked}, fewer than min_estimation_returns="
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
    if not gaps:
        return np.zeros(len(ab.firm_events), dtype=bool)
    hit = {(g.event_id, g.ticker) for g in gaps}
    excluded = np.array([(fe.event_id, fe.ticker) in hit for fe in ab.firm_events], dtype=bool)
    if len(excluded) and excluded.all():
        names = ", ".join(f"{g.event_id}:{g.ticker}" for g in gaps)
        raise DataError(f"{gaps[0].describe()}, needed by every firm-event ({names}); nothing left to test")
    return excluded


def _in_study_order(
    frame: pd.DataFrame, order: pd.MultiIndex, windows: tuple[tuple[int, int], ...] | None = None
) -> pd.DataFrame:
    """Rows of per-group frames in the study's firm-event order (``order``: the study's (event_id, ticker) pairs;
    stable within a firm-event); with ``windows``, window by window first (the order of ``car.csv``)."""
    if frame.empty:
        return frame.reset_index(drop=True)
    rank = order.get_indexer(pd.MultiIndex.from_arrays([frame["event_id"], frame["ticker"]]))
    if windows is None:
        keys: tuple[np.ndarray, ...] = (rank,)
    else:
        slot = np.full(len(frame), -1, dtype=np.int64)
        starts, ends = frame["window_start"].to_numpy(), frame["window_end"].to_numpy()
        for k, (a, b) in enumerate(windows):
            slot[(starts == a) & (ends == b)] = k
        keys = (rank, slot)
    permutation = np.lexsort(keys)  # stable
    if (permutation == np.arange(len(frame))).all():  # already in order (one market group): no copy
        return frame.reset_index(drop=True)
    return frame.iloc[permutation].reset_index(drop=True)


def _quality_in_order(tables: list[pd.DataFrame], tickers: list[str]) -> pd.DataFrame:
    """The groups' data-quality rows, one per ticker, in the order the tickers were loaded."""
    table = pd.concat(tables, ignore_index=True).drop_duplicates("ticker")
    rank = {t: k for k, t in enumerate(tickers)}
    return table.iloc[np.argsort([rank.get(t, len(rank)) for t in table["ticker"]], kind="stable")].reset_index(
        drop=True
    )


def analyse(
    inputs: StudyInputs, *, tests: Sequence[str] | None = None, event_keys: Mapping[str, int] | None = None
) -> StudyResults:
    """Returns, estimation, abnormal returns and tests for prepared inputs, and the benchmark sensitivity of the
    headline (:mod:`eventstudy.study.sensitivity`, which re-runs this function under each alternative benchmark).

    ``tests``: only these tests, over the event windows (no daily path) — what a headline row needs; ``event_keys``:
    the seed key of each event's placebo draws (:func:`~eventstudy.inference.significance_table`; default: the
    event's position among the tested events), so that a re-run of some of the events draws as the full run did.
    """
    # the stages' arrays are allocated and freed by the hundred (model/page_faults.py); its per-firm-event objects
    # made by the hundred thousand, which no full garbage collection walks meanwhile (model/full_collections.py)
    with small_pages(), kept_freed_memory(), deferred_full_collections():
        return _analyse(inputs, tests=tests, event_keys=event_keys)


def _analyse(inputs: StudyInputs, *, tests: Sequence[str] | None, event_keys: Mapping[str, int] | None) -> StudyResults:
    study, firm_events = inputs.study, list(inputs.firm_events)
    _check_as_of(inputs)
    lo, hi = study.relative_span
    panels: dict[tuple[str, str], ReturnsPanel] = {}
    for group in inputs.groups:  # one session axis and returns panel per (calendar, benchmark)
        end = min(group.end, inputs.end)
        axis = sessions(group.calendar, group.start, end)
        alternatives = [t for t in study.alternative_benchmarks if t in inputs.histories and on_calendar(t, group)]
        indices = (group.benchmark, *alternatives)
        tickers = dict.fromkeys([*(firm_events[i].ticker for i in group.members), *indices])
        histories = stacked(inputs.histories).select(list(tickers)).clip(group.start.date(), end.date())
        foreign = {t for t in indices if not on_own_calendar(t, group.calendar)}
        panels[group.key] = returns_panel(histories, axis, benchmarks=indices, foreign=foreign)
    # A firm suspended on the last day the study reads (hi: past every window and the daily path) is followed to its
    # next trade, whose return overlaps the windows (overlap rule). Each firm-event holds returns up to its own
    # next trade (the engine's per-firm-event reach) where that gives every group the same relative days (always
    # with one group); otherwise every firm-event is read to the furthest next trade — the same numbers on more
    # days — so that the groups' results line up day by day.
    reaches = [resumption_reaches(panels[g.key], [firm_events[i] for i in g.members], hi) for g in inputs.groups]
    after = [np.unique(hi + r[r > 0]) for r in reaches]
    own_reach = all(np.array_equal(a, after[0]) for a in after)
    furthest = max(int(r.max(initial=0)) for r in reaches)
    exclusions = estimation_exclusions(
        study, firm_events, inputs.markets, inputs.mask_context
    )  # study.estimation_exclude
    masks = excluded_sessions(exclusions)
    parts: list[AbnormalReturns] = []
    gaps: list[BenchmarkGap] = []
    for group, reach in zip(inputs.groups, reaches, strict=True):
        panel = panels[group.key]
        mine = masks.of(group.members)  # the masked sessions of the group's firm-events
        ab = abnormal_returns(
            panel,
            group.benchmark,
            [firm_events[i] for i in group.members],
            study.model,
            study.estimation_window,
            (lo, hi) if own_reach else (lo, hi + furthest),
            **group_model_options(study, group.calendar, panel, [firm_events[i] for i in group.members]),
            exclude=mine if len(mine.owner) else None,
            reach=reach if own_reach else None,
        )
        gaps += benchmark_gaps(panel, ab.firm_events, group.benchmark, study.estimation_window, study.event_windows)
        parts.append(ab)
    ab = combine_abnormal(parts, [g.members for g in inputs.groups])
    excluded = _excluded(ab, gaps)
    for group, part in zip(inputs.groups, parts, strict=True):
        _check_coverage(study, part, panels[group.key], excluded[np.asarray(group.members, dtype=np.int64)])
    # The confounder screen (what else moved the price: eventstudy/study/confounders.py) decides which firm-events
    # the tests leave out only under exclude_confounded; otherwise it runs while the battery does.
    screen = screen_confounders(inputs, ab, exclusions) if study.confounders.exclude else None
    selection = select_tests(study, len(ab.firm_events))  # study.expensive_tests
    # The battery runs in a forked worker while this process builds the other tables (pending_significance_table).
    with pending_significance_table(
        ab,
        study.event_windows,
        daily_path=study.daily_path if tests is None else None,
        tests=selection.tests if tests is None else tests,
        event_keys=event_keys,
        excluded=excluded | (screen.dropped if screen is not None else False),
    ) as significance:
        if screen is None:
            screen = screen_confounders(inputs, ab, exclusions)
            assert not screen.dropped.any(), "without exclude_confounded the screen leaves no firm-event out"
        results = _tables(inputs, panels, parts, ab, excluded, gaps, exclusions, screen)
        results = with_reaction(results, inputs.histories) if tests is None else results  # volume, volatility
        other_choice = confounder_tests(inputs, results, screen, ab, excluded)  # unconfounded.py
        results = dataclasses.replace(results, tests=significance())
    table = cross_section_table(results)  # the optional cross_section: block (eventstudy/study/cross_section.py)
    extra: dict[str, object] = {} if table is None else {"cross_section": table}
    if tests is None:
        extra["json:tests_not_computed"] = list(selection.notes)
    # header only without alternatives; the part-runs leave out the main run's confounded firm-events
    extra["sensitivity"] = benchmark_sensitivity(with_screen(inputs, screen), results, _rerun)
    extra["confounders"] = screen.table
    extra["confounder_sensitivity"] = confounder_sensitivity(inputs, results, screen, ab, excluded, other_choice)
    return dataclasses.replace(results, extra={**results.extra, **extra})


def _tables(
    inputs: StudyInputs,
    panels: dict[tuple[str, str], ReturnsPanel],
    parts: Sequence[AbnormalReturns],
    ab: AbnormalReturns,
    excluded: np.ndarray,
    gaps: list[BenchmarkGap],
    exclusions: Sequence[Exclusion],
    screen: ConfounderScreen,
) -> StudyResults:
    """The study's results but the tests (left empty): estimates, CARs, ARs, halts and data quality, the groups'
    rows in study order."""
    study, firm_events = inputs.study, list(inputs.firm_events)
    n = len(firm_events)
    est_start, est_end, shortened = np.full(n, "", dtype=object), np.full(n, "", dtype=object), np.zeros(n, bool)
    n_masked, masked, masked_by = np.zeros(n, dtype=np.int64), np.full(n, "", object), np.full(n, "", object)
    cars, ar_frames, halt_frames, qualities = [], [], [], []
    limit_days: dict[tuple[str, str], pd.DataFrame] = {}
    for group, part in zip(inputs.groups, parts, strict=True):
        panel, members = panels[group.key], np.asarray(group.members, dtype=np.int64)
        est_start[members], est_end[members], shortened[members] = estimation_span(part, panel, group.benchmark)
        n_masked[members], masked[members], masked_by[members] = masked_columns(
            part, panel.sessions, [exclusions[i] for i in members]
        )
        held, columns = stacked(inputs.histories), list(panel.returns.columns)
        # the rows of every ticker as already stacked when the panel holds them all (no second copy of them)
        histories = held if len(held) == len(columns) and set(held) == set(columns) else held.select(columns)
        closes = limit_cells(histories, panel)
        limit_days[group.key] = closes.frame(panel)
        limits = limit_grid(closes, panel, part.firm_events, part.rel_days)
        flags = flag_grid(flag_cells(histories, panel), panel, part.firm_events, part.rel_days, group.benchmark)
        cars.append(car_table(part, panel, study.event_windows, gaps, limits, flags))
        ar_frames.append(ar_table(part, panel, study.daily_path, limits))
        halt_frames.append(halts_table(part, panel, study.price_chart))
        qualities.append(quality_table(histories, panel))
    order = pd.MultiIndex.from_arrays([[fe.event_id for fe in firm_events], [fe.ticker for fe in firm_events]])
    est = ab.estimates()
    est.insert(4, "est_start", est_start.tolist())
    est.insert(5, "est_end", est_end.tolist())
    est["shortened"] = shortened
    est["n_masked"], est["masked"], est["masked_by"] = n_masked, masked.tolist(), masked_by.tolist()  # masking.py
    car = screen.mark(_in_study_order(pd.concat(cars, ignore_index=True), order, study.event_windows), firm_events)
    as_of_dates = [p.as_of for p in inputs.provenance.values() if p.as_of is not None]
    return StudyResults(
        study=study,
        day_zero=inputs.day_zero,
        panels=panels,
        markets=inputs.markets,
        abnormal=ab,
        estimates=est,
        car=car,
        ar=_in_study_order(concat_labelled(ar_frames), order),
        tests=pd.DataFrame(columns=TEST_COLUMNS),  # the caller's, once the battery is done
        provenance=inputs.provenance,
        source=", ".join(sorted({p.source for p in inputs.provenance.values()})),
        as_of=min(as_of_dates) if as_of_dates else None,
        halts=_in_study_order(pd.concat(halt_frames, ignore_index=True), order),
        benchmark_gaps=tuple(gaps),
        quality=_quality_in_order(qualities, list(inputs.provenance)),
        limits=limit_days,
    )


_rerun = analyse  # what the sensitivity runs call: this function itself, whatever later rebinds the module's name
