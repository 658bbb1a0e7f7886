"""Benchmark sensitivity (``sensitivity.csv``): the headline of each event under each alternative benchmark.

What is re-estimated. For an alternative benchmark ``B`` of the study (``alternative_benchmarks:``) and an exchange
calendar ``C`` on which ``B`` trades (its ticker's exchange, as :func:`eventstudy.study.plan.on_calendar` reads it:
Shenzhen and Shanghai share one calendar, NYSE and Nasdaq another), every firm-event whose firm trades on ``C`` is
measured against ``B`` instead of its own benchmark. The study is run again (:func:`eventstudy.study.analysis.analyse`,
the same code as the main run) on a copy of the study file in which those firms carry ``benchmark: B`` and the
other firms are left out: the normal-return model is re-estimated on ``B`` — under the market model each firm's α
and β are refitted by OLS of its returns on ``B``'s over the same estimation window, from the same single-session
returns — and the abnormal returns, CARs and the primary test follow from the refitted model. Day 0, the windows,
the trade-to-trade returns of the firms, ``min_estimation_returns`` and the benchmark-gap rule are the study's.
Only the primary test is computed in these runs, over the event windows (no daily path).

Columns, per event with firms on ``C`` and per event window ``W``, the main benchmark's row first, then one row per
alternative in the order of ``alternative_benchmarks``:

* ``event_id``; ``exchange`` — the exchanges of the event's firms on ``C`` (as ``summary.csv`` names them);
  ``calendar`` — ``C`` (an ``exchange_calendars`` name, e.g. ``XSHG``, ``XNYS``); ``benchmark`` — the index the
  row's abnormal returns are measured against; ``role`` — ``main`` (the firms' own benchmark(s), as in
  ``summary.csv``) or ``alternative``.
* ``window_start``, ``window_end``, ``n_firms``, ``caar``, ``test``, ``statistic``, ``p_value`` — the columns of the
  same name of ``summary.csv``, computed by the same function (:func:`eventstudy.study.summary.summary_frame`) for
  the event's firms on ``C``: ``CAAR = (1/N) Σ_i CAR_i`` over the ``N = n_firms`` firms with a return in ``W``,
  and the study's ``primary_test``. When every firm of the event trades on ``C`` (the usual case) the main row *is*
  summary.csv's row; for an event spanning calendars it is recomputed for its firms on ``C`` only, so that the
  main and alternative rows are over the same firms.
* ``caar_diff`` — ``caar − caar(main)`` of the same event and window (0 on the main row): how much of the CAAR the
  choice of benchmark moves.
* ``note`` — why a figure is missing or rests on less than asked: the alternative's prices are not in the source,
  a firm-event left out because ``B`` lacks sessions it needs (a benchmark gap), too few estimation returns against
  ``B``, and every caveat of summary.csv's ``note`` (halts, incomplete windows, limit closes).

No Holm column: the rows are one family per benchmark, and the headline's adjustment is summary.csv's. A study
without alternatives (or without one on any firm's calendar) has no rows; the file still has its header.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..data.histories import stacked
from ..errors import DataError
from .plan import StudyInputs, on_calendar, plan_study
from .summary import study_summary

if TYPE_CHECKING:
    from .results import StudyResults

COLUMNS = [
    "event_id", "exchange", "calendar", "benchmark", "role", "window_start", "window_end", "n_firms", "caar",
    "caar_diff", "test", "statistic", "p_value", "note",
]  # fmt: skip

MAIN, ALTERNATIVE = "main", "alternative"
_LEFT_OUT = "left out (data problem, see car.csv note)"  # summary_frame's words for a firm-event without a CAR

#: ``analyse(inputs, tests=..., event_keys=...)`` (:func:`eventstudy.study.analysis.analyse`), passed in by its caller.
Analyse = Callable[..., "StudyResults"]


def empty_frame() -> pd.DataFrame:
    """``sensitivity.csv`` without rows (a study without alternatives)."""
    return _typed(pd.DataFrame(columns=COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(
        {"window_start": int, "window_end": int, "n_firms": "Int64", "caar": float, "caar_diff": float,
         "statistic": float, "p_value": float}
    )  # fmt: skip


def _event_keys(results: StudyResults) -> dict[str, int]:
    """Each event's placebo seed key in the main run (its position among the tested events), then the others."""
    gaps = {(g.event_id, g.ticker) for g in results.benchmark_gaps}
    tested = [fe.event_id for fe in results.abnormal.firm_events if (fe.event_id, fe.ticker) not in gaps]
    order = dict.fromkeys([*tested, *(ev.id for ev in results.study.events)])
    return {e: k for k, e in enumerate(order)}


