"""The HTML report: plotly figures and one Jinja2 template, rendered into a single offline file.

plotly.js is embedded once (no CDN); every figure gets a stable ``div`` id so identical inputs give identical
bytes. The template is autoescaped: every text from the study file or the documents is escaped.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from scipy import stats

from .coverage import rel_label
from .inference import CLUSTERING_ROBUST, TEST_FORMULAS, TEST_REFERENCES, TESTS
from .inference.measured import size_range
from .quality import limit_words
from .study import StudyResults
from .summary import ALPHA, caar_path, daily_holm, study_summary

# One-line definitions for the methodology section (full formulas and notes: docs/statistics.md).


PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
BENCHMARK_COLOUR = "#555555"


@dataclass(frozen=True)
class EventView:
    """Everything the template shows for one event."""

    event: Any
    day_zero: list[Any]
    figures: dict[str, str]
    estimates: list[dict[str, Any]]
    car: list[dict[str, Any]]
    window_tests: dict[str, Any]  # tests × event windows (see _window_tests)
    daily_tests: dict[str, Any]  # {"tests": [...names], "rows": [{"day", "p": {test: p}}]}
    halts: list[dict[str, Any]]
    firms: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # market of each firm: exchange, …


def firm_markets(results: StudyResults, event_id: str) -> list[dict[str, Any]]:
    """Per firm of an event: exchange, calendar, benchmark, day 0 and the estimation sessions actually used."""
    est = results.estimates.set_index(["event_id", "ticker"])
    rows = []
    for fe, m in zip(results.abnormal.firm_events, results.markets, strict=True):
        if fe.event_id != event_id:
            continue
        e = est.loc[(fe.event_id, fe.ticker)]
        rows.append(
            {"name": fe.name, "ticker": fe.ticker, "exchange": m.exchange, "calendar": m.calendar,
             "benchmark": m.benchmark, "day0": fe.day0.date().isoformat(), "est_start": e["est_start"],
             "est_end": e["est_end"]}
        )  # fmt: skip
    return rows


def plain(text: str) -> str:
    """Text for a plotly label: plotly renders a subset of HTML in labels, so escape it to show it as typed."""
    return html.escape(text, quote=False)


def _div(fig: go.Figure, div_id: str, height: int = 420) -> str:
    fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 50, "b": 50}, height=height)
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False})


def price_figure(results: StudyResults, event_id: str) -> go.Figure:
    """Total-return indices of the event's firms and their benchmarks, = 100 at day -1, over the chart range.

    Each firm is drawn on its own exchange's sessions (relative days), each benchmark on the sessions of the
    firms measured against it."""
    study = results.study
    lo, hi = study.price_chart
    fig = go.Figure()
    rows = [i for i, fe in enumerate(results.abnormal.firm_events) if fe.event_id == event_id]
    benchmarks: dict[tuple[str, str], int] = {}  # (calendar, benchmark) → a firm-event drawn against it

    def window(i: int) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
        panel = results.panel_of(i)
        day0 = panel.position(results.abnormal.firm_events[i].day0)
        rel = np.arange(lo, hi + 1)
        pos = day0 + rel
        ok = (pos >= 0) & (pos < len(panel.sessions))
        return rel[ok], pos[ok], day0 - 1, [d.date().isoformat() for d in panel.sessions[pos[ok]]]

    for colour, i in enumerate(rows):
        fe, m = results.abnormal.firm_events[i], results.markets[i]
        benchmarks.setdefault((m.calendar, m.benchmark), i)
        panel = results.panel_of(i)
        rel, pos, base_pos, dates = window(i)
        level = panel.level[fe.ticker].to_numpy()
        traded = panel.traded[fe.ticker].to_numpy()[pos]
        values = 100.0 * level[pos] / level[base_pos]
        limits = results.limits_of(i)
        limit = limits[fe.ticker].to_numpy()[pos] if limits is not None else np.full(len(pos), "")
        status = np.array(
            [
                ("suspended (no trade)" if s == "suspended" else s) + (f", closed at the limit ({k})" if k else "")
                for s, k in zip(panel.status(fe.ticker).to_numpy()[pos], limit, strict=True)
            ]
        )
        fig.add_trace(
            go.Scatter(
                x=rel,
                y=values,
                mode="lines",
                name=plain(fe.name),
                line={"color": PALETTE[colour % len(PALETTE)]},
                customdata=np.column_stack([dates, status]),
                hovertemplate="day %{x} (%{customdata[0]})<br>%{y:.2f} — %{customdata[1]}<extra>"
                + fe.ticker
                + "</extra>",
            )  # fmt: skip
        )
        if (~traded).any():
            fig.add_trace(
                go.Scatter(
                    x=rel[~traded],
                    y=values[~traded],
                    mode="markers",
                    showlegend=False,
                    hoverinfo="skip",
                    marker={"symbol": "x-thin-open", "size": 9, "color": PALETTE[colour % len(PALETTE)]},
                )  # fmt: skip
            )
        for kind, symbol in (("up", "triangle-up"), ("down", "triangle-down")):
            at = limit == kind
            if at.any():
                fig.add_trace(
                    go.Scatter(
                        x=rel[at],
                        y=values[at],
                        mode="markers",
                        showlegend=False,
                        hoverinfo="skip",
                        marker={"symbol": symbol, "size": 10, "color": PALETTE[colour % len(PALETTE)]},
                    )  # fmt: skip
                )
    several = len({b for _, b in benchmarks}) < len(benchmarks)  # one benchmark on two calendars
    for k, ((calendar, benchmark), i) in enumerate(benchmarks.items()):
        rel, pos, base_pos, dates = window(i)
        bench = results.panel_of(i).level[benchmark].to_numpy()
        label = f"benchmark {benchmark}" + (f" ({calendar} sessions)" if several else "")
        fig.add_trace(
            go.Scatter(
                x=rel,
                y=100.0 * bench[pos] / bench[base_pos],
                name=plain(label),
                line={"color": BENCHMARK_COLOUR, "dash": ("dash", "dot", "dashdot", "longdash")[k % 4]},
                customdata=dates,
                hovertemplate="day %{x} (%{customdata})<br>%{y:.2f}<extra>" + benchmark + "</extra>",
            )  # fmt: skip
        )
    fig.add_vline(x=0, line={"color": "black", "width": 1, "dash": "dot"}, annotation_text="day 0")
    fig.update_layout(
        title="Total-return index (day −1 = 100); × suspended, ▲/▼ closed at the daily price limit",
        xaxis_title="exchange sessions relative to day 0", yaxis_title="index",
    )  # fmt: skip
    return fig


def car_figure(results: StudyResults, event_id: str) -> go.Figure:
    """CAR from the start of the daily path to each day, with 95% forecast-error bands, per firm."""
    ab = results.abnormal
    days, car, se = ab.car_path(results.study.daily_path)
    fig = go.Figure()
    for i, fe in enumerate(ab.firm_events):
        if fe.event_id != event_id:
            continue
        colour = PALETTE[len(fig.data) // 2 % len(PALETTE)]
        q = stats.t.ppf(0.975, ab.dof[i]) if np.isfinite(ab.dof[i]) else 1.96
        upper, lower = car[i] + q * se[i], car[i] - q * se[i]
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([days, days[::-1]]),
                y=np.concatenate([upper, lower[::-1]]),
                fill="toself",
                fillcolor=colour,
                opacity=0.15,
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            )  # fmt: skip
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=car[i],
                name=plain(fe.name),
                line={"color": colour},
                mode="lines+markers",
                hovertemplate="day %{x}: CAR %{y:.2%}<extra>" + fe.ticker + "</extra>",
            )  # fmt: skip
        )
    fig.add_vline(x=0, line={"color": "black", "width": 1, "dash": "dot"})
    fig.add_hline(y=0, line={"color": "#999", "width": 1})
    fig.update_layout(
        title=f"CAR from day {results.study.daily_path[0]} with 95% band ({results.study.model})",
        xaxis_title="exchange sessions relative to day 0", yaxis_title="cumulative abnormal return",
        yaxis_tickformat=".0%",
    )  # fmt: skip
    return fig


def ar_figure(results: StudyResults, event_id: str) -> go.Figure:
    """Daily abnormal returns per firm; days without a trade have no bar."""
    frame = results.ar[results.ar["event_id"] == event_id]
    names = {fe.ticker: fe.name for fe in results.abnormal.firm_events}
    fig = go.Figure()
    for i, (ticker, rows) in enumerate(frame.groupby("ticker", sort=False)):
        limit = rows["limit"].fillna("").to_numpy(dtype=object) if "limit" in rows else np.full(len(rows), "", object)
        fig.add_trace(
            go.Bar(
                x=rows["rel_day"],
                y=rows["ar"],
                name=plain(names.get(ticker, ticker)),
                marker={"color": PALETTE[i % len(PALETTE)], "pattern": {"shape": np.where(limit != "", "x", "")}},
                customdata=np.column_stack(
                    [rows["date"], np.where(limit != "", " — closed at the limit (" + limit + ")", "")]
                ),
                hovertemplate="day %{x} (%{customdata[0]}): AR %{y:.2%}%{customdata[1]}<extra>" + ticker + "</extra>",
            )  # fmt: skip
        )
    fig.update_layout(
        barmode="group", title="Daily abnormal returns (no bar: no trade that session; hatched: closed at the price limit)",
        xaxis_title="exchange sessions relative to day 0", yaxis_title="abnormal return", yaxis_tickformat=".1%",
    )  # fmt: skip
    return fig


def _coverage_words(row: dict[str, Any], halts: pd.DataFrame) -> str:
    """ "covers 0..+2: suspended 0..+1" when the returns counted in a window span sessions outside it."""
    lo, hi = row.get("covered_start"), row.get("covered_end")
    if lo is None or hi is None or pd.isna(lo) or (lo >= row["window_start"] and hi <= row["window_end"]):
        return ""
    mine = halts[(halts["event_id"] == row["event_id"]) & (halts["ticker"] == row["ticker"])]
    runs = [
        f"{rel_label(h.first_rel)}..{rel_label(h.last_rel)}" if h.first_rel != h.last_rel else rel_label(h.first_rel)
        for h in mine.itertuples(index=False)
        if h.last_rel >= lo and h.first_rel <= hi
    ]
    return f"covers {rel_label(lo)}..{rel_label(hi)}" + (f": suspended {', '.join(runs)}" if runs else "")


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict(orient="records")


def _window_tests(results: StudyResults, event_id: str) -> dict[str, Any]:
    """Tests × event windows: ``{"windows": [...], "firms": [n per window], "rows": [{"test", "robust", "cells"}]}``."""
    tests = results.tests[results.tests["event_id"] == event_id]
    windows = list(results.study.event_windows)
    cells = {(r.test, r.window_start, r.window_end): r for r in tests.itertuples(index=False)}
    names = [t for t in TESTS if any((t, *w) in cells for w in windows)]
    rows = [
        {"test": t, "robust": t in CLUSTERING_ROBUST,
         "cells": [cells.get((t, *w)) for w in windows]}
        for t in names
    ]  # fmt: skip
    firms = [max((c.n_firms for c in (cells.get((t, *w)) for t in names) if c is not None), default=0) for w in windows]
    return {"windows": windows, "firms": firms, "rows": rows}


def _daily_tests(results: StudyResults, event_id: str) -> dict[str, Any]:
    """p-values per day of the daily path (one-day rows of ``tests.csv`` that are not event windows) and their
    Holm adjustment across the days of the path, per test (:func:`eventstudy.summary.daily_holm`)."""
    daily = daily_holm(results.tests[results.tests["event_id"] == event_id], results.study.event_windows)
    names = [t for t in TESTS if t in set(daily["test"])]
    rows = [
        {"day": int(day), "p": dict(zip(g["test"], g["p_value"], strict=True)),
         "holm": dict(zip(g["test"], g["p_holm"], strict=True))}
        for day, g in daily.groupby("window_start", sort=True)
    ]  # fmt: skip
    return {"tests": names, "rows": rows, "days": len(rows), "alpha": ALPHA}


def _cross_section(results: StudyResults) -> dict[str, Any] | None:
    """The cross-sectional regression's rows and its block from the study file (None without one)."""
    table = results.extra.get("cross_section")
    if not isinstance(table, pd.DataFrame):
        return None
    block = results.study.extra["cross_section"]
    return {"rows": _rows(table), "window": block["window"], "formula": block["formula"],
            "characteristics": block.get("characteristics"), "note": table["note"].iloc[0] if len(table) else ""}  # fmt: skip


