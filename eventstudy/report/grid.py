"""The layout of small multiples: a grid of panels, each with its own x and y axis and a title above it.

The grid is the one plotly's ``make_subplots`` lays out (``shared_xaxes="all"``, optionally ``shared_yaxes="all"``),
written directly as layout data: ``make_subplots`` builds and validates a whole figure object to compute it, which
cost more than the chart it lays out.

Rows × columns cells, filled row by row from the top left; cell ``k`` (1-based, row-major) draws on the axes
``x{k}``/``y{k}`` (``x``/``y`` for the first). The columns split the width into equal parts with
``horizontal_spacing`` between them, the rows the height with ``vertical_spacing``. Shared axes all match the
bottom-left cell's axis (zooming one panel zooms every panel); with shared y axes only the first column labels its
y axis. Each panel's title sits centred above its cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TITLE_SIZE = 11
"""Font size of the panels' titles, in pixels."""


def _parts(n: int, spacing: float) -> list[tuple[float, float]]:
    """``n`` equal intervals of [0, 1], ``spacing`` apart, from 0 upwards."""
    width = (1.0 - spacing * (n - 1)) / n
    return [(k * (width + spacing), k * (width + spacing) + width) for k in range(n)]


def _name(axis: str, k: int) -> str:
    return axis if k == 1 else f"{axis}{k}"


def panel_layout(
    rows: int, cols: int, titles: Sequence[str], *, shared_yaxes: bool = False, horizontal_spacing: float = 0.03
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The layout of ``len(titles)`` panels in a ``rows`` × ``cols`` grid (every x axis shared and labelled,
    every y axis shared when ``shared_yaxes``; vertical spacing ``min(0.45 / rows, 0.15)``) with each panel's
    title above it (none where it is empty), and per panel the axis references a trace drawn in it takes
    (``{"xaxis": "x2", "yaxis": "y2"}``)."""
    xs, ys = _parts(cols, horizontal_spacing), _parts(rows, min(0.45 / rows, 0.15))[::-1]  # rows from the top
    anchor = (rows - 1) * cols + 1  # the bottom-left cell: shared axes match its axes
    layout: dict[str, Any] = {}
    for r in range(rows):
        for c in range(cols):
            k = r * cols + c + 1
            xaxis: dict[str, Any] = {"anchor": _name("y", k), "domain": list(xs[c]), "showticklabels": True}
            yaxis: dict[str, Any] = {"anchor": _name("x", k), "domain": list(ys[r])}
            if k != anchor:
                xaxis["matches"] = _name("x", anchor)
                if shared_yaxes:
                    yaxis["matches"] = _name("y", anchor)
            if shared_yaxes and c > 0:
                yaxis["showticklabels"] = False
            layout[_name("xaxis", k)], layout[_name("yaxis", k)] = xaxis, yaxis
    notes = []
    for k, title in enumerate(titles):
        if title:
            (x0, x1), (_, top) = xs[k % cols], ys[k // cols]
            notes.append({"font": {"size": TITLE_SIZE}, "showarrow": False, "text": title, "x": (x0 + x1) / 2,
                          "xanchor": "center", "xref": "paper", "y": top, "yanchor": "bottom", "yref": "paper"})  # fmt: skip
    if notes:
        layout["annotations"] = notes
    axes = [{"xaxis": _name("x", k + 1), "yaxis": _name("y", k + 1)} for k in range(len(titles))]
    return layout, axes
