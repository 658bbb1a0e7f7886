"""The report's plotly figures, one function per figure and event: prices around day 0 (``price_figure``), each
firm's CAR path (``car_figure``), daily ARs (``ar_figure``) and the CAAR with its band (``caar_figure``).
Every label that comes from the study file or the documents is escaped (:func:`plain`)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import plotly.graph_objects as go
from scipy import stats

from ..study.results import StudyResults
from ..study.summary import caar_path

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
BENCHMARK_COLOUR = "#555555"


def number_text(value: Any, spec: str = ".4f") -> str:
    """``value`` formatted with ``spec``; "—" for a missing or non-finite number (never a blank or "nan")."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return format(value, spec)


def plain(text: str) -> str:
    """Text for a plotly label: plotly renders a subset of HTML in labels, so escape it to show it as typed."""
    return html.escape(text, quote=False)


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


def caar_figure(results: StudyResults, event_id: str) -> go.Figure:
    """The event's CAAR from the start of the daily path to each day with its 95% band
    (:func:`eventstudy.study.summary.caar_path`: forecast-error variances of the firms' CARs, correlated at r̄)."""
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
        title=f"{plain(event_id)}<br><sub>CAAR from day {results.study.daily_path[0]}, 95% band (r̄ = {number_text(rbar, '.2f')}; "
        f"{int(path['n_firms'].max()) if len(path) else 0} firms)</sub>",
        xaxis_title="exchange sessions relative to day 0", yaxis_title="CAAR", yaxis_tickformat=".0%",
        showlegend=False, width=500, autosize=False,  # two side by side in the headline (1100 px page)
    )  # fmt: skip
    return fig