def caar_figure(results: StudyResults, event_id: str) -> go.Figure:
    """The event's CAAR from the start of the daily path to each day with its 95% band
    (:func:`eventstudy.summary.caar_path`: forecast-error variances of the firms' CARs, correlated at r̄)."""
    path = caar_path(results, event_id)
    days = path["rel_day"].to_numpy()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([days, days[::-1]]), y=np.concatenate([path["upper"], path["lower"][::-1]]),
            fill="toself", fillcolor=PALETTE[0], opacity=0.18, line={"width": 0}, hoverinfo="skip", name="95% band",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=days, y=path["caar"], name="CAAR", line={"color": PALETTE[0], "width": 2.5}, mode="lines+markers",
            customdata=np.column_stack([path["lower"], path["upper"], path["n_firms"]]),
            hovertemplate="day %{x}: CAAR %{y:.2%} [%{customdata[0]:.2%}, %{customdata[1]:.2%}], "
            "%{customdata[2]} firms<extra></extra>",
        )
    )  # fmt: skip
    fig.add_vline(x=0, line={"color": "black", "width": 1, "dash": "dot"})
    fig.add_hline(y=0, line={"color": "#999", "width": 1})
    rbar = path["rbar"].iloc[0] if len(path) else float("nan")
    fig.update_layout(
        title=f"{plain(event_id)}<br><sub>CAAR from day {results.study.daily_path[0]}, 95% band (r̄ = {_fmt(rbar, '.2f')}; "
        f"{int(path['n_firms'].max()) if len(path) else 0} firms)</sub>",
        xaxis_title="exchange sessions relative to day 0", yaxis_title="CAAR", yaxis_tickformat=".0%",
        showlegend=False, width=500, autosize=False,  # two side by side in the headline (1100 px page)
    )  # fmt: skip
    return fig


