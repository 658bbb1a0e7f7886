"""The report's plotly figures, legible from one firm to thousands.

* :func:`caar_figure` — an event's CAAR cumulated from day 0 (the table's ``[0, k]`` windows) with its 95% band,
  the only band drawn (:mod:`eventstudy.report.paths`).
* :func:`car_figure` — each firm's CAR from day 0: up to :data:`SMALL_MULTIPLES` firms one small panel each (the
  event's CAAR as a grey reference in every panel); more firms as thin grey lines with the
  :data:`EXTREMES` lowest and highest highlighted, and the CAAR with its band on top.
* :func:`ar_figure` — daily abnormal returns: the average across firms as bars, each firm as a dot.
* :func:`price_figure` — total-return indices against the benchmark, one small panel per firm.
* :func:`car_histogram` — the distribution of the firms' CARs over one window (events with many firms).

Titles are the page's HTML headings; every label from the study file is escaped (:func:`~.style.plain`).

Each figure is built as plotly.js's figure JSON (:data:`Figure`: ``{"data": [trace, ...], "layout": {...}}``, numpy
arrays allowed), the document ``plotly.js`` draws: plotly's Python figure objects validate every property as it is
set, which cost more than the report's arithmetic. :func:`car_figure` and :func:`price_figure`, the charts
:class:`eventstudy.Results` hands to a user, wrap theirs in a ``plotly.graph_objects.Figure``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..study.results import StudyResults
from .grid import panel_layout
from .paths import EventPath, event_paths
from .style import (
    BENCHMARK_COLOUR,
    CAAR_COLOUR,
    HIGH_COLOUR,
    LOW_COLOUR,
    REFERENCE_GREY,
    firm_colours,
    number_text,
    plain,
)  # fmt: skip

if TYPE_CHECKING:
    import plotly.graph_objects as go

Figure = dict[str, Any]
"""A figure as plotly.js reads it: ``{"data": [trace, ...], "layout": {...}}`` (a trace: a dict with its ``type``)."""

SMALL_MULTIPLES = 20
"""Most firms drawn one panel each; an event with more gets grey lines with its extremes highlighted."""
EXTREMES = 3
"""Lowest and highest CARs highlighted (and named) in a chart of more than :data:`SMALL_MULTIPLES` firms."""
GREY_LINES = 400
"""Most per-firm grey lines drawn; beyond, the 5th–95th and 25th–75th percentile envelopes of the CARs instead."""
PANEL_COLUMNS = 4
PANEL_HEIGHT = 160
DAY_AXIS = "exchange sessions relative to day 0"


def panel_grid(n: int) -> tuple[int, int]:
    """(rows, columns) of the small multiples for ``n`` panels."""
    cols = min(PANEL_COLUMNS, max(n, 1))
    return math.ceil(max(n, 1) / cols), cols


def panels_height(n: int) -> int:
    rows, _ = panel_grid(n)
    return 70 + PANEL_HEIGHT * rows


def _title(text: str) -> dict[str, Any]:
    return {"title": {"text": text}}


def vline(x: float, line: dict[str, Any]) -> dict[str, Any]:
    """A vertical line at ``x`` across the whole height of the plot (a layout shape)."""
    return {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", "line": line}


def _band(days: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> dict[str, Any]:
    ok = np.isfinite(lower) & np.isfinite(upper)
    x, lo, hi = days[ok], lower[ok], upper[ok]
    return {
        "type": "scatter", "x": np.concatenate([x, x[::-1]]), "y": np.concatenate([hi, lo[::-1]]), "fill": "toself",
        "fillcolor": "rgba(25,101,176,0.16)", "line": {"width": 0}, "hoverinfo": "skip", "name": "95% band of the CAAR",
        "showlegend": False,
    }  # fmt: skip


def caar_figure(path: EventPath) -> Figure:
    """CAAR[0, t] of one event with its 95% band ``CAAR ± 1.96 SE`` (:mod:`eventstudy.report.paths`)."""
    caar = {
        "type": "scatter", "x": path.days, "y": path.caar, "name": "CAAR", "line": {"color": CAAR_COLOUR, "width": 2.5},
        "mode": "lines+markers", "marker": {"size": 4},
        "customdata": np.column_stack([path.lower, path.upper, path.n_firms]),
        "hovertemplate": "CAAR[0, %{x}] %{y:.2%} (95%: %{customdata[0]:.2%} to %{customdata[1]:.2%}), "
        "%{customdata[2]} firms<extra></extra>",
    }  # fmt: skip
    layout = {"showlegend": False, "xaxis": _title("day t (sessions after day 0)"),
              "yaxis": {**_title("CAAR[0, t]"), "tickformat": ".0%"}}  # fmt: skip
    return {"data": [_band(path.days, path.lower, path.upper), caar], "layout": layout}


def _extremes(final: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the ``k`` lowest and ``k`` highest finite values (ties by position), lowest first."""
    ok = np.flatnonzero(np.isfinite(final))
    order = ok[np.argsort(final[ok], kind="stable")]
    k = min(k, len(order) // 2)
    return order[:k], order[len(order) - k :][::-1]


def car_figure(results: StudyResults, event_id: str) -> go.Figure:
    """The CAR chart of one event (:func:`firm_car_figure` of its paths from day 0), a plotly figure."""
    import plotly.graph_objects as go

    path = event_paths(results, [event_id])[event_id]
    fes = [results.abnormal.firm_events[i] for i in path.rows]
    return go.Figure(firm_car_figure(path, [fe.name for fe in fes], [fe.ticker for fe in fes]))


def firm_car_figure(path: EventPath, names: Sequence[str], tickers: Sequence[str]) -> Figure:
    """Each firm's CAR[0, t] (rows of ``path``, named by ``names``/``tickers``): small multiples up to
    :data:`SMALL_MULTIPLES` firms, else grey lines (or percentile envelopes) with the extremes highlighted."""
    n = len(path.rows)
    if n <= SMALL_MULTIPLES:
        return _car_panels(path, names, tickers)
    data: list[dict[str, Any]] = []
    final = path.car[:, -1] if path.car.shape[1] else np.full(n, np.nan)
    if n <= GREY_LINES:
        x = np.tile(np.append(path.days, np.nan), n)  # every firm in one trace, separated by gaps
        y = np.column_stack([path.car, np.full(n, np.nan)]).ravel()
        data.append({"type": "scatter", "x": x, "y": y, "mode": "lines", "line": {"color": REFERENCE_GREY, "width": 0.8},
                     "hoverinfo": "skip", "name": f"each of the {n} firms", "connectgaps": False})  # fmt: skip
    else:
        with np.errstate(all="ignore"):
            q = np.nanpercentile(path.car, [5, 25, 75, 95], axis=0)
        for lo, hi, label in ((q[0], q[3], "5th–95th percentile of the firms' CARs"), (q[1], q[2], "25th–75th")):
            data.append({"type": "scatter", "x": np.concatenate([path.days, path.days[::-1]]),
                         "y": np.concatenate([hi, lo[::-1]]), "fill": "toself", "fillcolor": "rgba(150,150,150,0.25)",
                         "line": {"width": 0}, "hoverinfo": "skip", "name": label})  # fmt: skip
    low, high = _extremes(final, EXTREMES)
    for rows, colour, word in ((low, LOW_COLOUR, "lowest"), (high, HIGH_COLOUR, "highest")):
        for j in rows:
            data.append(
                {"type": "scatter", "x": path.days, "y": path.car[j], "mode": "lines", "line": {"color": colour, "width": 1.5},
                 "name": plain(f"{names[j]} ({word})"),
                 "hovertemplate": "CAR[0, %{x}] %{y:.2%}<extra>" + plain(tickers[j]) + "</extra>"}
            )  # fmt: skip
    data.append(_band(path.days, path.lower, path.upper))
    data.append({"type": "scatter", "x": path.days, "y": path.caar, "name": "CAAR (95% band)",
                 "line": {"color": "#111", "width": 2.5}, "hovertemplate": "CAAR[0, %{x}] %{y:.2%}<extra></extra>"})  # fmt: skip
    layout = {"xaxis": _title("day t (sessions after day 0)"), "yaxis": {**_title("CAR[0, t]"), "tickformat": ".0%"}}
    return {"data": data, "layout": layout}


def _car_panels(path: EventPath, names: Sequence[str], tickers: Sequence[str]) -> Figure:
    n = len(path.rows)
    rows, cols = panel_grid(n)
    titles = [plain(f"{name} {number_text(path.car[j, -1] * 100, '+.1f')}%") for j, name in enumerate(names)]
    layout, axes = panel_layout(rows, cols, titles, shared_yaxes=True, horizontal_spacing=0.03)
    for key, axis in layout.items():
        if key.startswith("yaxis"):
            axis["tickformat"] = ".0%"
    colours = firm_colours(n) if n else []
    data: list[dict[str, Any]] = []
    for j in range(n):
        data.append({"type": "scatter", "x": path.days, "y": path.caar, "hoverinfo": "skip", "showlegend": False,
                     "line": {"color": REFERENCE_GREY, "width": 1.5, "dash": "dot"}, "name": "CAAR", **axes[j]})  # fmt: skip
        data.append(
            {"type": "scatter", "x": path.days, "y": path.car[j], "mode": "lines", "line": {"color": colours[j], "width": 2.4},
             "showlegend": False, "name": plain(names[j]),
             "hovertemplate": "CAR[0, %{x}] %{y:.2%}<extra>" + plain(tickers[j]) + "</extra>", **axes[j]}
        )  # fmt: skip
    return {"data": data, "layout": layout}


def ar_figure(results: StudyResults, event_id: str, rows: pd.DataFrame | None = None) -> Figure:
    """Daily abnormal returns of one event: AAR_t (the mean AR over the firms with a return on day t) as bars; up
    to :data:`SMALL_MULTIPLES` firms each firm's AR as a dot (▲/▼: a close at the daily price limit; no dot: no trade
    that session), more firms as whiskers from the 10th to the 90th percentile of the day's ARs."""
    frame = results.ar[results.ar["event_id"] == event_id] if rows is None else rows  # (rows: the event's, if known)
    frame = frame[np.isfinite(frame["ar"].to_numpy(dtype=float))]
    names = {fe.ticker: fe.name for fe in results.abnormal.firm_events if fe.event_id == event_id}
    by_day = frame.groupby("rel_day", sort=True)["ar"]
    aar = by_day.agg(["mean", "size"])
    bar: dict[str, object] = {}
    if len(names) > SMALL_MULTIPLES:
        q10, q90 = by_day.quantile(0.10).to_numpy(), by_day.quantile(0.90).to_numpy()
        mean = aar["mean"].to_numpy()
        bar["error_y"] = {"type": "data", "symmetric": False, "array": q90 - mean, "arrayminus": mean - q10,
                          "color": "#555", "thickness": 1, "width": 3}  # fmt: skip
    data: list[dict[str, Any]] = [
        {"type": "bar", "x": aar.index.to_numpy(), "y": aar["mean"].to_numpy(), "name": "average across firms (AAR)",
         "marker": {"color": "rgba(25,101,176,0.55)"}, "customdata": aar["size"].to_numpy(),
         "hovertemplate": "day %{x}: AAR %{y:.2%} over %{customdata} firms<extra></extra>", **bar}
    ]  # fmt: skip
    if len(names) <= SMALL_MULTIPLES:  # one trace per firm (its name on hover), NaN where it has no return
        days = np.arange(int(frame["rel_day"].min()), int(frame["rel_day"].max()) + 1) if len(frame) else np.arange(0)
        for ticker, rows in frame.groupby("ticker", sort=False):
            y = np.full(len(days), np.nan)
            y[rows["rel_day"].to_numpy(dtype=int) - days[0]] = rows["ar"].to_numpy(dtype=float)
            limit = rows["limit"].fillna("").astype(str).to_numpy() if "limit" in rows else np.full(len(rows), "")
            marker: dict[str, object] = {"color": "#444", "size": 4, "opacity": 0.6}
            if (limit != "").any():
                symbol = np.full(len(days), "circle", dtype=object)
                symbol[rows["rel_day"].to_numpy(dtype=int) - days[0]] = np.where(
                    limit == "up", "triangle-up", np.where(limit == "down", "triangle-down", "circle")
                )
                marker.update(symbol=symbol.tolist(), size=np.where(symbol != "circle", 8, 4).tolist())
            data.append(
                {"type": "scatter", "x": days, "y": y, "mode": "markers", "marker": marker, "name": "each firm",
                 "legendgroup": "firms", "showlegend": len(data) == 1,
                 "hovertemplate": "day %{x}: AR %{y:.2%}<extra>" + plain(names.get(ticker, ticker)) + "</extra>"}
            )  # fmt: skip
    layout = {"shapes": [vline(-0.5, {"color": "#666", "width": 1, "dash": "dot"})], "xaxis": _title(DAY_AXIS),
              "yaxis": {**_title("abnormal return"), "tickformat": ".1%"}, "bargap": 0.25}  # fmt: skip
    return {"data": data, "layout": layout}


def car_histogram(cars: np.ndarray, caar: float, window: tuple[int, int]) -> Figure:
    """The distribution of the firms' CARs over ``window`` (finite values of ``cars``), bins of
    :func:`numpy.histogram_bin_edges` (``"auto"``), with the CAAR marked."""
    x = np.asarray(cars, dtype=float)
    x = x[np.isfinite(x)]
    edges = np.histogram_bin_edges(x, bins="auto") if len(x) else np.array([0.0, 1.0])
    counts, edges = np.histogram(x, bins=edges)
    bars = {
        "type": "bar", "x": (edges[:-1] + edges[1:]) / 2, "y": counts, "width": np.diff(edges),
        "marker": {"color": "rgba(120,120,120,0.7)"}, "customdata": np.column_stack([edges[:-1], edges[1:]]),
        "name": "firms", "hovertemplate": "%{customdata[0]:.1%} to %{customdata[1]:.1%}: %{y} firms<extra></extra>",
    }  # fmt: skip
    layout: dict[str, Any] = {"xaxis": {**_title(f"CAR[{window[0]}, {window[1]}]"), "tickformat": ".0%"},
                              "yaxis": _title("firms"), "showlegend": False, "bargap": 0.05}  # fmt: skip
    if np.isfinite(caar):  # the CAAR: a line, labelled at its top right
        layout["shapes"] = [vline(caar, {"color": CAAR_COLOUR, "width": 2})]
        layout["annotations"] = [{"showarrow": False, "text": f"CAAR {caar:+.2%}", "x": caar, "xanchor": "left",
                                  "xref": "x", "y": 1, "yanchor": "top", "yref": "y domain"}]  # fmt: skip
    return {"data": [bars], "layout": layout}


def price_figure(results: StudyResults, event_id: str) -> go.Figure:
    """The price chart of one event: :func:`price_panels` of its firms (up to :data:`SMALL_MULTIPLES`; of more,
    the :data:`EXTREMES` lowest and highest CAR[0, end of the daily path]), a plotly figure."""
    import plotly.graph_objects as go

    return go.Figure(price_panels(results, price_rows(event_paths(results, [event_id])[event_id])))


def price_rows(path: EventPath) -> list[int]:
    """The firm-events (positions in ``firm_events``) whose prices the report draws for an event."""
    if len(path.rows) <= SMALL_MULTIPLES:
        return [int(i) for i in path.rows]
    low, high = _extremes(path.car[:, -1], EXTREMES)
    return [int(path.rows[j]) for j in (*low, *high[::-1])]


def price_panels(results: StudyResults, rows: Sequence[int]) -> Figure:
    """Total-return indices (day −1 = 100) over the study's price chart range, one panel per firm-event of ``rows``
    (positions in ``results.abnormal.firm_events``), each with its own benchmark in grey on the firm's sessions;
    × a suspended session (carried flat), ▲/▼ a close at the daily price limit."""
    lo, hi = results.study.price_chart
    n = len(rows)
    grid_rows, cols = panel_grid(n)
    fes = results.abnormal.firm_events
    layout, axes = panel_layout(grid_rows, cols, [plain(fes[i].name) for i in rows], horizontal_spacing=0.045)
    data: list[dict[str, Any]] = []
    colours = firm_colours(min(n, SMALL_MULTIPLES)) if n else []
    for k, i in enumerate(rows):
        fe, m, panel = fes[i], results.markets[i], results.panel_of(i)
        where = axes[k]
        day0 = panel.position(fe.day0)
        rel = np.arange(lo, hi + 1)
        pos = day0 + rel
        ok = (pos >= 0) & (pos < len(panel.sessions))
        rel, pos = rel[ok], pos[ok]
        level = panel.level[fe.ticker].to_numpy()
        bench = panel.level[m.benchmark].to_numpy()
        values = 100.0 * level[pos] / level[day0 - 1]
        data.append({"type": "scatter", "x": rel, "y": 100.0 * bench[pos] / bench[day0 - 1], "name": plain(m.benchmark),
                     "line": {"color": BENCHMARK_COLOUR, "width": 1}, "showlegend": False,
                     "hovertemplate": "day %{x}: %{y:.1f}<extra>" + plain(m.benchmark) + "</extra>", **where})  # fmt: skip
        data.append({"type": "scatter", "x": rel, "y": values, "line": {"color": colours[k % len(colours)], "width": 1.8},
                     "showlegend": False, "name": plain(fe.name),
                     "hovertemplate": "day %{x}: %{y:.1f}<extra>" + plain(fe.ticker) + "</extra>", **where})  # fmt: skip
        traded = panel.traded[fe.ticker].to_numpy()[pos]
        limits = results.limits_of(i)
        limit = limits[fe.ticker].to_numpy()[pos] if limits is not None else np.full(len(pos), "")
        for mask, symbol, what in (
            (~traded, "x-thin-open", "suspended"), (limit == "up", "triangle-up", "limit-up close"),
            (limit == "down", "triangle-down", "limit-down close"),
        ):  # fmt: skip
            if mask.any():
                data.append({"type": "scatter", "x": rel[mask], "y": values[mask], "mode": "markers", "showlegend": False,
                             "name": what, "marker": {"symbol": symbol, "size": 8, "color": "#111"},
                             "hovertemplate": "day %{x}: " + what + "<extra>" + plain(fe.ticker) + "</extra>", **where})  # fmt: skip
    return {"data": data, "layout": layout}