def sub_inputs(inputs: StudyInputs, positions: Sequence[int], benchmark: str | None) -> StudyInputs:
    """The inputs of a run over the firm-events at ``positions`` only (of ``inputs.firm_events``), each measured
    against ``benchmark`` (None: its own): the study with those firms alone, ``benchmark:`` set on each of them and
    no alternatives, claims or cross-section; the prices already loaded; each market group read as far as the main
    run read its firms (a halt followed past the planned range)."""
    study = inputs.study
    chosen = {(inputs.firm_events[i].event_id, inputs.firm_events[i].ticker) for i in positions}
    events = []
    for ev in study.events:
        firms = tuple(
            f if benchmark is None else dataclasses.replace(f, benchmark=benchmark)
            for f in ev.firms
            if (ev.id, f.ticker) in chosen
        )
        if firms:
            events.append(dataclasses.replace(ev, firms=firms))
    sub = dataclasses.replace(study, events=tuple(events), alternative_benchmarks=(), extra={})
    plan = plan_study(sub)
    read_to = {
        (inputs.firm_events[i].event_id, inputs.firm_events[i].ticker): g.end for g in inputs.groups for i in g.members
    }
    groups = tuple(
        dataclasses.replace(
            g, end=max(g.end, *(read_to[(plan.firm_events[i].event_id, plan.firm_events[i].ticker)] for i in g.members))
        )
        for g in plan.groups
    )
    tickers = [t for t in sub.tickers if t in inputs.histories]
    return StudyInputs(
        plan.day_zero, plan.firm_events, plan.markets, groups, plan.start, inputs.end, study=sub,
        histories=stacked(inputs.histories).select(tickers), provenance={t: inputs.provenance[t] for t in tickers},
        as_of=inputs.as_of, mask_context=inputs.mask_context or (inputs.firm_events, inputs.markets),
        confounders=inputs.confounders,
    )  # fmt: skip


def _notes(frame: pd.DataFrame, results: StudyResults) -> list[str]:
    """summary_frame's note of each row, its "left out" clause replaced by the benchmark gap behind it (the gaps of
    a sensitivity run are in no car.csv)."""
    gaps: dict[str, list[str]] = {}
    for g in results.benchmark_gaps:
        gaps.setdefault(g.event_id, []).append(f"{g.ticker} left out: {g.describe()}")
    out = []
    for event_id, note in zip(frame["event_id"], frame["note"], strict=True):
        parts = [p for p in str(note).split("; ") if p and not p.startswith(_LEFT_OUT)]
        left_out = any(p.startswith(_LEFT_OUT) for p in str(note).split("; "))
        out.append("; ".join([*(gaps.get(event_id, []) if left_out else []), *parts]))
    return out


Headline = dict[tuple[int, int], dict[str, Any]]  # an event's summary rows by window, as records


def _by_event(frame: pd.DataFrame, events: Sequence[str]) -> dict[str, Headline]:
    """summary_frame's rows of each of ``events``, by window (one pass over the frame)."""
    out: dict[str, Headline] = {e: {} for e in events}
    for r in frame.to_dict(orient="records"):
        if r["event_id"] in out:
            out[r["event_id"]].setdefault((int(r["window_start"]), int(r["window_end"])), r)
    return out


def _headline(
    inputs: StudyInputs, positions: Sequence[int], benchmark: str | None, analyse: Analyse, keys: Mapping[str, int]
) -> pd.DataFrame | str:
    """summary_frame's rows for the firm-events at ``positions`` against ``benchmark`` (see :func:`sub_inputs`), or
    why there are none (the data cannot support the run)."""
    sub = sub_inputs(inputs, positions, benchmark)
    try:
        results = analyse(sub, tests=(inputs.study.primary_test,), event_keys=keys)
    except DataError as exc:
        return str(exc)
    frame = study_summary(results)
    frame["note"] = _notes(frame, results)
    return frame


def _rows_of(
    inputs: StudyInputs,
    positions: list[int],
    benchmark: str | None,
    analyse: Analyse,
    keys: Mapping[str, int],
) -> dict[str, Headline | str]:
    """Per event, its headline rows against ``benchmark`` or why there are none: one run over all the events, and
    when the data fail it, one run per event (so that one event's problem does not blank the others)."""
    events = list(dict.fromkeys(inputs.firm_events[i].event_id for i in positions))
    if benchmark is not None and benchmark not in inputs.histories:
        why = inputs.unavailable.get(benchmark, "no prices loaded")
        return dict.fromkeys(events, f"benchmark {benchmark}: no prices ({why})")
    got = _headline(inputs, positions, benchmark, analyse, keys)
    if isinstance(got, pd.DataFrame):
        return dict(_by_event(got, events))
    if len(events) == 1:
        return {events[0]: got}
    out: dict[str, Headline | str] = {}
    for e in events:  # the data failed the run over all the events: one run per event
        one = _headline(inputs, [i for i in positions if inputs.firm_events[i].event_id == e], benchmark, analyse, keys)
        out[e] = _by_event(one, [e])[e] if isinstance(one, pd.DataFrame) else one
    return out


