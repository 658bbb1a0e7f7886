"""The HTML report: the figures of :mod:`eventstudy.report.figures` and one Jinja2 template, rendered into a single
offline file.

plotly.js is the vendored partial bundle (:mod:`eventstudy.report.bundle`), inlined once (no CDN); every figure
gets a stable ``div`` id so identical inputs give identical bytes. The template is autoescaped: every text from the
study file or the documents is escaped. Emphasis has one meaning in every table: bold is a p-value below
:data:`~eventstudy.study.summary.ALPHA` after Holm's adjustment within the table's family, which the table names.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from ..claims import claims_figures
from ..inference import CLUSTERING_ROBUST, TEST_FORMULAS, TEST_REFERENCES, TESTS
from ..inference.measured import nearest_design, robustness_label, size_range
from ..study.results import StudyResults
from ..study.sensitivity import ALTERNATIVE, MAIN, study_sensitivity
from ..study.summary import ALPHA, daily_holm, holm, study_summary
from .bundle import plotly_loader
from .confounders import confounder_view
from .figures import (
    EXTREMES,
    SMALL_MULTIPLES,
    ar_figure,
    caar_figure,
    car_histogram,
    firm_car_figure,
    panels_height,
    price_panels,
    price_rows,
)  # fmt: skip
from .firms import MARKS, MATRIX_ROWS, FirmMatrix, extreme_rows, firm_matrices
from .paths import event_paths
from .per_event import EventRows, in_windows
from .reaction import reaction_views
from .style import figure_div, number_text

DETAILED_EVENTS = 20
"""Events with a section of their own (day 0, charts, per-firm tables) in the report, in the study's order. A study
with more events lists every one in the headline table and in the CSVs; its report stays a readable size (a
section with four charts per event made a 500-event report 96 MB and took 77 s to write)."""


@dataclass(frozen=True)
class EventView:
    """Everything the template shows for one event."""

    event: Any
    day_zero: list[Any]
    figures: dict[str, str]
    estimates: list[dict[str, Any]]
    matrix: FirmMatrix
    window_tests: dict[str, Any]  # tests × event windows (see _window_tests)
    daily_tests: dict[str, Any]  # {"tests": [...names], "rows": [{"day", "p": {test: p}, "holm": {test: p}}]}
    halts: list[dict[str, Any]]
    firms: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # market of each firm: exchange, …
    extremes: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None  # many firms: lowest, highest CARs
    prices_of: int = 0  # firms whose prices are drawn (all, or the extremes of a large event)
    rbar: float = float("nan")  # the mean cross-correlation behind the CAAR band


def firm_markets(
    results: StudyResults, estimates: Iterable[dict[str, Any]], positions: Iterable[int]
) -> list[dict[str, Any]]:
    """Per firm of an event (``positions`` in ``firm_events``; ``estimates``: the event's rows of
    ``results.estimates``): exchange, calendar, benchmark, day 0 and the estimation sessions actually used."""
    spans = {r["ticker"]: (r["est_start"], r["est_end"]) for r in estimates}
    rows = []
    for i in positions:
        fe, m = results.abnormal.firm_events[i], results.markets[i]
        start, end = spans[fe.ticker]
        rows.append(
            {"name": fe.name, "ticker": fe.ticker, "exchange": m.exchange, "calendar": m.calendar,
             "benchmark": m.benchmark, "day0": fe.day0.date().isoformat(), "est_start": start,
             "est_end": end, "note": m.cross_market_note()}
        )  # fmt: skip
    return rows


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict(orient="records")


@functools.cache
def _robustness(test: str) -> str:
    """:func:`~eventstudy.inference.measured.robustness_label` of ``test`` (read from the shipped tables once)."""
    return robustness_label(test, test in CLUSTERING_ROBUST)


def _window_tests(results: StudyResults, tests: list[dict[str, Any]]) -> dict[str, Any]:
    """Tests × event windows of an event (``tests``: its rows of ``results.tests`` over the event windows, as
    dicts): ``{"windows", "firms": [n per window], "rows": [{"test", "robust", "label", "cells"}], "family"}``;
    each cell carries ``p_holm``, its p-value Holm-adjusted across every test × window cell of the event (the
    table's family), and ``sig`` (``p_holm`` < :data:`ALPHA`)."""
    windows = list(results.study.event_windows)
    cells = {
        (r["test"], r["window_start"], r["window_end"]): {**r, "p_holm": float("nan"), "sig": False} for r in tests
    }
    names = [t for t in TESTS if any((t, *w) in cells for w in windows)]
    grid = {t: [cells.get((t, *w)) for w in windows] for t in names}
    rows = [
        {"test": t, "robust": t in CLUSTERING_ROBUST, "label": _robustness(t), "cells": grid[t]} for t in names
    ]  # fmt: skip
    family = [c for t in names for c in grid[t] if c is not None and np.isfinite(c["p_value"])]
    for c, p in zip(family, holm(np.array([c["p_value"] for c in family], dtype=float)), strict=True):
        c["p_holm"], c["sig"] = float(p), bool(p < ALPHA)
    firms = [
        max((c["n_firms"] for c in (cells.get((t, *w)) for t in names) if c is not None), default=0) for w in windows
    ]
    return {"windows": windows, "firms": firms, "rows": rows, "family": len(family)}


def _daily_tests(daily: pd.DataFrame) -> dict[str, Any]:
    """p-values per day of the daily path (one-day rows of ``tests.csv`` that are not event windows) and their
    Holm adjustment across the days of the path, per test (``daily``: an event's rows of
    :func:`eventstudy.study.summary.daily_holm`, whose families are each event's tests), for the clustering-robust
    tests (every test's are in ``tests.csv``)."""
    tests = daily["test"].tolist()
    names = [t for t in TESTS if t in set(tests) and t in CLUSTERING_ROBUST]
    by_day: dict[int, tuple[dict[str, float], dict[str, float]]] = {}
    for day, test, p, p_holm in zip(daily["window_start"].tolist(), tests, daily["p_value"].tolist(),
                                    daily["p_holm"].tolist(), strict=True):  # fmt: skip
        p_of, holm_of = by_day.setdefault(int(day), ({}, {}))
        p_of[test], holm_of[test] = p, p_holm
    rows = [{"day": day, "p": by_day[day][0], "holm": by_day[day][1]} for day in sorted(by_day)]
    return {"tests": names, "rows": rows, "days": len(rows), "alpha": ALPHA}


def _cross_section(results: StudyResults) -> dict[str, Any] | None:
    """The cross-sectional regression's rows and its block from the study file (None without one)."""
    table = results.extra.get("cross_section")
    if not isinstance(table, pd.DataFrame):
        return None
    block = results.study.extra["cross_section"]
    return {"rows": _rows(table), "window": block["window"], "formula": block["formula"],
            "characteristics": block.get("characteristics"), "note": table["note"].iloc[0] if len(table) else ""}  # fmt: skip


def event_views(results: StudyResults, limit: int | None = None) -> list[EventView]:
    """One view per event, for the first ``limit`` events of the study (all of them when ``limit`` is None)."""
    events = results.study.events[:limit]
    ids = [ev.id for ev in events]
    paths = event_paths(results, ids)
    fes = results.abnormal.firm_events
    estimates, halts_of = EventRows(results.estimates).records(ids), EventRows(results.halts).records(ids)
    window_tests = EventRows(in_windows(results.tests, results.study.event_windows)).records(ids)
    daily = EventRows(daily_holm(results.tests, results.study.event_windows))  # Holm within each event and test
    matrices = firm_matrices(results, ids)
    ar = EventRows(results.ar[[c for c in ("event_id", "ticker", "rel_day", "ar", "limit") if c in results.ar]])
    views = []
    for ev in events:
        path = paths[ev.id]
        names, tickers = [fes[i].name for i in path.rows], [fes[i].ticker for i in path.rows]
        name_of = dict(zip(tickers, names, strict=True))
        est = estimates[ev.id]
        for row in est:
            row["name"] = name_of.get(row["ticker"], float("nan"))
        matrix = matrices[ev.id]
        prices = price_rows(path)
        n = len(path.rows)
        figures = {
            "caar": figure_div(caar_figure(path), f"{ev.id}-caar", 300),
            "car": figure_div(firm_car_figure(path, names, tickers), f"{ev.id}-car",
                              panels_height(n) if n <= SMALL_MULTIPLES else 460, top=48),
            "ar": figure_div(ar_figure(results, ev.id, ar[ev.id]), f"{ev.id}-ar", 360),
            "prices": figure_div(price_panels(results, prices), f"{ev.id}-prices", panels_height(len(prices)), top=48),
        }  # fmt: skip
        extremes = None
        if len(matrix.rows) > MATRIX_ROWS:
            j = matrix.windows.index(matrix.main_window)
            cars = np.array([r["cells"][j]["car"] if r["cells"][j] else np.nan for r in matrix.rows], dtype=float)
            caar = float(np.nanmean(cars)) if np.isfinite(cars).any() else float("nan")
            figures["hist"] = figure_div(car_histogram(cars, caar, matrix.main_window), f"{ev.id}-hist", 300)
            extremes = extreme_rows(matrix)
        views.append(
            EventView(
                event=ev,
                day_zero=[dz for (eid, _), dz in results.day_zero.items() if eid == ev.id],
                figures=figures,
                estimates=est,
                matrix=matrix,
                window_tests=_window_tests(results, window_tests[ev.id]),
                daily_tests=_daily_tests(daily[ev.id]),
                halts=[{**r, "name": name_of.get(r["ticker"], float("nan"))} for r in halts_of[ev.id]],
                firms=firm_markets(results, est, path.rows),
                extremes=extremes,
                prices_of=len(prices),
                rbar=path.rbar,
            )
        )
    return views


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja2's environment, reading ``row.field`` of a dict as ``row["field"]`` straight away when ``field`` is no
    attribute of a dict (where Jinja2 would first try, and fail, to read an attribute): the same value, without
    the cost of an exception per table cell."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _environment() -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("eventstudy.report") / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number_text
    env.filters["pct"] = lambda v, d=2: (
        number_text(v * 100 if v is not None else None, f".{d}f") + ("%" if v is not None and np.isfinite(v) else "")
    )
    return env


def event_spans(rows: list[dict[str, Any]]) -> None:
    """Set ``span`` on each row: on the first of a run of rows of one event, the run's length (the table cell that
    names the event spans them); 0 on the others."""
    for _, run in itertools.groupby(rows, key=lambda r: r["event_id"]):
        same = list(run)
        for k, row in enumerate(same):
            row["span"] = len(same) if k == 0 else 0


def headline_rows(results: StudyResults) -> list[dict[str, Any]]:
    """summary.csv's rows for the headline table, each with ``span``: the number of rows of its event on the
    event's first row (the table cell that names the event spans them), 0 on the others; and ``design``: the
    primary test's measured size and power at the nearest validated design
    (:func:`eventstudy.inference.measured.nearest_design`; None when not validated)."""
    rows = _rows(study_summary(results))
    day0s: dict[str, set] = {}
    for fe in results.abnormal.firm_events:
        day0s.setdefault(fe.event_id, set()).add(fe.day0)
    designs: dict[tuple[Any, ...], Any] = {}  # many rows share a design (same test, firms, day-0 kind, window)
    for row in rows:  # the primary test's measured size and power at the validated design nearest to this row's
        key = (row["test"], int(row["n_firms"]), len(day0s.get(row["event_id"], ())) <= 1,
               (int(row["window_start"]), int(row["window_end"])))  # fmt: skip
        if key not in designs:
            designs[key] = nearest_design(*key)
        row["design"] = designs[key]
    event_spans(rows)
    return rows


def matched_cells(matched: pd.DataFrame | None, rows: list[dict[str, Any]]) -> None:
    """Add ``matched`` to each headline row: the design-matched placebo's size and power of the row's test in the
    row's window (:func:`eventstudy.placebo.like.design_table` rows: ``{"size", "se", "power": {level: rate},
    "studies", "firms"}``), or None."""
    for row in rows:
        row["matched"] = None
    if matched is None or matched.empty:
        return
    for row in rows:
        cell = matched[
            matched["event_ids"].str.split(" ").map(lambda ids, e=row["event_id"]: e in ids)
            & (matched["window_start"] == row["window_start"]) & (matched["window_end"] == row["window_end"])
            & (matched["test"] == row["test"])
        ]  # fmt: skip
        null = cell[cell["injected"] == 0.0]
        if null.empty:
            continue
        power = {float(r.injected): float(r.rejection_rate) for r in cell[cell["injected"] > 0].itertuples()}
        row["matched"] = {"size": float(null["rejection_rate"].iloc[0]), "se": float(null["mc_se"].iloc[0]),
                          "power": dict(sorted(power.items())), "studies": int(null["studies"].iloc[0]),
                          "firms": int(null["firms"].iloc[0])}  # fmt: skip


def sensitivity_tables(results: StudyResults) -> list[dict[str, Any]]:
    """sensitivity.csv as the report shows it: one table per calendar, a row per event and window with the own
    benchmark's CAAR and p, then each alternative's CAAR, Δ and p. An alternative's note is shown only where it adds
    to the main row's (whose caveats are the headline's): in the cell when there is no figure, else in ``notes``
    under the table, the cell marked (``flag``)."""
    frame = study_sensitivity(results)
    tables = []
    for calendar, part in frame.groupby("calendar", sort=False):
        alternatives = list(dict.fromkeys(part.loc[part["role"] == ALTERNATIVE, "benchmark"]))
        rows, notes = [], []
        for (event_id, lo, hi), cell in part.groupby(["event_id", "window_start", "window_end"], sort=False):
            main = cell[cell["role"] == MAIN].iloc[0].to_dict()
            by = {r["benchmark"]: r for r in cell[cell["role"] == ALTERNATIVE].to_dict(orient="records")}
            cells = []
            for b in alternatives:
                c = by.get(b)
                if c is not None:
                    c["figure"] = bool(np.isfinite(c["caar"]))
                    c["flag"] = c["figure"] and bool(c["note"]) and c["note"] != main["note"]
                    if c["flag"]:
                        notes.append(f"{event_id} [{lo}, {hi}] against {b}: {c['note']}")
                cells.append(c)
            rows.append(
                {"event_id": event_id, "window": (int(lo), int(hi)), "exchange": main["exchange"],
                 "benchmark": main["benchmark"], "main": main, "cells": cells}
            )  # fmt: skip
        event_spans(rows)  # the event's cell spans its windows' rows
        tables.append({"calendar": calendar, "alternatives": alternatives, "rows": rows, "notes": notes})
    return tables


QUALITY_ROWS = 30
"""Tickers listed in the report's data-quality table; past that, only the flagged ones (all are in study.json)."""


def quality_table(results: StudyResults) -> dict[str, Any]:
    """The data-quality rows the report lists: every ticker up to :data:`QUALITY_ROWS`, else the flagged ones."""
    q = results.quality
    if q is None:
        return {"rows": [], "flagged": 0, "left_out": 0, "total": 0}
    flagged = (q["splits"] != "") | (q["spikes"] != "") | (q["prev_close_breaks"] != "")
    shown = q if len(q) <= QUALITY_ROWS else q[flagged]
    return {"rows": list(shown.itertuples()), "flagged": int(flagged.sum()), "left_out": len(q) - len(shown),
            "total": len(q)}  # fmt: skip


def render_report(results: StudyResults, source: str, context: dict[str, Any] | None = None) -> str:
    """The report as one self-contained HTML string: a section for each of the first :data:`DETAILED_EVENTS`
    events, every event in the headline table."""
    template = _environment().get_template("report.html.j2")
    context = dict(context or {})
    claims = context.get("claims")
    if claims is not None:  # the claims' charts in the report's lean style (claims.figures builds them)
        context["claims_figures_html"] = [
            figure_div(fig, f"claim-{path.claim_id}", 420, top=60)
            for fig, path in zip(claims_figures(claims), claims.paths, strict=True)
        ]
    headline = headline_rows(results)
    matched_cells(context.get("matched"), headline)
    views = event_views(results, DETAILED_EVENTS)
    return template.render(
        results=results,
        study=results.study,
        source=source,
        events=views,
        detailed_ids={view.event.id for view in views},
        events_by_id={ev.id: ev for ev in results.study.events},
        small_multiples=SMALL_MULTIPLES,
        matrix_rows=MATRIX_ROWS,
        quality=quality_table(results),
        extremes_k=EXTREMES,
        headline=headline,
        headline_notes=any(r["note"] for r in headline),
        cross_section=_cross_section(results),
        sensitivity=sensitivity_tables(results),
        confounders=confounder_view(results),  # eventstudy/report/confounders.py
        reaction=reaction_views(results, DETAILED_EVENTS),  # volume, volatility, pre-trend (report/reaction.py)
        plotlyjs=plotly_loader(),
        marks=MARKS,
        alpha=ALPHA,
        test_catalogue=[
            {
                "name": name,
                "formula": TEST_FORMULAS.get(name, ""),
                "reference": TEST_REFERENCES.get(name, ""),
                "clustering_robust": _robustness(name),
                "size_random": size_range(name, "random"),
                "size_shared": size_range(name, "shared"),
            }
            for name in TESTS
        ],  # fmt: skip
        **context,
    )
