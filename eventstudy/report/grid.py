"""The layout of small multiples: a grid of panels, each with its own x and y axis and a title above it.

plotly's ``make_subplots`` computes the panels' domains, shared axes and title positions; it builds and validates a
whole figure object to do so, which costs more than the chart it lays out. The layout depends only on the grid's
shape, so :func:`panel_layout` asks ``make_subplots`` once per shape and hands out copies with the titles filled in.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any


@functools.lru_cache(maxsize=64)
def _grid(
    rows: int, cols: int, panels: int, shared_yaxes: bool, horizontal_spacing: float
) -> tuple[str, tuple[Any, ...]]:
    """make_subplots' layout (JSON text, copied by each caller) of ``panels`` titled panels in ``rows`` × ``cols``,
    and each panel's axis references (``{"xaxis": "x2", "yaxis": "y2"}``)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=rows, cols=cols, shared_xaxes="all", shared_yaxes="all" if shared_yaxes else False,
                        subplot_titles=[f"panel {k}" for k in range(panels)], vertical_spacing=min(0.45 / rows, 0.15),
                        horizontal_spacing=horizontal_spacing)  # fmt: skip
    layout = fig.to_plotly_json()["layout"]
    layout.pop("template", None)  # the report's own style (style.style) replaces plotly's default template
    axes = []
    for k in range(panels):
        subplot = fig.get_subplot(k // cols + 1, k % cols + 1)
        axes.append({"xaxis": subplot.xaxis.plotly_name.replace("axis", ""),
                     "yaxis": subplot.yaxis.plotly_name.replace("axis", "")})  # fmt: skip
    return json.dumps(layout), tuple(axes)


def panel_layout(
    rows: int, cols: int, titles: Sequence[str], *, shared_yaxes: bool = False, horizontal_spacing: float = 0.03
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The layout of ``len(titles)`` panels in a ``rows`` × ``cols`` grid (filled row by row; every x axis shared
    and labelled, every y axis shared when ``shared_yaxes``; vertical spacing ``min(0.45 / rows, 0.15)``) with each
    panel's title above it in 11 px type (no title where it is empty), and per panel the axis references a trace
    drawn in it takes (``{"xaxis": "x2", "yaxis": "y2"}``)."""
    text, axes = _grid(rows, cols, len(titles), shared_yaxes, horizontal_spacing)
    layout = json.loads(text)
    for key, axis in layout.items():
        if key.startswith("xaxis"):
            axis["showticklabels"] = True  # every panel its own day axis
    notes = [
        {**note, "text": title, "font": {**note.get("font", {}), "size": 11}}
        for note, title in zip(layout.pop("annotations", []), titles, strict=True)
        if title  # (make_subplots leaves an empty title out)
    ]
    if notes:
        layout["annotations"] = notes
    return layout, [dict(a) for a in axes]