def _row(
    event_id: str, window: tuple[int, int], calendar: str, benchmark: str, role: str, got: Headline | str, test: str
) -> dict[str, Any]:
    """One sensitivity row from a headline run's rows (or from why there are none)."""
    if not isinstance(got, str):
        r = got.get((int(window[0]), int(window[1])))
        if r is not None:
            return {
                "event_id": event_id, "exchange": r["exchange"], "calendar": calendar, "benchmark": r["benchmark"],
                "role": role, "window_start": window[0], "window_end": window[1], "n_firms": int(r["n_firms"]),
                "caar": float(r["caar"]), "test": r["test"], "statistic": float(r["statistic"]),
                "p_value": float(r["p_value"]), "note": r["note"],
            }  # fmt: skip
        got = "no CAR in this window"
    return {
        "event_id": event_id, "exchange": "", "calendar": calendar, "benchmark": benchmark, "role": role,
        "window_start": window[0], "window_end": window[1], "n_firms": pd.NA, "caar": np.nan, "test": test,
        "statistic": np.nan, "p_value": np.nan, "note": got,
    }  # fmt: skip


def benchmark_sensitivity(inputs: StudyInputs, results: StudyResults, analyse: Analyse) -> pd.DataFrame:
    """``sensitivity.csv`` of a run (see the module docstring): ``results`` is the main run of ``inputs``;
    ``analyse`` is :func:`eventstudy.study.analysis.analyse`."""
    study = inputs.study
    if not study.alternative_benchmarks:
        return empty_frame()
    keys = _event_keys(results)
    summary = study_summary(results)
    group_of = {i: g for g in inputs.groups for i in g.members}
    on: dict[str, list[int]] = {}  # calendar → positions of its firm-events
    for i, m in enumerate(inputs.markets):
        on.setdefault(m.calendar, []).append(i)
    calendar_of = {i: m.calendar for i, m in enumerate(inputs.markets)}
    rows = []
    for calendar, positions in on.items():
        alternatives = [t for t in study.alternative_benchmarks if on_calendar(t, group_of[positions[0]])]
        if not alternatives:
            continue
        events = list(dict.fromkeys(inputs.firm_events[i].event_id for i in positions))
        mixed = {  # events with firms on another calendar too: their main rows are recomputed over the firms on C
            inputs.firm_events[i].event_id for i, c in calendar_of.items() if c != calendar
        } & set(events)
        main: dict[str, Headline | str] = dict(_by_event(summary, [e for e in events if e not in mixed]))
        if mixed:
            subset = [i for i in positions if inputs.firm_events[i].event_id in mixed]
            main.update(_rows_of(inputs, subset, None, analyse, keys))
        alternative = {b: _rows_of(inputs, positions, b, analyse, keys) for b in alternatives}
        own = {  # per event, its firms' own benchmarks on C (the main row's, when it has no figure)
            e: "; ".join(
                dict.fromkeys(inputs.markets[i].benchmark for i in positions if inputs.firm_events[i].event_id == e)
            )
            for e in events
        }
        for ev in study.events:
            if ev.id not in main:
                continue
            for window in study.event_windows:
                first = _row(ev.id, window, calendar, own[ev.id], MAIN, main[ev.id], study.primary_test)
                first["caar_diff"] = first["caar"] - first["caar"]
                rows.append(first)
                for b in alternatives:
                    row = _row(ev.id, window, calendar, b, ALTERNATIVE, alternative[b][ev.id], study.primary_test)
                    row["caar_diff"] = row["caar"] - first["caar"]
                    rows.append(row)
    return _typed(pd.DataFrame(rows, columns=COLUMNS)) if rows else empty_frame()


def study_sensitivity(results: StudyResults) -> pd.DataFrame:
    """The sensitivity rows of a run (``results.extra["sensitivity"]``, set by ``analyse``); header only when the run
    has none (results built by hand)."""
    frame = results.extra.get("sensitivity")
    return frame if isinstance(frame, pd.DataFrame) else empty_frame()


def sensitivity_warnings(frame: pd.DataFrame) -> list[str]:
    """One console line per alternative benchmark with rows that have no CAAR: how many, and the first reason."""
    missing = frame[(frame["role"] == ALTERNATIVE) & frame["caar"].isna()]
    return [
        f"sensitivity.csv: no CAAR against {b} in {len(rows)} of {int((frame['benchmark'] == b).sum())} rows "
        f"({rows['note'].iloc[0]})"
        for b, rows in missing.groupby("benchmark", sort=False)
    ]