def event_views(results: StudyResults) -> list[EventView]:
    names = {fe.ticker: fe.name for fe in results.abnormal.firm_events}
    views = []
    for ev in results.study.events:
        car = results.car[results.car["event_id"] == ev.id].copy()
        car["name"] = car["ticker"].map(names)
        car["coverage"] = [_coverage_words(r, results.halts) for r in car.to_dict(orient="records")]
        car["limits"] = [limit_words(int(u), int(d)) for u, d in zip(car["limit_up"], car["limit_down"], strict=True)]
        est = results.estimates[results.estimates["event_id"] == ev.id].copy()
        est["name"] = est["ticker"].map(names)
        halts = results.halts[results.halts["event_id"] == ev.id].copy()
        halts["name"] = halts["ticker"].map(names)
        views.append(
            EventView(
                event=ev,
                day_zero=[dz for (eid, _), dz in results.day_zero.items() if eid == ev.id],
                figures={
                    "caar": _div(caar_figure(results, ev.id), f"{ev.id}-caar", height=360),
                    "prices": _div(price_figure(results, ev.id), f"{ev.id}-prices"),
                    "car": _div(car_figure(results, ev.id), f"{ev.id}-car"),
                    "ar": _div(ar_figure(results, ev.id), f"{ev.id}-ar"),
                },
                estimates=_rows(est),
                car=_rows(car),
                window_tests=_window_tests(results, ev.id),
                daily_tests=_daily_tests(results, ev.id),
                halts=_rows(halts),
                firms=firm_markets(results, ev.id),
            )
        )
    return views


def _fmt(value: Any, spec: str = ".4f") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return format(value, spec)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("eventstudy") / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _fmt
    env.filters["pct"] = lambda v, d=2: (
        _fmt(v * 100 if v is not None else None, f".{d}f") + ("%" if v is not None and np.isfinite(v) else "")
    )
    return env


def render_report(results: StudyResults, source: str, context: dict[str, Any] | None = None) -> str:
    """The report as one self-contained HTML string."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        results=results,
        study=results.study,
        source=source,
        events=event_views(results),
        headline=_rows(study_summary(results)),
        cross_section=_cross_section(results),
        plotlyjs=get_plotlyjs(),
        test_catalogue=[
            {
                "name": name,
                "formula": TEST_FORMULAS.get(name, ""),
                "reference": TEST_REFERENCES.get(name, ""),
                "clustering_robust": name in CLUSTERING_ROBUST,
                "size_random": size_range(name, "random"),
                "size_shared": size_range(name, "shared"),
            }
            for name in TESTS
        ],  # fmt: skip
        **(context or {}),
    )
